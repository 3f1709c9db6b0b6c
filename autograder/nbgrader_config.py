# nbgrader configuration shipped with the course; `python -m autograder course` copies it into the course directory.
import os

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "gpt2-from-scratch"
# The gradebook: SQLite (gradebook.db) in the course directory by default. A PostgreSQL database is named by
# $NBGRADER_DB_URL or, so that a shell without that variable cannot silently fall back to SQLite, by the file
# `gradebook-url` in the course directory (one line, e.g. postgresql+psycopg2://grader:PASSWORD@127.0.0.1:5432/gradebook).
_url_file = os.path.join(c.CourseDirectory.root, "gradebook-url")
_url = os.environ.get("NBGRADER_DB_URL", "").strip()
if not _url and os.path.isfile(_url_file):
    with open(_url_file) as _f:
        _url = _f.read().strip()
if _url:
    c.CourseDirectory.db_url = _url

# The generated stubs end exactly with this (autograder.notebooks.NBGRADER_STUB), so a released notebook equals the
# learner notebook.
from autograder.notebooks import NBGRADER_STUB  # noqa: E402

c.ClearSolutions.code_stub = {"python": "\n".join(NBGRADER_STUB)}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# autograde never starts a kernel with learner code: SandboxGrade grades each notebook in the course's sandbox
# (bubblewrap; it refuses where no sandbox can be made) and writes the grade cells' outputs from the trusted judge.
# The seed of the hidden cases is drawn afresh for every notebook and kept in the autograded notebook's metadata.
# Its limits are those of `python -m autograder grade` (autograder.sandbox.Limits): 600 s per notebook, 120 s for the
# top-level code, 60 s per exercise, 4096 MB; $AUTOGRADER_NOTEBOOK_TIMEOUT, $AUTOGRADER_CELL_TIMEOUT,
# $AUTOGRADER_EXERCISE_TIMEOUT and $AUTOGRADER_MEMORY_MB change them on every path, or set e.g.
# c.SandboxGrade.exercise_timeout = 30
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "autograder.nbgrader_ext.SandboxGrade",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# `nbgrader zip_collect` reads Canvas' bulk download names: <name>_[LATE_]<user id>_<submission id>_<file>.ipynb
# (a resubmission's "-1" dropped). Moodle: r".*/[^/]+_(?P<student_id>\d+)_assignsubmission_file_(?P<file_id>[^/]+)"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/[^_/]+_(?:LATE_)?(?P<student_id>\d+)_\d+_(?P<file_id>[^/]+?)(?:-\d+)?(?P<ext>\.ipynb)$")

# A submission whose check cells were deleted gets them back from the source notebook. The course's OverwriteCells
# does not cry "checksum has changed" for every hidden check cell (the release strips its hidden tests by design).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.nbgrader_ext.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.OverwriteCells.add_missing_cells = True

# Hidden tests never reach the learner's feedback. The page names each check after its exercise and typesets the
# maths with a local MathJax inlined into the page (templates/course_feedback, written by `python -m autograder
# course`), never from a CDN.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.nbgrader_ext.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.nbgrader_ext.OfflineMathJax",
]
try:
    import nbgrader as _nbgrader

    c.HTMLExporter.extra_template_basedirs = [
        os.path.join(os.path.dirname(_nbgrader.__file__), "server_extensions", "formgrader", "templates"),
        os.path.join(c.CourseDirectory.root, "templates"),
    ]
    if os.path.isdir(os.path.join(c.CourseDirectory.root, "templates", "course_feedback")):
        c.HTMLExporter.template_name = "course_feedback"
    c.OfflineMathJax.path = os.path.join(c.CourseDirectory.root, "templates", "course_feedback", "tex-svg.js")
except ImportError:  # not nbgrader reading this file
    pass

# `nbgrader export` writes a status column, so a notebook that could not run is not mistaken for a zero.
c.ExportApp.plugin_class = "autograder.nbgrader_ext.StatusCsvExportPlugin"
