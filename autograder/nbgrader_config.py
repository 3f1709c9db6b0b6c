# nbgrader configuration shipped with the course; `python -m autograder course` copies it into the course directory.
import os

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "gpt2-from-scratch"
# The gradebook: SQLite in the course directory by default; a PostgreSQL server works the same way, e.g.
#   export NBGRADER_DB_URL=postgresql+psycopg2://grader@127.0.0.1:5432/gradebook
if os.environ.get("NBGRADER_DB_URL"):
    c.CourseDirectory.db_url = os.environ["NBGRADER_DB_URL"]

# The chapters' stubs are exactly this, so a released notebook equals the chapter.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Time limits: per cell (nbgrader's own) and per notebook (ours: later cells get an error instead of running).
c.Execute.timeout = 120
c.TimedExecute.timeout = 120
c.TimedExecute.notebook_timeout = int(os.environ.get("AUTOGRADER_NOTEBOOK_TIMEOUT", "600"))
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_ext.TimedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# A submission whose check cells were deleted gets them back from the source notebook.
c.OverwriteCells.add_missing_cells = True

# Hidden tests never reach the learner's feedback.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# `nbgrader export` writes a status column, so a notebook that could not run is not mistaken for a zero.
c.ExportApp.plugin_class = "autograder.nbgrader_ext.StatusCsvExportPlugin"
