"""One readable feedback page per learner and chapter (Markdown), written beside results.json.

Per exercise: the points, the first failing case and the hint, from the trusted results — the same reports the
learner's results.json holds, and nothing else (no seed, no hidden-test source, no server path).
"""

from __future__ import annotations

import os
from pathlib import Path

STATUS_TEXT = {
    "graded": "graded",
    "timeout": "not graded: the notebook ran past its time limit",
    "memory": "not graded: the notebook ran out of memory",
    "crashed": "not graded: the notebook's process ended before its functions could be called",
    "invalid-output": "not graded: the notebook sent back something that breaks the grading protocol",
    "invalid-notebook": "not graded: the file is not a notebook of this chapter",
    "missing": "no submission",
}


def _fence(text: str) -> str:
    text = str(text).replace("\r", "")
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}text\n{text.rstrip()}\n{ticks}"


def _name(text) -> str:
    return "".join(ch for ch in str(text) if ch.isalnum() or ch in " ._-()/")[:80]


def feedback_markdown(result: dict) -> str:
    """The feedback page of one result (a learner's results.json)."""
    chapter, status = result.get("chapter") or "?", result.get("status", "?")
    lines = [f"# Feedback: chapter {_name(chapter)}", ""]
    if result.get("learner"):
        lines += [f"Learner: `{_name(result['learner'])}`  ", ""]
    lines += [f"**Score: {result.get('score', 0)} / {result.get('max_score', 0)}** — "
              f"{STATUS_TEXT.get(status, _name(status))}", ""]
    if result.get("late"):
        lines += [f"Handed in late ({result.get('days_late', 0):g} days): penalty {result.get('penalty', 0):g}, "
                  f"final score {result.get('final_score', result.get('score', 0))}.", ""]
    tests = result.get("tests") or []
    if tests:
        lines += ["| exercise | points | result |", "|---|---:|---|"]
        for t in tests:
            mark = "passed" if t.get("status") == "passed" else "failed"
            lines.append(f"| {_name(t.get('name'))} | {t.get('score', 0)}/{t.get('max_score', 0)} | {mark} |")
        lines.append("")
        for t in tests:
            if t.get("status") == "passed":
                continue
            lines += [f"## {_name(t.get('name'))}: {t.get('score', 0)}/{t.get('max_score', 0)}", "",
                      _fence(t.get("output", "")), ""]
    if result.get("output"):
        lines += ["## Notes" if status == "graded" else "## Why it was not graded", "", _fence(result["output"]), ""]
    return "\n".join(lines)


def write_feedback(result: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(feedback_markdown(result), encoding="utf-8")
    os.replace(tmp, path)
    return path
