"""nbgrader, hardened (enabled by the shipped nbgrader_config.py):

* `TimedExecute` — nbgrader's Execute with a per-notebook time limit on top of the per-cell one: once the notebook
  has run for `notebook_timeout` seconds, every remaining cell gets an error output instead of running, so its
  grade cells score 0 (a grade cell without an error would score full marks).
* `StatusCsvExportPlugin` — `nbgrader export` with a `status` column (graded, timeout, crashed, not-run, missing)
  and a message, so a notebook that could not run is never mistaken for a real zero.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.plugins.export import CsvExportPlugin
from nbgrader.preprocessors import Execute
from traitlets import Integer

NOTEBOOK_TIME_LIMIT = "NotebookTimeLimit"


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


def notebook_status(path: Path) -> tuple[str, str]:
    """(status, message) of an autograded notebook, read from its outputs."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return "crashed", f"unreadable autograded notebook: {exc}"
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            name = out.get("ename", "")
            if name in ("CellTimeoutError", NOTEBOOK_TIME_LIMIT) or "Timeout" in name:
                return "timeout", f"{name}: {out.get('evalue', '')}"[:300]
            if name in ("DeadKernelError",) or "died" in out.get("evalue", ""):
                return "crashed", f"{name}: {out.get('evalue', '')}"[:300]
    return "graded", ""


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
                    writer.writerow(self._row(gradebook, assignment, student, root))

    def _row(self, gradebook, assignment, student, root: Path) -> dict:
        row = {"assignment": assignment.name, "duedate": assignment.duedate or "", "student_id": student.id,
               "last_name": student.last_name or "", "first_name": student.first_name or "",
               "email": student.email or "", "max_score": assignment.max_score}
        try:
            submission = gradebook.find_submission(assignment.name, student.id)
        except MissingEntry:
            return {**row, "timestamp": "", "raw_score": 0.0, "late_submission_penalty": 0.0, "score": 0.0,
                    "status": "missing", "message": "no submission"}
        penalty = submission.late_submission_penalty or 0.0
        row.update(timestamp=submission.timestamp or "", raw_score=submission.score,
                   late_submission_penalty=penalty, score=max(0.0, submission.score - penalty))
        folder = root / "autograded" / student.id / assignment.name
        notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
        if not notebooks:
            return {**row, "status": "not-run",
                    "message": "autograde could not run this submission (see nbgrader's log)"}
        statuses = [notebook_status(p) for p in notebooks]
        bad = [s for s in statuses if s[0] != "graded"]
        return {**row, "status": bad[0][0] if bad else "graded", "message": bad[0][1] if bad else ""}
