"""The sandboxed child: runs a learner's notebook and probes its functions. Runs inside the sandbox only.

    python -I -S -c "<bootstrap>"   (see sandbox.py)

stdin: the request, pickled by the trusted parent: {"cells": [(number, source)], "names": [every exercise of the
chapter], "exercises": {name: [(args, kwargs, probe name)]}, "limits": {...}} — the cases of each exercise (the ones
still to probe), visible and hidden merged and shuffled, without labels, flags or seeds, so nothing in this process
tells a hidden case from a visible one.
fd AUTOGRADER_CHANNEL_FD: the result, as it goes: one JSON message per line (autograder.channel.Reader) — "cell"
before each cell, "cells" after them, "exercise" before each exercise's cases, an "outcome" per case, "end". The
parent's clock gives the top-level code and each exercise a time budget of its own: when one runs out, the parent
kills this process and starts a fresh one for the rest (skipping the cell that hung, or going on with the next
exercise).
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


class _Stream:
    """The channel, written as it goes: one JSON message per line (autograder.channel), so that the parent's clock
    knows which cell or exercise is running and can stop just that one."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, message: dict) -> None:
        from autograder.channel import VERSION, dumps

        data = dumps({"v": VERSION, **message}) + b"\n"
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]


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

    stream = _Stream(fd)

    def out_of_memory():
        stream.send({"t": "memory"})
        os._exit(0)

    names = list(request["names"])
    namespace: dict = {"__name__": "__main__"}
    cell_errors: list[str] = []
    for i, source in request["cells"]:
        stream.send({"t": "cell", "i": i})
        source = "\n".join("pass  # " + line if MAGIC.match(line) else line for line in source.split("\n"))
        try:
            exec(compile(source, f"<cell {i}>", "exec"), namespace)
        except MemoryError:
            out_of_memory()
        except BaseException as exc:  # noqa: B036 - a learner's SystemExit or KeyboardInterrupt is data too
            if len(cell_errors) < channel.MAX_CELL_ERRORS:
                cell_errors.append(channel.short(f"code cell {i}: {type(exc).__name__}: {channel.short(exc)}", 600))
    stream.send({"t": "cells", "errors": cell_errors})
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
    for name, calls in request["exercises"].items():
        fn = namespace.get(name)
        found = callable(fn)
        try:
            called = [n for n in _names_called(fn, [n for n in names if n != name]) if n in names] if found else []
        except Exception:
            called = []
        stream.send({"t": "exercise", "name": name, "found": found, "called": called[:channel.MAX_CALLED]})
        for args, kwargs, probe in calls:
            if not found:
                outcome = Outcome(error=("NameError", f"{name} is not defined"))
            else:
                try:
                    outcome = probe_case(fn, Case("", args, kwargs, probe=getattr(probes, probe) if probe else None))
                except MemoryError:
                    out_of_memory()
                except BaseException as exc:  # noqa: B036 - SystemExit and friends from the learner's function
                    outcome = Outcome(error=(type(exc).__name__, channel.short(exc, 500)))
            try:
                encoded = channel.encode_outcome(outcome)
            except Exception as exc:  # a learner's object that breaks even the encoder
                encoded = channel.encode_outcome(Outcome(error=("TypeError", f"unreadable result: "
                                                                 f"{type(exc).__name__}")))
            stream.send({"t": "outcome", "o": encoded})
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    stream.send({"t": "end"})
    os._exit(0)  # skip the learner's atexit handlers and threads


if __name__ == "__main__":
    main()
