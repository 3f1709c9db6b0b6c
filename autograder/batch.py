"""Grading a class: `python -m autograder grade SUBMISSIONS --out DIR`.

SUBMISSIONS may be
* nbgrader's layout, `submitted/<learner>/<assignment>/<notebook>.ipynb` (or the course root holding `submitted/`);
* one folder per learner, holding that learner's chapter notebooks;
* one notebook per learner, `<learner>.ipynb`.

For every learner and chapter it writes DIR/<learner>/<chapter>/results.json (Gradescope's format plus `status`),
atomically; then DIR/grades.csv (learner, chapter, score, max_score, status, seed, message). A result already in
DIR for the same submission file (same sha256) and seed is kept, so an interrupted run resumes where it stopped.
Every submission gets a status: graded, timeout, memory, crashed, invalid-notebook or missing — never a silent 0.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .engine import grading_seed
from .grading import grade_notebook, max_score_of
from .notebooks import InvalidNotebook, chapter_of, read_notebook
from .sandbox import Limits

FINAL = ("graded", "timeout", "memory", "crashed", "invalid-notebook", "missing")
CSV_FIELDS = ["learner", "chapter", "score", "max_score", "status", "seed", "message"]


@dataclass
class Submission:
    learner: str
    chapter: str | None  # None: to be read from the notebook
    path: Path | None  # None: missing

    @property
    def key(self) -> str:
        return f"{self.learner}/{self.chapter or Path(self.path).stem}"


def discover(root: Path, chapter: str | None = None) -> list[Submission]:
    """The submissions under `root`, one per learner and chapter notebook."""
    if (root / "submitted").is_dir():
        root = root / "submitted"
    if root.is_file():
        return [Submission(root.stem, chapter or _chapter_from_name(root), root)]
    found: list[Submission] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, chapter or _chapter_from_name(entry), entry))
        elif entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            by_chapter: dict[str | None, list[Path]] = {}
            for nb in notebooks:
                by_chapter.setdefault(_chapter_of_file(nb), []).append(nb)
            if chapter:
                # no notebook of this chapter but another one: grading it says which chapter it belongs to
                picked = by_chapter.get(chapter) or by_chapter.get(None) or notebooks
                found.append(Submission(entry.name, chapter, picked[0] if picked else None))
            elif not notebooks:
                found.append(Submission(entry.name, None, None))
            else:
                found += [Submission(entry.name, ch, paths[0]) for ch, paths in by_chapter.items()]
    return found


def _chapter_from_name(path: Path) -> str | None:
    for part in (path.stem, path.parent.name):
        match = re.match(r"^(\d\d)_", part)
        if match:
            return match.group(1)
    return None


def _chapter_of_file(path: Path) -> str | None:
    try:
        return chapter_of(read_notebook(path), path)
    except InvalidNotebook:
        return _chapter_from_name(path)


def _sha256(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    os.replace(tmp, path)


def grade_one(sub: Submission, out: Path, seed: int, limits: Limits, regrade: bool) -> tuple[dict, bool]:
    """(result, graded now?) for one submission, reusing a finished result of the same file and seed."""
    digest = _sha256(sub.path)
    target = out / sub.learner / (sub.chapter or "unknown") / "results.json"
    if not regrade and target.is_file():
        try:
            old = json.loads(target.read_text())
            if old.get("status") in FINAL and old.get("sha256") == digest and old.get("seed") == seed:
                return old, False
        except (OSError, ValueError):
            pass  # a damaged result is graded again
    if sub.path is None:
        result = {"status": "missing", "chapter": sub.chapter, "score": 0, "max_score": max_score_of(sub.chapter),
                  "seed": seed, "execution_time": 0.0, "tests": [],
                  "output": f"Not graded (missing): no notebook of chapter {sub.chapter or '?'} from {sub.learner}"}
    else:
        result = grade_notebook(sub.path, seed=seed, limits=limits, chapter=sub.chapter)
    result.update(learner=sub.learner, submission=str(sub.path) if sub.path else None, sha256=digest)
    chapter = result.get("chapter") or sub.chapter or "unknown"
    target = out / sub.learner / chapter / "results.json"
    _write_json_atomic(target, result)
    return result, True


def write_csv(out: Path) -> Path:
    rows = []
    for path in sorted(out.glob("*/*/results.json")):
        try:
            r = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            r = {"status": "crashed", "output": f"unreadable result {path}: {exc}"}
        message = "" if r.get("status") == "graded" else (r.get("output") or "").splitlines()[0][:300]
        rows.append({"learner": path.parent.parent.name, "chapter": path.parent.name, "score": r.get("score", 0),
                     "max_score": r.get("max_score", 0), "status": r.get("status"), "seed": r.get("seed"),
                     "message": message})
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
              quiet: bool = False) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console(stderr=False, quiet=quiet)
    if not root.exists():
        console.print(f"[red]no such folder: {root}[/]")
        return 2
    limits = limits or Limits()
    seed = grading_seed() if seed is None else seed
    submissions = discover(root, chapter)
    if not submissions:
        console.print(f"[yellow]no submissions found under {root}[/]")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    results, fresh = [], 0
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(submissions))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(grade_one, sub, out, seed, limits, regrade): sub for sub in submissions}
            for future in as_completed(futures):
                sub = futures[future]
                try:
                    result, now = future.result()
                except Exception as exc:  # a bug of ours must not stop the batch either
                    result, now = {"status": "crashed", "chapter": sub.chapter, "score": 0,
                                   "max_score": max_score_of(sub.chapter), "seed": seed, "tests": [],
                                   "output": f"Not graded (crashed): grader error {type(exc).__name__}: {exc}"}, True
                    _write_json_atomic(out / sub.learner / (sub.chapter or "unknown") / "results.json",
                                       {**result, "learner": sub.learner})
                results.append((sub, result))
                fresh += now
                progress.update(task, advance=1, description=f"{sub.learner}: {result['status']}")
    csv_path = write_csv(out)
    table = Table(title=f"{len(results)} submissions ({fresh} graded now, {len(results) - fresh} kept), seed {seed}",
                  title_justify="left")
    for column in ("learner", "chapter", "score", "status"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for sub, r in sorted(results, key=lambda x: (x[0].learner, str(x[1].get("chapter")))):
        colour = "green" if r["status"] == "graded" else "red"
        table.add_row(sub.learner, str(r.get("chapter")), f"{r['score']}/{r['max_score']}",
                      f"[{colour}]{r['status']}[/]")
    console.print(table)
    counts = {}
    for _, r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    console.print("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f"   → {csv_path}")
    return 0
