"""The sandboxed child: runs a learner's notebook and probes its functions. Runs inside the sandbox only.

    python -I -S -c "<bootstrap>"   (see sandbox.py)

stdin: the request, pickled by the trusted parent: {"cells": [source], "exercises": {name: [(args, kwargs,
probe name)]}, "limits": {...}} — the cases of each exercise, visible and hidden merged and shuffled, without labels,
flags or seeds, so nothing in this process tells a hidden case from a visible one.
fd AUTOGRADER_CHANNEL_FD: the result, one JSON document (autograder.channel), written once at the end.
stdout/stderr: the learner's output (a pipe the parent reads, capped).

This file sees only the sandbox's course runtime: autograder/{engine,probes,channel,child}.py and the reference of
the chapters *before* the graded one.
"""

from __future__ import annotations

import os
import pickle
import re
import resource
import signal
import sys

MAGIC = re.compile(r"^\s*[%!]")


def _limit(limits: dict) -> None:
    memory = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = int(limits["scratch_mb"]) * 1024 * 1024  # no file larger than the private /tmp
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = int(limits["timeout"]) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    nproc = limits.get("nproc")
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def _send(fd: int, document: dict) -> None:
    from autograder.channel import dumps

    data = dumps(document)
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
    os.close(fd)


def main() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too much output: writes fail instead of killing us
    fd = int(os.environ.pop("AUTOGRADER_CHANNEL_FD"))
    request = pickle.loads(sys.stdin.buffer.read())
    os.close(0)
    _limit(request["limits"])
    import numpy as np  # noqa: F401 - imported before the learner's code can shadow it

    from autograder import channel, probes
    from autograder.engine import Case, Outcome, probe_case
    from autograder.engine import names_called as _names_called

    names = list(request["exercises"])
    namespace: dict = {"__name__": "__main__"}
    cell_errors: list[str] = []
    for i, source in enumerate(request["cells"], 1):
        source = "\n".join("pass  # " + line if MAGIC.match(line) else line for line in source.split("\n"))
        try:
            exec(compile(source, f"<cell {i}>", "exec"), namespace)
        except MemoryError:
            _send(fd, {"v": channel.VERSION, "status": "memory", "cell_errors": []})
            os._exit(0)
        except BaseException as exc:  # noqa: B036 - a learner's SystemExit or KeyboardInterrupt is data too
            if len(cell_errors) < channel.MAX_CELL_ERRORS:
                cell_errors.append(channel.short(f"code cell {i}: {type(exc).__name__}: {channel.short(exc)}", 600))
    own = None
    if request.get("own_module"):
        try:
            import importlib

            own = importlib.import_module(request["own_module"])
        except Exception:
            own = None
    if own is not None:  # the chapter's helpers (imported by the injected reference) call the learner's exercises
        for name in names:
            if name not in vars(own) and name in namespace:
                setattr(own, name, namespace[name])
    exercises = {}
    for name, calls in request["exercises"].items():
        fn = namespace.get(name)
        found = callable(fn)
        try:
            called = [n for n in _names_called(fn, [n for n in names if n != name]) if n in names] if found else []
        except Exception:
            called = []
        outcomes = []
        for args, kwargs, probe in calls:
            if not found:
                outcome = Outcome(error=("NameError", f"{name} is not defined"))
            else:
                try:
                    outcome = probe_case(fn, Case("", args, kwargs, probe=getattr(probes, probe) if probe else None))
                except MemoryError:
                    _send(fd, {"v": channel.VERSION, "status": "memory", "cell_errors": []})
                    os._exit(0)
                except BaseException as exc:  # noqa: B036 - SystemExit and friends from the learner's function
                    outcome = Outcome(error=(type(exc).__name__, channel.short(exc, 500)))
            try:
                outcomes.append(channel.encode_outcome(outcome))
            except Exception as exc:  # a learner's object that breaks even the encoder
                outcomes.append(channel.encode_outcome(Outcome(error=("TypeError", f"unreadable result: "
                                                                      f"{type(exc).__name__}"))))
        exercises[name] = {"found": found, "called": called[:channel.MAX_CALLED], "outcomes": outcomes}
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    _send(fd, {"v": channel.VERSION, "status": "ok", "cell_errors": cell_errors, "exercises": exercises})
    os._exit(0)  # skip the learner's atexit handlers and threads


if __name__ == "__main__":
    main()
