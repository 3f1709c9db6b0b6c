"""One readable feedback page per learner and chapter (Markdown), written beside results.json.

Per exercise: the points, the first failing case and the hint, from the trusted results — the same reports the
learner's results.json holds, and nothing else (no seed, no hidden-test source, no server path).
"""

from __future__ import annotations

import os
from pathlib import Path

from .results import NotebookResult, Status


def status_text(status: Status) -> str:
    """The status line of a feedback page: "graded", "no submission", or "not graded: " and why."""
    if status is Status.GRADED:
        return "graded"
    return status.meaning if status is Status.MISSING else f"not graded: {status.meaning}"


def _fence(text: str) -> str:
    text = str(text).replace("\r", "")
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}text\n{text.rstrip()}\n{ticks}"


def _name(text) -> str:
    return "".join(ch for ch in str(text) if ch.isalnum() or ch in " ._-()/")[:80]


def feedback_markdown(result: NotebookResult) -> str:
    """The feedback page of one result (what the learner's results.json says; never the seed)."""
    lines = [f"# Feedback: chapter {_name(result.chapter or '?')}", ""]
    if result.learner:
        lines += [f"Learner: `{_name(result.learner)}`  ", ""]
    lines += [f"**Score: {result.score} / {result.max_score}** — {status_text(result.status)}", ""]
    late = result.submitted if result.submitted and result.submitted.late else None
    if late:
        lines += [f"Handed in late ({late.days_late:g} days): penalty {late.penalty:g}, "
                  f"final score {result.final_score}.", ""]
    if result.tests:
        lines += ["| exercise | points | result |", "|---|---:|---|"]
        for t in result.tests:
            lines.append(f"| {_name(t.name)} | {t.score}/{t.max_score} | {t.status} |")
        lines.append("")
        for t in result.tests:
            if t.passed:
                continue
            lines += [f"## {_name(t.name)}: {t.score}/{t.max_score}", "", _fence(t.output), ""]
    if result.output:
        lines += ["## Notes" if result.graded else "## Why it was not graded", "", _fence(result.output), ""]
    return "\n".join(lines)


def write_feedback(result: NotebookResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(feedback_markdown(result), encoding="utf-8")
    os.replace(tmp, path)
    return path
