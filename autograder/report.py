"""Readable terminal reports (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def print_result(result: dict, title: str) -> None:
    if result["status"] != "graded":
        console.print(f"[bold red]{title}: not graded ({result['status']})[/]")
        console.print(result["output"])
        return
    table = Table(title=f"{title} — chapter {result['chapter']}", title_justify="left")
    table.add_column("exercise")
    table.add_column("points", justify="right")
    table.add_column("result")
    for test in result["tests"]:
        mark = "[green]✓ passed[/]" if test["status"] == "passed" else "[red]✗ failed[/]"
        table.add_row(test["name"], f"{test['score']}/{test['max_score']}", mark)
    console.print(table)
    for test in result["tests"]:
        if test["status"] != "passed":
            console.print(test["output"], markup=False)
    if result["output"]:
        console.print(result["output"], markup=False)
    colour = "green" if result["score"] == result["max_score"] else "yellow"
    console.print(f"[bold {colour}]score {result['score']}/{result['max_score']}[/]  "
                  f"(hidden cases seed {result['seed']}, {result['execution_time']:.1f} s)")
