"""Readable terminal reports (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .results import NotebookResult

console = Console(highlight=False)


def _clean(text) -> str:
    """Learner-written text for the terminal: no escape sequences or other control characters (line breaks stay)."""
    return "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in str(text))


def print_result(result: NotebookResult | dict, title: str) -> None:
    """A result, or its results.json (what `grade_notebook` returns)."""
    if isinstance(result, dict):
        result = NotebookResult.from_json(result)
    title = escape(_clean(title))
    if not result.graded:
        console.print(f"[bold red]{title}: not graded ({escape(result.status.value)})[/]")
        console.print(_clean(result.output), markup=False, highlight=False)
        return
    table = Table(title=f"{title} — chapter {escape(str(result.chapter))}", title_justify="left")
    table.add_column("exercise")
    table.add_column("points", justify="right")
    table.add_column("result")
    for test in result.tests:
        mark = "[green]✓ passed[/]" if test.passed else "[red]✗ failed[/]"
        table.add_row(escape(test.name), f"{test.score}/{test.max_score}", mark)
    console.print(table)
    for test in result.tests:
        if not test.passed:
            console.print(_clean(test.output), markup=False, highlight=False, emoji=False)
    if result.output:
        console.print(_clean(result.output), markup=False, highlight=False, emoji=False)
    colour = "green" if result.score == result.max_score else "yellow"
    console.print(f"[bold {colour}]score {result.score}/{result.max_score}[/]  "
                  f"(hidden cases seed {result.seed}, {result.execution_time:.1f} s)")
