"""nbgrader, hardened (enabled by the shipped nbgrader_config.py):

* `SandboxGrade` — replaces nbgrader's Execute in `autograde`: no kernel ever runs learner code in the instructor's
  process. The notebook is graded by the course's own grader (autograder.grading: the bubblewrap sandbox and the
  trusted judge), and each grade cell gets its outputs from the trusted results: the visible check cell its report,
  the hidden check cell the hidden report (never the hidden tests' source); full marks as a plain report, partial
  credit as an execute_result holding the score (nbgrader's convention), no marks as an error. So redefining
  `check`, a sidecar `autograder/` package, monkeypatching, importing the chapter's reference or writing to
  gradebook.db earn nothing and change nothing. The status, the seed of the hidden cases and a message go to the
  autograded notebook's metadata ("autograder"), on the instructor's side.
* `TimedExecute` — nbgrader's Execute with a per-notebook time limit (kept for courses that still execute).
* `StatusCsvExportPlugin` — `nbgrader export` with a `status` column (autograder.results.Status, the statuses of
  the course's own grader: graded, timeout, memory, crashed, invalid-output, invalid-notebook, not-run, missing) and
  a message, so a notebook that could not run is never mistaken for a real zero. Every text field is neutralised for
  spreadsheets.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from nbformat import NotebookNode
from nbgrader import preprocessors as nbgrader_preprocessors
from nbgrader.api import MissingEntry
from nbgrader.plugins.export import CsvExportPlugin
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Float, Integer, List, Unicode

from .batch import neutral
from .notebooks import GRADE_ID
from .results import HIDDEN, NotebookResult, Status, TestResult

NOTEBOOK_TIME_LIMIT = "NotebookTimeLimit"
ENAMES = {Status.TIMEOUT: NOTEBOOK_TIME_LIMIT, Status.MEMORY: "SandboxMemoryError", Status.CRASHED: "DeadKernelError",
          Status.INVALID_OUTPUT: "SandboxInvalidOutput", Status.INVALID_NOTEBOOK: "InvalidNotebook"}


class SandboxGrade(NbGraderPreprocessor):
    """Grade the notebook in the course's sandbox and write each grade cell's outputs from the trusted results."""

    timeout = Float(None, allow_none=True, help="Seconds the whole notebook may run in the sandbox (default: "
                    "autograder.sandbox.Limits, or $AUTOGRADER_NOTEBOOK_TIMEOUT).").tag(config=True)
    cell_timeout = Float(None, allow_none=True, help="The top-level code's budget (default: Limits, or "
                         "$AUTOGRADER_CELL_TIMEOUT).").tag(config=True)
    exercise_timeout = Float(None, allow_none=True, help="Each exercise's budget (default: Limits, or "
                             "$AUTOGRADER_EXERCISE_TIMEOUT).").tag(config=True)
    memory_mb = Integer(None, allow_none=True, help="Memory of the sandbox, in MB (default: Limits, or "
                        "$AUTOGRADER_MEMORY_MB).").tag(config=True)
    no_sandbox = Bool(False, help="Grade even where no sandbox can be made (learner code then runs with the "
                                  "instructor's rights). Never the default.").tag(config=True)
    seed = Integer(None, allow_none=True, help="Seed of the hidden cases (default: a fresh one per notebook, "
                                                "recorded in the autograded notebook's metadata).").tag(config=True)

    def preprocess(self, nb, resources):
        from .engine import grading_seed
        from .grading import grade_nb
        from .sandbox import Limits, require_sandbox

        given = {k: getattr(self, k) for k in ("timeout", "cell_timeout", "exercise_timeout", "memory_mb")
                 if getattr(self, k) is not None}
        limits = Limits.from_env(**given, sandbox=not self.no_sandbox)
        require_sandbox(limits)  # refuses (autograde reports an error) rather than running learner code here
        seed = grading_seed() if self.seed is None else self.seed
        name = str(resources.get("nbgrader", {}).get("notebook", "notebook")) + ".ipynb"
        result = grade_nb(nb, name, seed=seed, limits=limits)
        tests = {t.name: t for t in result.tests}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            cell.execution_count = None
            grade_id = str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
            if not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                continue
            match = GRADE_ID.match(grade_id)
            key = None
            if match:
                key = match.group(2) + (HIDDEN if match.group(3) == "-hidden" else "")
            cell.outputs = _outputs(result, tests.get(key), cell)
        message = "" if result.graded else result.output
        nb.metadata["autograder"] = {"status": result.status.value, "seed": seed, "message": message[:300],
                                     "score": result.score, "max_score": result.max_score}
        self.log.info("%s: %s, %s/%s (seed %s)", name, result.status, result.score, result.max_score, seed)
        return nb, resources


def _outputs(result: NotebookResult, test: TestResult | None, cell) -> list:
    points = float(cell.metadata["nbgrader"].get("points", 0) or 0)
    if not result.graded:
        text = result.output
        return [NotebookNode(output_type="error", ename=ENAMES.get(result.status, "NotGraded"), evalue=text,
                             traceback=[text])]
    if test is None:
        text = "this cell is not one of the chapter's checks"
        return [NotebookNode(output_type="error", ename="UnknownCheck", evalue=text, traceback=[text])]
    report = test.output
    score = float(test.score) * points / test.max_score if test.max_score else 0.0
    if test.passed or score >= points > 0:
        return [NotebookNode(output_type="stream", name="stdout", text=report + "\n")]
    if score <= 0:
        return [NotebookNode(output_type="error", ename="CheckFailed", evalue=report.split("\n")[0],
                             traceback=report.split("\n"))]
    return [NotebookNode(output_type="stream", name="stdout", text=report + "\n"),
            NotebookNode(output_type="execute_result", execution_count=None, metadata={},
                         data={"text/plain": repr(round(score, 4))})]


class OverwriteCells(nbgrader_preprocessors.OverwriteCells):
    """nbgrader's OverwriteCells, without the false alarm on every hidden check cell: the released cell lacks the
    hidden tests by design, so its checksum differs from the source's. A cell equal to the release (the source cell
    without its hidden tests) gets the source back silently; any other change is still reported."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and cell.cell_type == "code":
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id).source
            except MissingEntry:
                source = None
            if source and HIDDEN_BEGIN in source and _lines(cell.source) == _lines(_strip_hidden(source)):
                cell.source = source
        return super().preprocess_cell(cell, resources, cell_index)


HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _strip_hidden(source: str) -> str:
    out, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def _lines(source: str) -> list[str]:
    return [line.rstrip() for line in source.split("\n") if line.strip()]


class ClearHiddenTests(nbgrader_preprocessors.ClearHiddenTests):
    """nbgrader's ClearHiddenTests, which also accepts the `display_data_priority` generate_feedback gives every
    preprocessor (nbgrader's own warns "Config option `display_data_priority` not recognized")."""

    display_data_priority = List([]).tag(config=True)


class OfflineMathJax(NbGraderPreprocessor):
    """Puts MathJax (the local copy `python -m autograder course` put beside the feedback template) into the
    feedback page itself, so the maths is typeset offline and from no CDN."""

    path = Unicode("", help="MathJax 3's tex-svg.js (default: templates/course_feedback/tex-svg.js of the course)"
                   ).tag(config=True)
    display_data_priority = List([]).tag(config=True)

    def preprocess(self, nb, resources):
        path = Path(self.path) if self.path else Path(self.parent.coursedir.root if self.parent is not None and
                                                       hasattr(self.parent, "coursedir") else ".") \
            / "templates" / "course_feedback" / "tex-svg.js"
        script = ""
        if path.is_file():
            config = ("window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], processEscapes: true},"
                      " svg: {fontCache: 'global'}, options: {enableMenu: false}};")
            script = f"<script>{config}</script>\n<script>{path.read_text()}</script>"
        else:
            self.log.warning("no local MathJax (%s): the feedback shows the maths as TeX source", path)
        resources["course_mathjax"] = script
        return nb, resources


class TimedExecute(Execute):
    notebook_timeout = Integer(600, help="Seconds the whole notebook may run; later cells are not run.").tag(
        config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = time.monotonic() + self.notebook_timeout
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and time.monotonic() > getattr(self, "_deadline", float("inf")):
            message = f"the notebook ran longer than {self.notebook_timeout} s; this cell was not run"
            cell.outputs = [NotebookNode(output_type="error", ename=NOTEBOOK_TIME_LIMIT, evalue=message,
                                         traceback=[f"{NOTEBOOK_TIME_LIMIT}: {message}"])]
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


def notebook_status(path: Path) -> tuple[Status, str]:
    """(status, message) of an autograded notebook: SandboxGrade's record, else read from its outputs."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return Status.CRASHED, f"unreadable autograded notebook ({type(exc).__name__})"
    record = nb.get("metadata", {}).get("autograder")
    if isinstance(record, dict) and record.get("status"):
        try:
            return Status(record["status"]), str(record.get("message", ""))[:300]
        except ValueError:
            return Status.CRASHED, f"unknown status in the autograded notebook: {str(record['status'])[:40]}"
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            name = out.get("ename", "")
            if name in ("CellTimeoutError", NOTEBOOK_TIME_LIMIT) or "Timeout" in name:
                return Status.TIMEOUT, f"{name}: {out.get('evalue', '')}"[:300]
            if name in ("DeadKernelError",) or "died" in out.get("evalue", ""):
                return Status.CRASHED, f"{name}: {out.get('evalue', '')}"[:300]
    return Status.GRADED, ""


class StatusCsvExportPlugin(CsvExportPlugin):
    """CSV export with `status` and `message` columns."""

    FIELDS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
              "raw_score", "late_submission_penalty", "score", "max_score", "status", "message"]

    def export(self, gradebook) -> None:
        dest = self.to or "grades.csv"
        root = Path(self.parent.coursedir.root) if self.parent is not None else Path.cwd()
        students = {str(s) for s in self.student}
        assignments = {str(a) for a in self.assignment}
        self.log.info("Exporting grades with a status column to %s", dest)
        with open(dest, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=self.FIELDS)
            writer.writeheader()
            for assignment in gradebook.assignments:
                if assignments and assignment.name not in assignments:
                    continue
                for student in gradebook.students:
                    if students and student.id not in students:
                        continue
                    row = self._row(gradebook, assignment, student, root)
                    writer.writerow({k: neutral(v) for k, v in row.items()})

    def _row(self, gradebook, assignment, student, root: Path) -> dict:
        row = {"assignment": assignment.name, "duedate": assignment.duedate or "", "student_id": student.id,
               "last_name": student.last_name or "", "first_name": student.first_name or "",
               "email": student.email or "", "max_score": assignment.max_score}
        try:
            submission = gradebook.find_submission(assignment.name, student.id)
        except MissingEntry:
            return {**row, "timestamp": "", "raw_score": 0.0, "late_submission_penalty": 0.0, "score": 0.0,
                    "status": Status.MISSING.value, "message": Status.MISSING.meaning}
        penalty = submission.late_submission_penalty or 0.0
        row.update(timestamp=submission.timestamp or "", raw_score=submission.score,
                   late_submission_penalty=penalty, score=max(0.0, submission.score - penalty))
        folder = root / "autograded" / student.id / assignment.name
        notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
        if not notebooks:
            return {**row, "status": Status.NOT_RUN.value,
                    "message": "autograde could not run this submission (see nbgrader's log)"}
        statuses = [notebook_status(p) for p in notebooks]
        bad = [s for s in statuses if s[0] is not Status.GRADED]
        status, message = bad[0] if bad else (Status.GRADED, "")
        return {**row, "status": status.value, "message": message}
