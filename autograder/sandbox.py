"""Running a learner's notebook in a child process and bringing its outputs back as plain data.

The child executes the notebook's code cells (not its check cells) in a scratch directory under a wall-clock and
a memory limit, calls the learner's functions on the grader's inputs (`engine.probe_case`), and writes the outcomes
as JSON plus an .npz of arrays — formats that cannot carry code, so the trusted parent reads them safely and
judges them itself. Nothing the notebook does to numpy, builtins or the autograder in the child changes the verdict.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .engine import Case, Outcome

REQUEST, RESULT, ARRAYS, OUTPUT = "request.pkl", "result.json", "arrays.npz", "output.txt"


@dataclass
class Limits:
    timeout: float = 120.0  # seconds of wall clock for the whole notebook
    memory_mb: int = 4096  # address space of each process of the child
    output_kb: int = 1024  # what the child may print
    processes: int = 32  # processes and threads the child may run at once (bounds a fork bomb)
    isolate: bool = True  # as root: own network and mount namespaces, private /tmp, an unprivileged user


class SandboxError(Exception):
    """The notebook could not be run to the end: `status` is timeout, memory or crashed."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------------------------------------------------
# Plain-data encoding (child -> parent)
# ------------------------------------------------------------------------------------------------------------
def encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            return {"__repr__": f"array of dtype {value.dtype}"}
        key = f"a{len(arrays)}"
        arrays[key] = np.ascontiguousarray(value)
        return {"__array__": key}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"__scalar__": value.dtype.str, "v": value.item()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return {"__list__" if isinstance(value, list) else "__tuple__": [encode(v, arrays) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v, arrays) for k, v in value.items()}}
    return {"__repr__": f"{type(value).__name__} {repr(value)[:200]}"}


class Opaque:
    """A value the child could not send as data; it compares unequal to everything."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other) -> bool:
        return False

    __hash__ = None


def decode(value: Any, arrays) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            return arrays[value["__array__"]]
        if "__scalar__" in value:
            return np.dtype(value["__scalar__"]).type(value["v"])
        if "__list__" in value:
            return [decode(v, arrays) for v in value["__list__"]]
        if "__tuple__" in value:
            return tuple(decode(v, arrays) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: decode(v, arrays) for k, v in value["__dict__"].items()}
        return Opaque(str(value.get("__repr__", "?")))
    return value


# ------------------------------------------------------------------------------------------------------------
# Parent side
# ------------------------------------------------------------------------------------------------------------
def run_in_child(cells: list[str], requests: dict[str, list[list[Case]]], scratch: Path,
                 limits: Limits | None = None) -> dict:
    """Execute `cells`, then probe each exercise's groups of cases. Returns
    {"exercises": {name: {"found": bool, "module": str, "groups": [[Outcome]]}}, "cell_errors": [...],
     "output": str, "seconds": float}; raises SandboxError when the child does not finish."""
    limits = limits or Limits()
    scratch.mkdir(parents=True, exist_ok=True)
    plain = {name: [[Case(c.label, c.args, c.kwargs, probe=c.probe) for c in group] for group in groups]
             for name, groups in requests.items()}
    with open(scratch / REQUEST, "wb") as f:
        pickle.dump({"cells": cells, "exercises": plain}, f)
    uid = secrets.randbelow(60000) + 100000 if limits.isolate and os.geteuid() == 0 else None
    if uid is not None:
        os.chown(scratch, uid, uid)
        os.chown(scratch / REQUEST, uid, uid)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH")}
    env.update(MPLBACKEND="Agg", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", HOME=str(scratch), TMPDIR=str(scratch),
               MPLCONFIGDIR=str(scratch / ".matplotlib"), AUTOGRADER_LIMITS=json.dumps(asdict(limits)),
               AUTOGRADER_UID=str(uid or ""), AUTOGRADER_SANDBOX="1")
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder.sandbox", str(scratch)], cwd=scratch, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        _, stderr = proc.communicate(timeout=limits.timeout)
    except subprocess.TimeoutExpired:
        _kill_all(proc, uid)
        raise SandboxError("timeout", f"the notebook did not finish within {limits.timeout:g} s "
                                      "(an endless loop, or a very slow cell?)") from None
    finally:
        _kill_all(proc, uid)  # stray children (forks) go too
    seconds = time.monotonic() - start
    output = _read_capped(scratch / OUTPUT, limits.output_kb * 1024)
    stderr_text = stderr.decode("utf-8", "replace")[-2000:]
    if not (scratch / RESULT).exists():
        if proc.returncode in (-signal.SIGKILL,) or "MemoryError" in stderr_text or "MemoryError" in output[-2000:]:
            raise SandboxError("memory", f"the notebook ran out of memory (limit {limits.memory_mb} MB)")
        tail = (stderr_text or output)[-600:].strip()
        raise SandboxError("crashed", f"the notebook's process ended with exit code {proc.returncode} before "
                                      f"its functions could be called{': ' + tail if tail else ''}")
    data = json.loads((scratch / RESULT).read_text())
    with np.load(scratch / ARRAYS, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for info in data["exercises"].values():
        info["groups"] = [[Outcome(**{**o, "value": decode(o["value"], arrays),
                                      "error": tuple(o["error"]) if o["error"] else None})
                           for o in group] for group in info["groups"]]
    data["output"], data["seconds"] = output, seconds
    return data


def _kill_all(proc: subprocess.Popen, uid: int | None) -> None:
    """Kill the child's process group and, when it ran as its own user, every process of that user."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    if uid is None:
        return
    import psutil

    for _ in range(100):  # a fork bomb may still be forking: repeat until none is left
        left = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]
        if not left:
            return
        for p in left:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(left, timeout=1)


def _read_capped(path: Path, limit: int) -> str:
    if not path.exists():
        return ""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    text = data[:limit].decode("utf-8", "replace")
    return text + ("\n[... output cut]" if len(data) > limit else "")


# ------------------------------------------------------------------------------------------------------------
# Child side: python -m autograder.sandbox SCRATCH
# ------------------------------------------------------------------------------------------------------------
MAGIC = re.compile(r"^\s*[%!]")


def _isolate(scratch: Path, limits: Limits, uid: int | None) -> Path:
    """Confine this process before any learner code runs; returns the scratch directory as seen from inside.

    As root (a grading server, CI): new network namespace (no network), new mount namespace with fresh /tmp,
    /var/tmp and /dev/shm and the scratch directory bound at /tmp/work, then an unprivileged user of its own.
    Otherwise: the resource limits only."""
    import resource

    if uid is not None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        clone_newns, clone_newnet, ms_rec, ms_private, ms_bind, ms_move = 0x20000, 0x40000000, 1 << 14, 1 << 18, \
            1 << 12, 1 << 13
        # park the scratch directory on /mnt, cover the writable temp dirs with fresh tmpfs, move it to /tmp/work
        if (libc.unshare(clone_newns | clone_newnet) == 0
                and libc.mount(b"none", b"/", None, ms_rec | ms_private, None) == 0
                and libc.mount(str(scratch).encode(), b"/mnt", None, ms_bind, None) == 0):
            temps = ("/tmp", "/var/tmp", "/dev/shm")
            # code that lives under a temp dir (a checkout in /tmp) must stay visible under the fresh tmpfs
            here = Path(__file__).resolve().parent.parent
            needed = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, here)}
            keep = sorted(p for p in needed if any(p.startswith(t + "/") for t in temps)
                          and not any(p != q and p.startswith(q + "/") for q in needed))
            for i, path in enumerate(keep):
                os.mkdir(f"/mnt/.keep{i}")
                if libc.mount(path.encode(), f"/mnt/.keep{i}".encode(), None, ms_bind, None):
                    raise OSError(ctypes.get_errno(), f"sandbox: cannot keep {path}")
            for path in temps:
                if os.path.isdir(path) and libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"size=256m,mode=1777"):
                    raise OSError(ctypes.get_errno(), f"sandbox: cannot mount a private {path}")
            os.mkdir("/tmp/work")
            if libc.mount(b"/mnt", b"/tmp/work", None, ms_move, None):
                raise OSError(ctypes.get_errno(), "sandbox: cannot move the scratch directory to /tmp/work")
            scratch = Path("/tmp/work")
            for i, path in enumerate(keep):
                os.makedirs(path, exist_ok=True)
                if libc.mount(f"/tmp/work/.keep{i}".encode(), path.encode(), None, ms_move, None):
                    raise OSError(ctypes.get_errno(), f"sandbox: cannot put back {path}")
                os.rmdir(f"/tmp/work/.keep{i}")
            _expose_to_everyone([sys.base_prefix, sys.prefix, str(Path(__file__).resolve().parent.parent)], libc)
            os.environ.update(HOME=str(scratch), TMPDIR=str(scratch), MPLCONFIGDIR=str(scratch / ".matplotlib"))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.chdir(scratch)
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    out = (limits.output_kb + 64) * 1024 * 4
    resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = int(limits.timeout) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    return scratch


def _expose_to_everyone(paths: list[str], libc) -> None:
    """Inside our mount namespace, make `paths` reachable by an unprivileged user when an ancestor is not
    (e.g. Python under /root, mode 700): park each path, cover that ancestor with an empty tmpfs, put it back."""
    import ctypes

    ms_bind, ms_move = 1 << 12, 1 << 13
    todo = []  # (path, closed ancestor, park)
    for path in dict.fromkeys(os.path.realpath(p) for p in paths):
        closed = [a for a in reversed(Path(path).parents) if a != Path("/") and not os.stat(a).st_mode & 0o001]
        if closed:
            todo.append((path, str(closed[0]), f"/tmp/.park{len(todo)}"))

    def mount(source, target, fstype, flags, data):
        if libc.mount(source.encode(), target.encode(), fstype, flags, data):
            raise OSError(ctypes.get_errno(), f"sandbox: cannot mount {source} on {target}")

    for path, _, park in todo:
        os.mkdir(park)
        mount(path, park, None, ms_bind, None)
    for closed in dict.fromkeys(c for _, c, _ in todo):
        mount("tmpfs", closed, b"tmpfs", 0, b"size=1m,mode=0755")
    for path, _, park in todo:
        os.makedirs(path, exist_ok=True)
        mount(park, path, None, ms_move, None)


def _child(scratch: Path) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # too much output: writes fail instead of killing us
    uid = os.environ.pop("AUTOGRADER_UID", "")
    scratch = _isolate(scratch, Limits(**json.loads(os.environ.pop("AUTOGRADER_LIMITS"))), int(uid) if uid else None)
    with open(scratch / REQUEST, "rb") as f:
        request = pickle.load(f)
    out = os.open(scratch / OUTPUT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    saved = os.dup(1)
    os.dup2(out, 1)
    os.dup2(out, 2)
    from .engine import probe_case  # imported before the learner's code can touch it

    namespace: dict[str, Any] = {"__name__": "__main__"}
    cell_errors = []
    for i, source in enumerate(request["cells"], 1):
        source = "\n".join("pass  # " + line if MAGIC.match(line) else line for line in source.split("\n"))
        try:
            exec(compile(source, f"<cell {i}>", "exec"), namespace)
        except BaseException as exc:  # noqa: B036 - a learner's SystemExit or KeyboardInterrupt is data too
            if isinstance(exc, MemoryError):
                raise
            cell_errors.append(f"code cell {i}: {type(exc).__name__}: {str(exc)[:300]}")
    exercises = {}
    arrays: dict[str, np.ndarray] = {}
    for name, groups in request["exercises"].items():
        fn = namespace.get(name)
        info = {"found": callable(fn), "module": str(getattr(fn, "__module__", "") or ""), "groups": []}
        for group in groups:
            outcomes = [probe_case(fn, case) if callable(fn) else Outcome(error=("NameError", f"{name} is not defined"))
                        for case in group]
            info["groups"].append([{**asdict(o), "value": encode(o.value, arrays)} for o in outcomes])
        exercises[name] = info
    sys.stdout.flush()
    os.dup2(saved, 1)
    np.savez(scratch / ARRAYS, **arrays)
    tmp = scratch / (RESULT + ".tmp")
    tmp.write_text(json.dumps({"exercises": exercises, "cell_errors": cell_errors}))
    tmp.replace(scratch / RESULT)
    os._exit(0)  # skip the learner's atexit handlers and threads


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
