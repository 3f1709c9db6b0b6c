"""Grading a class: `python -m autograder grade SUBMISSIONS --out DIR`.

SUBMISSIONS (autograder.intake): nbgrader's `submitted/<learner>/<assignment>/` (with `timestamp.txt`), one folder or
one `<learner>.ipynb` per learner, or a Canvas / Moodle bulk download; `--learner ID` grades one learner's folder or
file alone. `--roster` adds a `missing` row for every listed learner without a notebook and marks the others
`roster = unknown`; `--due` / `--late-penalty` fill the `late`, `days_late`, `penalty` and `final_score` columns
(autograder.intake.lateness / penalty).

For every learner and chapter it writes DIR/<learner>/<chapter>/results.json (autograder.results: Gradescope's
format plus `status` and the submission's fields; no seed: learners may see it) and feedback.md beside it
(autograder.feedback), atomically; then DIR/grades.csv (for the instructor only, every field neutralised for
spreadsheets). The seed of the hidden cases is an instructor-side record: DIR/.autograder/run.json (the run's seed,
and whether it finished) and DIR/.autograder/records/<learner>/<chapter>.json (seed, sha256 of what was graded,
the grader's version).

A result is reused only when the submitted file (sha256), the seed and the grader's version (a hash of the chapter's
checks, the engine and the reference: `grader_version`) are unchanged: an interrupted run resumes with its own seed;
a fixed check regrades its chapter without --regrade; a new run after a finished one draws a fresh seed (unless
--seed is given), so re-grading after learners saw their feedback never reuses a seed they could know. Every
submission gets a status (autograder.results.Status: graded, timeout, memory, crashed, invalid-output,
invalid-notebook or missing) — never a silent 0. `python -m autograder report DIR` then writes the class report
(autograder.class_report).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path

from . import intake
from .engine import grading_seed
from .grading import check_submission_file, grade_file
from .intake import Submission
from .notebooks import InvalidNotebook, chapter_number, chapter_of, read_notebook
from .results import NotebookResult, Status, Submitted, round_score
from .sandbox import Limits, SandboxUnavailable, require_sandbox

CSV_FIELDS = ["learner", "chapter", "score", "max_score", "status", "late", "days_late", "penalty", "final_score",
              "submitted_at", "roster", "seed", "message"]
INSTRUCTOR = ".autograder"  # DIR/.autograder: the instructor's records (seeds)
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def neutral(value) -> str:
    """A CSV field a spreadsheet shows as text: no formula (=, +, -, @, tab, CR ... at its start), one line."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    text = "".join(ch if ch.isprintable() else " " for ch in text)[:300]
    return "'" + text if text.startswith(FORMULA) else text


def plain(text) -> str:
    """Learner-controlled text for the terminal: no rich markup, no control characters."""
    from rich.markup import escape

    return escape("".join(ch if ch.isprintable() else "?" for ch in str(text)))


def discover(root: Path, chapter: str | None = None, learner: str | None = None) -> list[Submission]:
    """The submissions under `root` (autograder.intake: nbgrader, per-learner folders or files, Canvas, Moodle)."""
    return intake.discover(root, chapter, learner, chapter_of_file=_chapter_of_file)


def _chapter_of_file(path: Path) -> str | None:
    try:
        check_submission_file(path)
        return chapter_of(read_notebook(path), path)
    except InvalidNotebook:
        own = intake.lms_name(path.name)[1]
        return chapter_number(Path(own).stem) or chapter_number(path.parent.name)


def _sha256(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        check_submission_file(path)
    except InvalidNotebook:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record_path(out: Path, learner: str, chapter: str) -> Path:
    return out / INSTRUCTOR / "records" / learner / f"{chapter}.json"


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_result(path: Path) -> NotebookResult | None:
    """A results.json read back, or None when it is missing, unreadable or not a result."""
    try:
        return NotebookResult.from_json(_read_json(path))
    except ValueError:
        return None


def run_seed(out: Path, seed: int | None) -> int:
    """The seed of this run: --seed; else the seed of an interrupted run in `out`; else a fresh one."""
    run = _read_json(out / INSTRUCTOR / "run.json")
    if seed is None and run and not run.get("finished") and isinstance(run.get("seed"), int):
        seed = run["seed"]
    seed = grading_seed() if seed is None else seed
    _write_json_atomic(out / INSTRUCTOR / "run.json", {"seed": seed, "finished": False})
    return seed


def _write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    os.replace(tmp, path)


@dataclass
class Policy:
    """Due date and late penalty of a batch (see autograder.intake.lateness / penalty)."""

    due: datetime | None = None
    late_penalty: float = 0.0  # share of the chapter's points per started day late


GRADER_FILES = ("engine.py", "probes.py", "channel.py", "child.py", "sandbox.py", "grading.py", "results.py",
                "notebooks.py")


@cache
def grader_version(chapter: str | None = None) -> str:
    """A hash of the code that decides a chapter's grades: the grading engine and sandbox, the chapter's checks
    (autograder/exercises/chNN_*.py) and the reference up to that chapter (solutions/). A result is reused only when
    it was graded by the same version — so fixing a check regrades its chapter, and only its chapter."""
    root = Path(__file__).resolve().parent
    exercises = sorted((root / "exercises").glob("*.py"))
    solutions = sorted((root.parent / "solutions").glob("*.py"))
    if chapter and chapter.isdigit():
        def wanted(path: Path, upto: bool) -> bool:
            number = chapter_number(path)
            if number is None:
                return True  # __init__.py, params.py, helpers: shared by every chapter
            return int(number) <= int(chapter) if upto else number == chapter

        exercises = [p for p in exercises if wanted(p, upto=False)]
        solutions = [p for p in solutions if wanted(p, upto=True)]
    files = [root / name for name in GRADER_FILES] + exercises + solutions
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def grade_one(sub: Submission, out: Path, seed: int, limits: Limits, regrade: bool,
              policy: Policy | None = None) -> tuple[NotebookResult, bool]:
    """(result, graded now?) for one submission, reusing a finished result only when the submitted file, the seed
    and the grader's version are all unchanged."""
    policy = policy or Policy()
    digest = _sha256(sub.path)
    target = out / sub.learner / (sub.chapter or "unknown") / "results.json"
    record = _read_json(_record_path(out, sub.learner, sub.chapter or "unknown"))
    late, days = intake.lateness(sub, policy.due)
    if not regrade and target.is_file() and record:
        old = read_result(target)
        if old and old.submitted and record.get("sha256") == old.submitted.sha256 == digest \
                and record.get("seed") == seed and record.get("grader") == grader_version(old.chapter):
            new = replace(old, seed=seed, submitted=replace(old.submitted, roster=_roster_mark(sub)))
            _apply_late(new, late, days, sub, policy)
            if new.submitted != old.submitted:  # a new due date, penalty or roster
                _write_result(out, sub.learner, old.chapter or sub.chapter or "unknown", new)
            return new, False
    if sub.path is None:
        result = NotebookResult.not_graded(Status.MISSING, f"no notebook of chapter {sub.chapter or '?'} from "
                                           f"{sub.learner}", sub.chapter, seed=seed)
    else:
        result = grade_file(sub.path, seed=seed, limits=limits, chapter=sub.chapter)
    result.submitted = Submitted(learner=sub.learner, submission=sub.path.name if sub.path else None, sha256=digest,
                                 roster=_roster_mark(sub))
    _apply_late(result, late, days, sub, policy)
    _write_result(out, sub.learner, result.chapter or sub.chapter or "unknown", result)
    return result, True


def _roster_mark(sub: Submission) -> str:
    return "" if sub.on_roster is None else ("yes" if sub.on_roster else "unknown")


def _apply_late(result: NotebookResult, late: bool | None, days: float, sub: Submission, policy: Policy) -> None:
    cut = intake.penalty(float(result.score), float(result.max_score), days, policy.late_penalty) if late else 0.0
    result.submitted = replace(result.submitted, late=late, days_late=round(days, 3), penalty=cut,
                               final_score=round_score(max(0.0, float(result.score) - cut)),
                               submitted_at=sub.submitted_at.isoformat() if sub.submitted_at else None)


def _write_result(out: Path, learner: str, chapter: str, result: NotebookResult) -> None:
    """results.json for the learner (without the seed), feedback.md beside it, the seed in the instructor's
    record."""
    from .feedback import write_feedback

    _write_json_atomic(_record_path(out, learner, chapter),
                       {"seed": result.seed, "sha256": result.submitted.sha256 if result.submitted else None,
                        "status": result.status.value, "grader": grader_version(result.chapter)})
    _write_json_atomic(out / learner / chapter / "results.json", result.to_json(with_seed=False))
    write_feedback(result, out / learner / chapter / "feedback.md")


def write_csv(out: Path) -> Path:
    rows = []
    for path in sorted(out.glob("*/*/results.json")):
        learner, chapter = path.parent.parent.name, path.parent.name
        r = read_result(path) or NotebookResult.not_graded(Status.CRASHED, "unreadable result file", chapter,
                                                           max_score=0)
        record = _read_json(_record_path(out, learner, chapter)) or {}
        s = r.submitted or Submitted(learner)
        rows.append({k: neutral(v) for k, v in {
            "learner": learner, "chapter": chapter, "score": r.score, "max_score": r.max_score,
            "status": r.status.value, "late": "" if s.late is None else ("yes" if s.late else "no"),
            "days_late": s.days_late if s.late else 0, "penalty": s.penalty or 0, "final_score": r.final_score,
            "submitted_at": s.submitted_at or "", "roster": s.roster, "seed": record.get("seed"),
            "message": r.message}.items()})
    target = out / "grades.csv"
    tmp = target.with_name(".grades.csv.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, target)
    return target


def grade_all(root: Path, out: Path, chapter: str | None = None, workers: int | None = None,
              seed: int | None = None, limits: Limits | None = None, regrade: bool = False,
              quiet: bool = False, roster: Path | None = None, learner: str | None = None,
              policy: Policy | None = None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console(stderr=False, quiet=quiet)
    if not root.exists():
        console.print(f"[red]no such folder: {plain(root)}[/]")
        return 2
    limits = limits or Limits()
    try:
        require_sandbox(limits)
    except SandboxUnavailable as exc:
        console.print(f"[red]refusing to grade:[/] {plain(exc)}")
        return 3
    if not limits.sandbox:
        console.print("[bold red]WARNING: grading WITHOUT a sandbox (--no-sandbox): learner code runs with your "
                      "rights and can read your files.[/]")
    submissions = discover(root, chapter, learner)
    unknown: list[str] = []
    if roster is not None:
        try:
            ids = intake.read_roster(roster)
        except (OSError, UnicodeDecodeError) as exc:
            console.print(f"[red]cannot read the roster {plain(roster)}: {plain(type(exc).__name__)}[/]")
            return 2
        if learner:
            ids = [i for i in ids if i == learner]
        chapters = [chapter] if chapter else sorted({s.chapter for s in submissions if s.chapter}) or [None]
        have = {(s.learner, s.chapter) for s in submissions}
        for sub in submissions:
            sub.on_roster = sub.learner in ids
        unknown = sorted({s.learner for s in submissions if not s.on_roster})
        submissions += [Submission(i, ch, None, on_roster=True) for i in ids for ch in chapters
                        if (i, ch) not in have and not any(s.learner == i and s.chapter is None for s in submissions)]
    if not submissions:
        console.print(f"[yellow]no submissions found under {plain(root)}[/]")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    seed = run_seed(out, seed)
    workers = workers or os.cpu_count() or 1
    results, fresh = [], 0
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(submissions))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(grade_one, sub, out, seed, limits, regrade, policy): sub for sub in submissions}
            for future in as_completed(futures):
                sub = futures[future]
                try:
                    result, now = future.result()
                except Exception as exc:  # a bug of ours must not stop the batch either
                    result = NotebookResult.not_graded(Status.CRASHED, f"grader error {type(exc).__name__}",
                                                       sub.chapter, seed=seed)
                    result.submitted = Submitted(sub.learner, submission=sub.path.name if sub.path else None,
                                                 roster=_roster_mark(sub))
                    _write_result(out, sub.learner, sub.chapter or "unknown", result)
                    now = True
                results.append((sub, result))
                fresh += now
                progress.update(task, advance=1, description=f"{plain(sub.learner)}: {result.status}")
    csv_path = write_csv(out)
    _write_json_atomic(out / INSTRUCTOR / "run.json", {"seed": seed, "finished": True})
    table = Table(title=f"{len(results)} submissions ({fresh} graded now, {len(results) - fresh} kept), seed {seed}",
                  title_justify="left")
    for column in ("learner", "chapter", "score", "status"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for sub, r in sorted(results, key=lambda x: (x[0].learner, str(x[1].chapter))):
        colour = "green" if r.graded else "red"
        table.add_row(plain(sub.learner), plain(r.chapter), f"{r.score}/{r.max_score}",
                      f"[{colour}]{plain(r.status)}[/]")
    console.print(table)
    counts = {}
    for _, r in results:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    console.print("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f"   → {plain(csv_path)}")
    if unknown:
        console.print(f"[yellow]{len(unknown)} submission(s) from learners not on the roster:[/] "
                      + ", ".join(plain(u) for u in unknown) + "  (graded; column roster = unknown)")
    late = sum(1 for _, r in results if r.submitted and r.submitted.late)
    if late:
        console.print(f"late: {late} submission(s) (see the late, days_late, penalty and final_score columns)")
    return 0
