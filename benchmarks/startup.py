"""How long `python -m autograder check NOTEBOOK` takes from the shell, and where that time goes.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--chapters 02 03 07]

Writes each chapter's solved notebook (the reference in its answer cells) and its stub (as released) to a temporary
folder, then, in fresh processes:

1. Wall clock, side by side (the commands take turns, so the load of a shared machine falls on all of them alike):
   `python -c "from autograder import check"` (what a notebook imports; says whether PyTorch came with it), and
   `python -m autograder check NB` for every notebook — with the cache of the grader's facts (see
   autograder/sandbox.py) warm, and for the solved notebooks also with an empty cache (a fresh container). Best and
   median of N runs, and the median of the time the check prints (its own clock, started after its imports).
2. Where the time goes, for each solved notebook: the same check run N times with a timestamp at each step (median
   of each step): the interpreter's start-up, the parent's imports, the sandbox probe, reading the notebook, the
   chapter's exercises and cases, preparing the sandbox runtime, the child (start-up until its first message, the
   notebook's cells, probing, exit), judging, printing (rich's import, the table), the atexit handlers and the exit;
   and the step during which the parent loaded PyTorch.
3. The child's start-up alone: bubblewrap and Python, then NumPy, then the runtime's imports.
4. The parent's slowest imports (`python -X importtime`, cumulative, top-level entries) for the first solved notebook.

Prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMPORT_CHECK = "import sys; from autograder import check; print('torch' in sys.modules)"

# The steps of one check, in order: (label, the event that ends it). Events are marked by the traced run below.
STEPS = [
    ("interpreter start-up", "started"),
    ("import autograder (engine, NumPy)", "imported"),
    ("the check command's imports (grading, notebooks)", "probe <"),
    ("sandbox probe (bwrap)", "probe >"),
    ("reading the notebook", "read >"),
    ("the chapter's exercises (import)", "exercises >"),
    ("making the cases", "run_in_child <"),
    ("preparing the sandbox runtime", "child <"),
    ("child: start-up until its first message", "first message"),
    ("child: the notebook's cells", "cells"),
    ("child: probing the functions", "end"),
    ("child: exit", "child >"),
    ("judging", "judge >"),
    ("importing rich", "print <"),
    ("printing the report", "print >"),
    ("atexit handlers", "atexit"),
    ("exit", "exited"),
]


# `python -m autograder check NOTEBOOK` (autograder/__main__.py run as __main__, as -m does) with a timestamp at each
# step, run as `python -c TRACED NOTEBOOK`. The grader's functions are wrapped as their modules get imported (by the
# grader itself, in its own order). $STARTUP_T0 is the wall clock just before the process was started. The timestamps
# go to stderr as the last line, in JSON, from the last atexit handler; each event keeps its first time (a retried
# child keeps its first start).
TRACED = """
import atexit, builtins, json, os, runpy, sys, time
marks, torch_at = {"started": time.time()}, []


def mark(event):
    marks.setdefault(event, time.time())
    if "torch" in sys.modules and not torch_at:
        torch_at.append(event)


@atexit.register
def done():
    mark("atexit")
    sys.stderr.write(json.dumps({"t0": float(os.environ["STARTUP_T0"]), "marks": marks,
                                 "torch": torch_at[0] if torch_at else None}) + "\\n")
    sys.stderr.flush()


def wrap(module, name, event):
    fn = getattr(module, name)

    def wrapped(*args, **kwargs):
        mark(event + " <")
        try:
            return fn(*args, **kwargs)
        finally:
            mark(event + " >")

    setattr(module, name, wrapped)


def on_messages(reader):
    message = reader._message

    def on_message(self, line):
        mark("first message")
        kind = json.loads(line).get("t")
        if kind in ("cells", "end"):
            mark(kind)
        return message(self, line)

    reader._message = on_message


WRAP = {"autograder.sandbox": [("require_sandbox", "probe"), ("_run_once", "child")],
        "autograder.grading": [("read_submission", "read"), ("exercises_of", "exercises"),
                               ("run_in_child", "run_in_child"), ("_judge_all", "judge")],
        "autograder.report": [("print_result", "print")], "autograder.channel": []}
original_import = builtins.__import__


def hooked_import(*args, **kwargs):
    module = original_import(*args, **kwargs)
    for name in [n for n in WRAP if n in sys.modules and not getattr(sys.modules[n].__spec__, "_initializing", 0)]:
        for attr, event in WRAP.pop(name):
            wrap(sys.modules[name], attr, event)
        if name == "autograder.channel":
            on_messages(sys.modules[name].Reader)
    return module


import autograder

mark("imported")
builtins.__import__ = hooked_import
hooked_import("autograder")
sys.argv[1:] = ["check", sys.argv[1]]
sys.stdout = open(os.devnull, "w")
runpy.run_module("autograder", run_name="__main__", alter_sys=True)
"""


def spawn(cmd: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {}), "STARTUP_T0": repr(start)},
                          capture_output=True, text=True, timeout=600)
    return time.time() - start, proc


def notebooks(chapters: list[str], work: Path) -> dict[str, Path]:
    from autograder.notebooks import learner_notebook
    from tests.notebook_fixtures import chapter_file, solved, write

    out = {}
    for chapter in chapters:
        stem = chapter_file(chapter).stem
        out[f"{chapter} solved"] = write(solved(chapter), work / "solved" / f"{stem}.ipynb")
        out[f"{chapter} stub"] = write(learner_notebook(chapter_file(chapter)), work / "stub" / f"{stem}.ipynb")
    return out


def wall_clock(nbs: dict[str, Path], runs: int, work: Path) -> None:
    commands = {"from autograder import check": ([sys.executable, "-c", IMPORT_CHECK], None)}
    for name, path in nbs.items():
        commands[f"check {name}"] = ([sys.executable, "-m", "autograder", "check", str(path)], None)
        if name.endswith("solved"):
            commands[f"check {name}, empty cache"] = ([sys.executable, "-m", "autograder", "check", str(path)], "cold")
    times: dict[str, list[float]] = {name: [] for name in commands}
    printed: dict[str, list[float]] = {name: [] for name in commands}
    notes: dict[str, set] = {name: set() for name in commands}
    for i in range(runs):
        for name, (cmd, cache) in commands.items():
            env = {"AUTOGRADER_CACHE_DIR": str(work / f"cache-{name.split()[1]}-{i}")} if cache else None
            seconds, proc = spawn(cmd, env)
            times[name].append(seconds)
            if cmd[1] == "-c":
                notes[name].add("loads torch" if proc.stdout.strip() == "True" else "no torch")
            else:
                found = re.search(r"score (\S+)/(\S+) .*?, ([\d.]+) s\)", proc.stdout)
                if found:
                    printed[name].append(float(found.group(3)))
                    notes[name].add(f"score {found.group(1)}/{found.group(2)}")
                else:
                    notes[name].add(f"exit code {proc.returncode}")
    print(f"\n## Wall clock of fresh processes ({runs} runs each, taking turns; {os.cpu_count()} cores)\n")
    print("| command | best (s) | median (s) | printed time, median (s) | |")
    print("|---|---:|---:|---:|---|")
    for name in commands:
        shown = f"{statistics.median(printed[name]):.2f}" if printed[name] else ""
        print(f"| `{name}` | {min(times[name]):.2f} | {statistics.median(times[name]):.2f} | {shown} | "
              f"{', '.join(sorted(notes[name]))} |")


def breakdown(nbs: dict[str, Path], runs: int) -> None:
    solved = {name: path for name, path in nbs.items() if name.endswith("solved")}
    columns: dict[str, dict[str, float]] = {}
    torch: dict[str, set] = {}
    for name, path in solved.items():
        samples: dict[str, list[float]] = {label: [] for label, _ in STEPS}
        samples["total"] = []
        torch[name] = set()
        for _ in range(runs):
            seconds, proc = spawn([sys.executable, "-c", TRACED, str(path)])
            data = json.loads(proc.stderr.strip().splitlines()[-1])
            marks = {**data["marks"], "exited": data["t0"] + seconds}
            last, loaded = data["t0"], marks.get(data["torch"])
            for label, event in STEPS:
                if event in marks:
                    samples[label].append(max(0.0, marks[event] - last))
                    if loaded is not None and last < loaded <= marks[event]:
                        torch[name].add(label)
                    last = marks[event]
            if loaded is None:
                torch[name].add("never")
            samples["total"].append(seconds)
        columns[name] = {label: statistics.median(v) for label, v in samples.items() if v}
    names = list(solved)
    print(f"\n## Where the time goes: median seconds of {runs} traced runs per notebook\n")
    print("| step | " + " | ".join(f"`{n}`" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for label in [label for label, _ in STEPS] + ["total"]:
        cells = [f"{columns[n][label]:.3f}" if label in columns[n] else "" for n in names]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("| PyTorch loaded during | " + " | ".join(", ".join(sorted(torch[n])) for n in names) + " |")


def child_startup(runs: int) -> None:
    from autograder import sandbox

    if sandbox.sandbox_mode() != "bwrap":
        print("\n(no bubblewrap here: the child's start-up is not measured)")
        return
    runtime = sandbox.runtime_dir("02")
    base = [*sandbox._bwrap_args(runtime, 64), "--", os.path.realpath(sys.executable), "-I", "-S", "-c"]
    tail = "from autograder.child import main; main()"
    variants = {
        "bwrap + Python (-I -S), nothing imported": "pass",
        "+ NumPy": sandbox.BOOTSTRAP.replace(tail, "import numpy"),
        "+ the child's imports (channel, probes, engine)": sandbox.BOOTSTRAP.replace(
            tail, "import numpy; from autograder import channel, probes; from autograder.engine import probe_case"),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, code in variants.items():
            start = time.time()
            proc = subprocess.run([*base, code, *sandbox._site_packages()], env=sandbox._child_env(),
                                  capture_output=True, timeout=120)
            times[name].append(time.time() - start)
            if proc.returncode:
                raise SystemExit(f"{name}: {proc.stderr.decode()[-2000:]}")
    print(f"\n## The child's start-up alone, without cgroups (best / median of {runs})\n")
    print("| in the sandbox | best (s) | median (s) |\n|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {min(values):.3f} | {statistics.median(values):.3f} |")


def slowest_imports(path: Path, top: int = 12) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "autograder", "check", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    rows = []
    for line in proc.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\S.*)$", line)
        if found and not found.group(3).startswith(" "):
            rows.append((int(found.group(2)) / 1e6, found.group(3)))
    print(f"\n## The parent's slowest top-level imports (`-X importtime`, check of {path.parent.name}/{path.name})\n")
    print("| module | cumulative (s) |\n|---|---:|")
    for seconds, name in sorted(rows, reverse=True)[:top]:
        print(f"| {name} | {seconds:.3f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chapters", nargs="+", default=["02", "03", "07"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    try:
        nbs = notebooks(args.chapters, work)
        print(f"notebooks in {work}; Python {sys.version.split()[0]}, {os.cpu_count()} cores")
        wall_clock(nbs, args.runs, work)
        breakdown(nbs, args.runs)
        child_startup(args.runs)
        slowest_imports(next(p for n, p in nbs.items() if n.endswith("solved")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
