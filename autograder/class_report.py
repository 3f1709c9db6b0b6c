"""The class report: `python -m autograder report RESULTS` (RESULTS: the --out folder of `grade`).

Writes, into RESULTS:
* report.md and report.html — one page per class: status counts (autograder.results.Status), the score
  distribution (a histogram), each exercise's pass rate, and for each exercise the known mistakes met most often
  (by their stable id, with their hint) — what to re-teach on Monday;
* canvas-grades.csv — Canvas' gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, one column per
  chapter with its points possible), final scores (after any late penalty);
* moodle-grades.csv — Moodle's grade import (ID number, one column per chapter), final scores.
"""

from __future__ import annotations

import csv
import html
import os
from collections import Counter, defaultdict
from pathlib import Path

from .batch import neutral, read_result
from .results import NotebookResult, Status, Submitted

BINS = 10


def load_results(out: Path) -> list[NotebookResult]:
    """Every results.json under `out` (learner and chapter from its folders when it does not say them); a file
    that is not a result counts as crashed."""
    results = []
    for path in sorted(out.glob("*/*/results.json")):
        learner, chapter = path.parent.parent.name, path.parent.name
        r = read_result(path) or NotebookResult.not_graded(Status.CRASHED, "unreadable result file", chapter,
                                                           max_score=0)
        r.submitted = r.submitted or Submitted(learner)
        r.submitted.learner = r.submitted.learner or learner
        r.chapter = r.chapter or chapter
        results.append(r)
    return results


def hints_of(chapter: str | None) -> dict[str, str]:
    """{mistake id: hint} of a chapter's exercises: the known mistakes, and the cases' own hints."""
    from .engine import exercises_of

    hints: dict[str, str] = {}
    if not chapter:
        return hints
    try:
        exercises = exercises_of(chapter)
    except Exception:
        return hints
    for exercise in exercises:
        for m in exercise.mistakes:
            hints.setdefault(m.id, m.hint)
        for hidden in (False, True):
            try:
                cases = exercise.cases(hidden=hidden, seed=0)
            except Exception:
                continue
            for case in cases:
                hint_id = getattr(case, "hint_id", None)
                if case.hint and hint_id:
                    hints.setdefault(hint_id, case.hint)
    return hints


def summarise(results: list[NotebookResult]) -> dict:
    """Per chapter: statuses, scores (of graded notebooks), per-exercise pass rates and mistakes."""
    chapters: dict[str, dict] = {}
    for r in results:
        ch = str(r.chapter or "unknown")
        c = chapters.setdefault(ch, {"statuses": Counter(), "scores": [], "max_score": 0, "late": 0,
                                     "exercises": defaultdict(lambda: {"n": 0, "passed": 0, "points": 0.0,
                                                                       "max": 0.0, "mistakes": Counter()})})
        c["statuses"][r.status.value] += 1
        c["max_score"] = max(c["max_score"], r.max_score)
        c["late"] += bool(r.submitted and r.submitted.late)
        if not r.graded:
            continue
        c["scores"].append(float(r.final_score))
        per: dict[str, list] = defaultdict(list)
        for t in r.tests:
            per[t.exercise].append(t)
        for name, tests in per.items():
            e = c["exercises"][name]
            e["n"] += 1
            e["passed"] += all(t.passed for t in tests)
            e["points"] += sum(float(t.score) for t in tests)
            e["max"] += sum(float(t.max_score) for t in tests)
            ids = {t.mistake for t in tests if not t.passed and t.mistake}
            for mistake in ids:  # a learner counts once per exercise, visible and hidden together
                e["mistakes"][mistake] += 1
    return chapters


def histogram(scores: list[float], max_score: float, bins: int = BINS) -> list[tuple[float, float, int]]:
    if max_score <= 0:
        return [(0.0, 0.0, len(scores))]
    width = max_score / bins
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(s / width + 1e-9)))] += 1
    return [(round(i * width, 2), round((i + 1) * width, 2), n) for i, n in enumerate(counts)]


def _svg(hist: list[tuple[float, float, int]]) -> str:
    w, h, pad = 420, 160, 24
    top = max([n for _, _, n in hist] or [1]) or 1
    bar = (w - 2 * pad) / max(1, len(hist))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 30}" role="img" '
             f'aria-label="score histogram">']
    for i, (lo, hi, n) in enumerate(hist):
        bh = (h - pad) * n / top
        x, y = pad + i * bar, h - bh
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{bh:.1f}" fill="#4a7bb7">'
                     f'<title>{lo:g}–{hi:g}: {n}</title></rect>')
        if n:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" font-size="10" text-anchor="middle">{n}'
                         '</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{h + 14}" font-size="9" text-anchor="middle">{lo:g}</text>')
    parts.append(f'<line x1="{pad}" y1="{h}" x2="{w - pad}" y2="{h}" stroke="#333"/></svg>')
    return "".join(parts)


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    if not xs:
        return 0.0
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def render(results: list[NotebookResult], top: int = 3) -> tuple[str, str]:
    """(Markdown, HTML) of the class report."""
    chapters = summarise(results)
    learners = len({r.learner for r in results})
    md = ["# Class report", "", f"{len(results)} results, {learners} learners.", ""]
    body = [f"<h1>Class report</h1><p>{len(results)} results, {learners} learners.</p>"]
    esc = html.escape
    for ch in sorted(chapters):
        c = chapters[ch]
        hints = hints_of(ch if ch.isdigit() else None)
        scores, max_score = c["scores"], c["max_score"]
        md += [f"## Chapter {ch}", "", "**Statuses:** " + ", ".join(f"{k} {v}" for k, v in
                                                                   sorted(c["statuses"].items())), ""]
        body.append(f"<h2>Chapter {esc(ch)}</h2><p><b>Statuses:</b> "
                    + ", ".join(f"{esc(k)} {v}" for k, v in sorted(c["statuses"].items())) + "</p>")
        if c["late"]:
            md += [f"Late submissions: {c['late']}.", ""]
            body.append(f"<p>Late submissions: {c['late']}.</p>")
        if scores:
            mean = sum(scores) / len(scores)
            stats = (f"graded {len(scores)}; mean {mean:.2f} / {max_score}, median {_median(scores):.2f}, "
                     f"full marks {sum(s >= max_score for s in scores)}, zero {sum(s <= 0 for s in scores)}")
            hist = histogram(scores, max_score)
            top_n = max(n for _, _, n in hist) or 1
            md += ["**Scores** (final, graded notebooks): " + stats, "", "| score | learners | |", "|---|---:|---|"]
            md += [f"| {lo:g}–{hi:g} | {n} | {'█' * round(20 * n / top_n)} |" for lo, hi, n in hist]
            md.append("")
            body.append(f"<p><b>Scores</b> (final, graded notebooks): {esc(stats)}</p>" + _svg(hist))
        if c["exercises"]:
            md += ["| exercise | passed | pass rate | mean points | most common mistakes |", "|---|---:|---:|---:|---|"]
            rows = []
            for name, e in c["exercises"].items():
                rate = e["passed"] / e["n"] if e["n"] else 0.0
                common = e["mistakes"].most_common(top)
                md.append(f"| {name} | {e['passed']}/{e['n']} | {rate:.0%} | {e['points'] / max(1, e['n']):.2f}"
                          f" / {e['max'] / max(1, e['n']):g} | "
                          + "; ".join(f"`{m}` ×{n}" for m, n in common) + " |")
                rows.append(f"<tr><td>{esc(name)}</td><td>{e['passed']}/{e['n']}</td><td>{rate:.0%}</td>"
                            f"<td>{e['points'] / max(1, e['n']):.2f} / {e['max'] / max(1, e['n']):g}</td><td>"
                            + "<br>".join(f"<code>{esc(m)}</code> ×{n}" for m, n in common) + "</td></tr>")
            md.append("")
            body.append("<table><tr><th>exercise</th><th>passed</th><th>pass rate</th><th>mean points</th>"
                        "<th>most common mistakes</th></tr>" + "".join(rows) + "</table>")
            mistakes = [(name, m, n) for name, e in c["exercises"].items() for m, n in e["mistakes"].most_common(top)]
            if mistakes:
                md += ["### What to re-teach", ""]
                items = []
                for name, m, n in sorted(mistakes, key=lambda x: -x[2]):
                    hint = hints.get(m, "")
                    md.append(f"- **{name}** — `{m}` ({n} learners): {hint}")
                    items.append(f"<li><b>{esc(name)}</b> — <code>{esc(m)}</code> ({n} learners): {esc(hint)}</li>")
                md.append("")
                body.append("<h3>What to re-teach</h3><ul>" + "".join(items) + "</ul>")
    page = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Class report</title><style>"
            "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:"
            "collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
            "</style></head><body>" + "".join(body) + "</body></html>\n")
    return "\n".join(md) + "\n", page


def write_lms_csvs(results: list[NotebookResult], out: Path) -> tuple[Path, Path]:
    """canvas-grades.csv and moodle-grades.csv: one row per learner, one column per chapter (final score)."""
    from .notebooks import chapter_number, chapter_paths

    names = {chapter_number(p): p.stem for p in chapter_paths()}
    chapters = sorted({str(r.chapter) for r in results if chapter_number(f"{r.chapter}_")})
    maxima = {ch: max(r.max_score for r in results if str(r.chapter) == ch) for ch in chapters}
    table: dict[str, dict[str, object]] = defaultdict(dict)
    for r in results:
        ch = str(r.chapter)
        if ch in chapters:
            table[str(r.learner)][ch] = r.final_score or 0
    columns = [names.get(ch, f"chapter {ch}") for ch in chapters]
    canvas, moodle = out / "canvas-grades.csv", out / "moodle-grades.csv"
    with open(canvas, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *columns])
        w.writerow(["Points Possible", "", "", "", "", *[maxima[ch] for ch in chapters]])
        for learner in sorted(table):
            w.writerow([neutral(learner), neutral(learner), "", "", "",
                        *[neutral(table[learner].get(ch, "")) for ch in chapters]])
    with open(moodle, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ID number", *columns])
        for learner in sorted(table):
            w.writerow([neutral(learner), *[neutral(table[learner].get(ch, "")) for ch in chapters]])
    return canvas, moodle


def write_report(out: Path) -> list[Path]:
    results = load_results(out)
    md, page = render(results)
    written = []
    for name, text in (("report.md", md), ("report.html", page)):
        target = out / name
        tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        written.append(target)
    written += list(write_lms_csvs(results, out))
    return written
