"""Finding the submissions of a class: the layouts instructors actually get, the roster, and due dates.

Layouts `discover` reads (the learner id it takes is in brackets):
* nbgrader's `submitted/<learner>/<assignment>/<notebook>.ipynb` [learner], with nbgrader's `timestamp.txt` beside
  the notebook (the submission time), or the course root holding `submitted/`;
* one folder per learner [folder name], or one notebook per learner `<learner>.ipynb` [file name];
* Canvas' bulk download ("Download Submissions"): `<name>_[LATE_]<user id>_<submission id>_<file>.ipynb`
  [Canvas user id, the `ID` column of Canvas' gradebook export]; `LATE` marks a late submission; a resubmission
  (`..._02_layer_norm-1.ipynb`) replaces the earlier one;
* Moodle's bulk download ("Download all submissions"), flat or in folders:
  `<Full Name>_<participant id>_assignsubmission_file_<file>.ipynb` or a folder
  `<Full Name>_<participant id>_assignsubmission_file_/` [participant id].

`discover(root, learner=ID)` grades one learner alone: `root` is then that learner's folder (its chapter folders are
chapters, not learners) or one notebook file — or a class folder that holds a folder `ID`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .notebooks import chapter_number

CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<id>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$")
RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)$")
ROSTER_COLUMNS = ("learner", "id", "student_id", "student id", "sis user id", "username", "login", "id number",
                  "identifier", "email")


@dataclass
class Submission:
    learner: str
    chapter: str | None  # None: to be read from the notebook
    path: Path | None  # None: missing
    submitted_at: datetime | None = None  # nbgrader's timestamp.txt
    late_marker: bool = False  # the LMS said "late" (Canvas' LATE_) without a time
    on_roster: bool | None = None  # None: no roster given


def lms_name(name: str) -> tuple[str | None, str, bool, int]:
    """(learner id or None, the file's own name, late marker, resubmission number) from an LMS download's name."""
    late, learner, own = False, None, name
    match = CANVAS.match(name)
    moodle = MOODLE.match(name)
    if moodle:
        learner, own = moodle.group("id"), moodle.group("file")
    elif match:
        learner, own, late = match.group("id"), match.group("file"), bool(match.group("late"))
    stem, suffix = (own[:-len(".ipynb")], ".ipynb") if own.endswith(".ipynb") else (own, "")
    resub = RESUBMISSION.match(stem) if learner else None
    n = 0
    if resub:
        stem, n = resub.group("stem"), int(resub.group("n"))
    return learner, stem + suffix, late, n


def read_timestamp(folder: Path) -> datetime | None:
    """nbgrader's `timestamp.txt` (e.g. `2026-11-29 23:40:02.123456 UTC`) in `folder`, as an aware UTC time."""
    path = folder / "timestamp.txt"
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 200:
            return None
        return parse_time(path.read_text().strip())
    except (OSError, ValueError):
        return None


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (`2026-12-01T23:59`, `2026-12-01 23:59:00+01:00`, nbgrader's `... UTC`); no zone = UTC."""
    text = text.strip()
    if text.upper().endswith(" UTC"):
        text = text[:-4]
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_roster(path: Path) -> list[str]:
    """Learner ids from a CSV: the column named learner / id / student_id / SIS User ID / username ... (the first
    of those, case-insensitive), else the first column; a file without a header of those names is read as one id
    per line. Canvas' "Points Possible" row and blank ids are skipped."""
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    rows = [r for r in rows if r and any(cell.strip() for cell in r)]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    column = next((header.index(c) for c in ROSTER_COLUMNS if c in header), None)
    body = rows[1:] if column is not None else rows
    column = column or 0
    ids = []
    for row in body:
        value = row[column].strip() if column < len(row) else ""
        if value and "points possible" not in " ".join(row).lower() and value not in ids:
            ids.append(value)
    return ids


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def discover(root: Path, chapter: str | None = None, learner: str | None = None,
             chapter_of_file=None) -> list[Submission]:
    """The submissions under `root`, one per learner and chapter notebook (see the module's docstring)."""
    chapter_of_file = chapter_of_file or (lambda p: chapter_number(p.stem) or chapter_number(p.parent.name))
    if learner:
        for candidate in (root / "submitted" / learner, root / learner):
            if candidate.is_dir():
                root = candidate
                break
        if root.is_file() or not root.exists():
            return [_file(root, chapter, learner, chapter_of_file)]
        return _folder(root, learner, chapter, chapter_of_file)
    if (root / "submitted").is_dir():
        root = root / "submitted"
    if root.is_file():
        return [_file(root, chapter, None, chapter_of_file)]
    found: dict[tuple[str, str | None], tuple[int, Submission]] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            sub = _file(entry, chapter, None, chapter_of_file)
            n = lms_name(entry.name)[3]
            key = (sub.learner, sub.chapter or entry.name)
            if key not in found or found[key][0] <= n:  # Canvas' resubmission -1, -2 ... replaces the earlier one
                found[key] = (n, sub)
        elif entry.is_dir():
            moodle = MOODLE.match(entry.name)
            who = moodle.group("id") if moodle else entry.name
            for sub in _folder(entry, who, chapter, chapter_of_file):
                found.setdefault((who, sub.chapter or str(sub.path)), (0, sub))
    return [sub for _, sub in found.values()]


def _file(path: Path, chapter: str | None, learner: str | None, chapter_of_file) -> Submission:
    who, own, late, _ = lms_name(path.name)
    found = chapter or (chapter_number(Path(own).stem) if who else None) or chapter_of_file(path)
    return Submission(learner or who or path.stem, found, path, read_timestamp(path.parent), late)


def _folder(folder: Path, learner: str, chapter: str | None, chapter_of_file) -> list[Submission]:
    notebooks = _notebooks(folder)
    by_chapter: dict[str | None, list[Path]] = {}
    for nb in notebooks:
        by_chapter.setdefault(chapter_of_file(nb), []).append(nb)
    if chapter:
        # no notebook of this chapter but another one: grading it says which chapter it belongs to
        picked = by_chapter.get(chapter) or by_chapter.get(None) or notebooks
        path = picked[-1] if picked else None
        return [_with_time(Submission(learner, chapter, path), folder)]
    if not notebooks:
        return [Submission(learner, None, None)]
    return [_with_time(Submission(learner, ch, paths[-1]), folder) for ch, paths in by_chapter.items()]


def _with_time(sub: Submission, folder: Path) -> Submission:
    if sub.path is not None:
        sub.submitted_at = read_timestamp(sub.path.parent) or (read_timestamp(folder) if folder != sub.path.parent
                                                                else None)
        sub.late_marker = lms_name(sub.path.name)[2]
    return sub


def lateness(sub: Submission, due: datetime | None) -> tuple[bool | None, float]:
    """(late?, days late) — late when the submission time is after `due`, or when the LMS marked it late (then
    counted as 1 day, its time being unknown). None when it cannot be told (no due date, or no time and no mark)."""
    if sub.late_marker:
        if due is not None and sub.submitted_at is not None:
            return True, max(1.0, (sub.submitted_at - due).total_seconds() / 86400)
        return True, 1.0
    if due is None or sub.submitted_at is None:
        return None, 0.0
    seconds = (sub.submitted_at - due).total_seconds()
    return (seconds > 0), max(0.0, seconds / 86400)


def penalty(score: float, max_score: float, days_late: float, per_day: float) -> float:
    """The late penalty: `per_day` of the chapter's points for every started day late, never more than the score.
    E.g. per_day=0.1: 2 h late costs 10 % of the points, 25 h late 20 %."""
    import math

    if days_late <= 0 or per_day <= 0:
        return 0.0
    return round(min(score, max_score * per_day * math.ceil(days_late - 1e-9)), 4)
