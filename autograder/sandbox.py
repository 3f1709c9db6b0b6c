"""Running a learner's notebook in a sandbox and bringing its outcomes back as checked, plain data.

The child (autograder/child.py) runs in a bubblewrap sandbox (`bwrap`, Debian's package `bubblewrap`):

* new user, PID, network, IPC, UTS and cgroup namespaces; no capabilities; a new session; it dies with the grader
  (`--die-with-parent`: when the grader dies, or when it kills the sandbox at the deadline, every process of the
  sandbox's PID namespace goes with it);
* a filesystem of its own: read-only /usr, the Python installation and the virtual environment (their real paths),
  a read-only course runtime at /course (autograder/{engine,probes,channel,child}.py, the ranks file, and the
  reference of the chapters *before* the graded one, nothing else), a fresh /proc and minimal /dev, and a
  size-limited tmpfs at /tmp that is its working directory, HOME and TMPDIR. The repository, the course directory,
  other submissions, results and the gradebook are not mounted at all;
* as root, its own cgroups (v1 memory and pids controllers, or v2): a memory limit on the whole process tree, whose
  OOM counter is the only source of the status `memory` besides the child's own MemoryError report, and a process
  limit (a fork bomb stops there);
* resource limits (address space, CPU time, file size, no core files).

The request goes in on stdin (pickled by the parent: trusted data); the result comes back on a pipe as one JSON
document checked by autograder.channel; the learner's stdout/stderr go to another pipe read up to a cap.
Statuses come from the parent's own clock (timeout), the cgroup's OOM counter (memory), and the channel (crashed,
invalid-output) — never from text the learner printed.

Where bwrap cannot create its namespaces (see `sandbox_mode`), grading refuses unless asked explicitly to run
without a sandbox (`--no-sandbox`, Limits(sandbox=False)).
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import functools
import hashlib
import json
import os
import pickle
import re
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import channel

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_MODULES = ("engine.py", "probes.py", "channel.py", "child.py", "figures.py")
RUNTIME_INIT = '''"""The course runtime inside the grading sandbox (a few modules of the autograder, no exercises)."""


def check(*args, **kwargs):
    """In the sandbox the grader calls your functions itself: a check does nothing here."""
    return None
'''
BOOTSTRAP = ("import sys; sys.path[:] = ['/course', *sys.argv[1:]] + [p for p in sys.path if p.endswith('.zip') or "
             "'lib-dynload' in p or p.rstrip('/').split('/')[-1].startswith('python3')]; "
             "del sys.argv[1:]; from autograder.child import main; main()")


@dataclass
class Limits:
    timeout: float = 600.0  # seconds of wall clock for the whole notebook (every budget below together)
    cell_timeout: float = 120.0  # the top-level code's budget: a cell still running then is skipped
    exercise_timeout: float = 60.0  # each exercise's budget: a function still running then loses its other cases
    memory_mb: int = 4096  # memory of the whole sandbox (cgroup) and address space of each of its processes
    output_kb: int = 1024  # what the child may print
    processes: int = 64  # processes and threads the sandbox may run at once (bounds a fork bomb)
    scratch_mb: int = 256  # the sandbox's private /tmp
    judge_timeout: float = 120.0  # seconds the trusted parent may spend judging one notebook's outcomes
    sandbox: bool = True  # False: run without isolation (only when asked explicitly, e.g. --no-sandbox)

    ENV = {"timeout": "AUTOGRADER_NOTEBOOK_TIMEOUT", "cell_timeout": "AUTOGRADER_CELL_TIMEOUT",
           "exercise_timeout": "AUTOGRADER_EXERCISE_TIMEOUT", "memory_mb": "AUTOGRADER_MEMORY_MB"}

    @classmethod
    def from_env(cls, **overrides) -> Limits:
        """The defaults, or $AUTOGRADER_NOTEBOOK_TIMEOUT, $AUTOGRADER_CELL_TIMEOUT, $AUTOGRADER_EXERCISE_TIMEOUT,
        $AUTOGRADER_MEMORY_MB where set — the same limits on every path (CLI, nbgrader, Gradescope)."""
        values = {}
        for field, var in cls.ENV.items():
            if os.environ.get(var):
                values[field] = type(getattr(cls, field))(float(os.environ[var]))
        return cls(**{**values, **overrides})


class SandboxError(Exception):
    """The notebook could not be run to the end: `status` is timeout, memory, crashed or invalid-output."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine, and running without one was not asked for."""


# ------------------------------------------------------------------------------------------------------------
# What this machine can do
# ------------------------------------------------------------------------------------------------------------
def _real(path: str) -> str:
    return os.path.realpath(path)


def _site_packages() -> list[str]:
    """The installed packages' directories (the venv's, or site-packages/dist-packages on sys.path) — never the
    repository, which an editable install also puts on sys.path."""
    import sysconfig

    paths = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    paths += [p for p in sys.path if os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")]
    return [p for p in dict.fromkeys(_real(p) for p in paths) if os.path.isdir(p)]


def _bwrap_args(runtime: str, scratch_mb: int) -> list[str]:
    bwrap = shutil.which("bwrap") or "/usr/bin/bwrap"
    args = [bwrap, "--unshare-all", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/bin", "/bin",
            "--symlink", "usr/sbin", "/sbin"]
    if os.path.isdir("/usr/lib64"):
        args += ["--symlink", "usr/lib64", "/lib64"]
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime"):
        args += ["--ro-bind-try", etc, etc]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(scratch_mb * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp"]
    # after /tmp: a Python or a venv that lives under /tmp (a CI checkout) is mounted on top of the private /tmp
    for path in dict.fromkeys(_real(p) for p in (sys.base_prefix, sys.prefix, *_site_packages())):
        args += ["--ro-bind", path, path]
    args += ["--ro-bind", runtime, "/course", "--chdir", "/tmp", "--uid", "1000", "--gid", "1000"]
    return args


def _child_env() -> dict:
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp", "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": "/tmp/.matplotlib", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
            "TIKTOKEN_CACHE_DIR": ""}


@functools.cache
def sandbox_mode() -> str:
    """"bwrap" when bubblewrap can create its namespaces here (root, root without CAP_SYS_ADMIN through a user
    namespace, or a normal user where user namespaces are allowed), else "none". Tried once per process."""
    if not shutil.which("bwrap"):
        return "none"
    runtime = tempfile.mkdtemp(prefix="autograder-probe-")
    os.chmod(runtime, 0o755)
    try:
        proc = subprocess.run([*_bwrap_args(runtime, 16), _real(sys.executable), "-I", "-S", "-c", "print('ok')"],
                              env=_child_env(), capture_output=True, text=True, timeout=60)
        return "bwrap" if proc.returncode == 0 and proc.stdout.strip() == "ok" else "none"
    except (OSError, subprocess.SubprocessError):
        return "none"
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def describe_mode(limits: Limits) -> str:
    if not limits.sandbox:
        return "no sandbox (--no-sandbox): learner code runs with this user's rights and sees its files"
    if sandbox_mode() == "bwrap":
        groups = "cgroup limits on memory and processes" if _cgroup_roots() else \
            "no cgroups (not root): per-process memory limit only"
        return f"bubblewrap sandbox ({groups})"
    return "no sandbox available"


def require_sandbox(limits: Limits) -> None:
    """Raise SandboxUnavailable unless the notebook can be isolated or running without isolation was asked for."""
    if limits.sandbox and sandbox_mode() != "bwrap":
        raise SandboxUnavailable(
            "cannot isolate learner code on this machine: bubblewrap (`bwrap`, Debian package `bubblewrap`) is "
            "missing or cannot create user namespaces here (a container whose seccomp profile blocks them, or "
            "user.max_user_namespaces = 0). Install bubblewrap / allow user namespaces, or pass --no-sandbox to grade "
            "WITHOUT isolation (learner code then runs with your rights and can read your files).")


# ------------------------------------------------------------------------------------------------------------
# cgroups: limits on the whole process tree (root only)
# ------------------------------------------------------------------------------------------------------------
@functools.cache
def _cgroup_roots() -> dict[str, Path]:
    """{"memory": dir, "pids": dir} (cgroup v1) or {"v2": dir}, where we may create cgroups; {} when not root."""
    if os.geteuid() != 0:
        return {}
    base = Path("/sys/fs/cgroup")
    roots = {}
    if (base / "cgroup.controllers").is_file():  # v2 only
        controllers = (base / "cgroup.controllers").read_text().split()
        if {"memory", "pids"} <= set(controllers):
            try:
                (base / "cgroup.subtree_control").write_text("+memory +pids")
                roots["v2"] = base
            except OSError:
                return {}
    else:
        for name in ("memory", "pids"):
            if (base / name / "tasks").is_file():
                roots[name] = base / name
    for key, path in list(roots.items()):
        target = path / "autograder"
        try:
            target.mkdir(exist_ok=True)
            if key == "v2":
                (target / "cgroup.subtree_control").write_text("+memory +pids")
            roots[key] = target
        except OSError:
            return {}
    if "v2" not in roots and set(roots) != {"memory", "pids"}:
        return {}
    for path in roots.values():  # cgroups left behind by a grader that was killed
        for stale in path.glob("run-*"):
            pid = stale.name.split("-")[1]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                with contextlib.suppress(OSError):
                    stale.rmdir()
    return roots


class _Cgroups:
    def __init__(self, limits: Limits):
        self.dirs: list[Path] = []
        self.memory: Path | None = None
        roots = _cgroup_roots()
        if not roots:
            return
        name = f"run-{os.getpid()}-{secrets.token_hex(6)}"
        memory = (limits.memory_mb + limits.scratch_mb + 64) * 1024 * 1024
        try:
            if "v2" in roots:
                d = roots["v2"] / name
                d.mkdir()
                self.dirs.append(d)
                (d / "memory.max").write_text(str(memory))
                with contextlib.suppress(OSError):
                    (d / "memory.swap.max").write_text("0")
                (d / "pids.max").write_text(str(limits.processes))
                self.memory = d
            else:
                m, p = roots["memory"] / name, roots["pids"] / name
                m.mkdir()
                self.dirs.append(m)
                p.mkdir()
                self.dirs.append(p)
                (m / "memory.limit_in_bytes").write_text(str(memory))
                with contextlib.suppress(OSError):
                    (m / "memory.memsw.limit_in_bytes").write_text(str(memory))
                (p / "pids.max").write_text(str(limits.processes))
                self.memory = m
        except OSError:
            self.close()
            self.dirs, self.memory = [], None

    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def oom_killed(self) -> bool:
        if self.memory is None:
            return False
        for name in ("memory.events", "memory.oom_control"):
            with contextlib.suppress(OSError, ValueError):
                for line in (self.memory / name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key in ("oom_kill", "oom") and int(value) > 0:
                        return True
        return False

    def kill_all(self) -> None:
        for _ in range(50):
            pids = set()
            for d in self.dirs:
                with contextlib.suppress(OSError, ValueError):
                    pids |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def close(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


# ------------------------------------------------------------------------------------------------------------
# The course runtime the child sees at /course
# ------------------------------------------------------------------------------------------------------------
_RUNTIMES: dict[tuple, str] = {}
_RUNTIME_LOCK = threading.Lock()
CACHE_FORMAT = 1  # bump when the meaning of a cached fact changes
CACHE_DAYS = 1  # facts of other sources (an older checkout) are removed this long after they were written


def _chapter_modules() -> dict[str, list[str]]:
    """The reference's index {module: [public names]}, read from the sources (nothing of the reference imported)."""
    from solutions import index

    return index(ROOT / "solutions")


def _chapter_module(chapter: str | None) -> str | None:
    """The reference module of `chapter` ("ch02_layer_norm"), or None."""
    return next((m for m in _chapter_modules() if chapter and m.startswith(f"ch{chapter}_")), None)


# Facts read from the repository (which autograder modules the runtime needs, what a chapter's cells import) cost
# parsing whole modules and chapters (jupytext, nbformat, the reference): they are kept between runs in a cache
# directory, under a digest of every file they are made from, and checked again when read.
def _cache_root() -> Path | None:
    """$AUTOGRADER_CACHE_DIR (empty: no cache), else $XDG_CACHE_HOME/autograder or ~/.cache/autograder — used only
    when it is a directory of this user's that nobody else may write (it is created 0700); else None."""
    where = os.environ.get("AUTOGRADER_CACHE_DIR")
    if where is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        if not os.path.isabs(base):  # no home directory
            return None
        where = os.path.join(base, "autograder")
    if not where:
        return None
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        st = os.stat(where)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        return None
    return Path(os.path.abspath(where))


def _digest_sources() -> str:
    """A digest of every file the cached facts are made from: the autograder, the reference, the chapters."""
    digest = hashlib.sha256(f"autograder facts {CACHE_FORMAT} {sys.version}".encode())
    for folder, pattern in (("autograder", "**/*.py"), ("solutions", "*.py"), ("chapters", "*.md")):
        for path in sorted((ROOT / folder).glob(pattern)):
            data = path.read_bytes()
            name = str(path.relative_to(ROOT)).encode()
            digest.update(b"%d:%s%d:" % (len(name), name, len(data)) + data)
    return digest.hexdigest()[:32]


_sources_digest = functools.cache(_digest_sources)  # once per process, as the runtimes themselves


def _cached_fact(name: str, compute, valid):
    """compute() (JSON data), from the cache when there under the current sources' digest and `valid`."""
    root = _cache_root()
    if root is None:
        return compute()
    digest = _sources_digest()
    path = root / f"{name}-{digest}.json"
    with contextlib.suppress(OSError, ValueError, RecursionError):
        value = json.loads(path.read_text())
        if valid(value):
            return value
    value = compute()
    if _digest_sources() != digest:  # the sources changed meanwhile: what was computed is not filed under `digest`
        return value
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(value, f)
        os.replace(tmp, path)
        tmp = None
        cutoff = time.time() - CACHE_DAYS * 86400
        for old in root.glob("*.json"):
            with contextlib.suppress(OSError):
                if digest not in old.name and old.stat().st_mtime < cutoff:
                    old.unlink()
    except OSError:
        pass
    finally:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return value


def _names(value, pattern: str = r"[A-Za-z_][A-Za-z0-9_]*") -> bool:
    return type(value) is list and all(type(v) is str and re.fullmatch(pattern, v) for v in value)


_NOT_IN_RUNTIME = {"exercises", "grading", "batch", "sandbox", "course", "notebooks", "nbgrader_ext", "__main__"}


@functools.cache
def _runtime_modules() -> tuple[str, ...]:
    """RUNTIME_MODULES and the autograder modules they import (never the exercises, never the grader's own)."""
    def valid(found) -> bool:
        return _names(found, r"[a-z_][a-z0-9_]*\.py") and set(RUNTIME_MODULES) <= set(found) and not any(
            name[:-3] in _NOT_IN_RUNTIME or not (ROOT / "autograder" / name).is_file() for name in found)

    return tuple(_cached_fact("runtime-modules", _find_runtime_modules, valid))


def _find_runtime_modules() -> list[str]:
    todo, found = list(RUNTIME_MODULES), []
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.append(name)
        for node in ast.walk(ast.parse((ROOT / "autograder" / name).read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                modules = [node.module] if node.module else [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder."):
                modules = [node.module.split(".")[1]]
            else:
                continue
            for module in modules:
                module = module.split(".")[0]
                if module not in _NOT_IN_RUNTIME and (ROOT / "autograder" / f"{module}.py").is_file():
                    todo.append(f"{module}.py")
    return found


def earlier_modules(chapter: str | None) -> dict[str, list[str]]:
    """The reference modules a notebook of `chapter` may import: the chapters before it, and params."""
    out = {}
    from .notebooks import chapter_number

    for module, names in _chapter_modules().items():
        number = chapter_number(module)
        if module == "params" or (chapter and number is not None and int(number) < int(chapter)):
            out[module] = names
    return out


def _data_files() -> list[Path]:
    """The course data the runtime carries: the BPE ranks; chapter 09 (gpt2_generate) runs the shipped course model."""
    model = ROOT / "data" / "course_model"
    return sorted((ROOT / "data").glob("*.tiktoken")) + [model / name for name in ("config.json", "model.safetensors")
                                                         if (model / name).is_file()]


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file is already readable by all (no copy of the 14 MB model per process), else a copy
    made readable. The sandbox mounts the runtime read-only: a link is no more writable there than a copy."""
    if os.stat(source).st_mode & 0o444 == 0o444:
        with contextlib.suppress(OSError):
            os.link(source, target)
            return
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)


def runtime_dir(chapter: str | None, copied: frozenset = frozenset()) -> str:
    """A read-only directory (built once per chapter, `copied` and process) mounted at /course in the sandbox."""
    key = (chapter or "", copied)
    with _RUNTIME_LOCK:
        if key in _RUNTIMES and os.path.isdir(_RUNTIMES[key]):
            return _RUNTIMES[key]
        root = Path(tempfile.mkdtemp(prefix=f"autograder-runtime-{chapter or ''}-"))
        atexit.register(shutil.rmtree, root, True)
        (root / "autograder").mkdir()
        (root / "autograder" / "__init__.py").write_text(RUNTIME_INIT)
        for name in _runtime_modules():
            shutil.copyfile(ROOT / "autograder" / name, root / "autograder" / name)
        modules = earlier_modules(chapter)
        (root / "solutions").mkdir()
        for module in modules:
            shutil.copyfile(ROOT / "solutions" / f"{module}.py", root / "solutions" / f"{module}.py")
        own = _own_helpers(chapter, copied)
        if own:
            module, names, source = own
            (root / "solutions" / f"{module}.py").write_text(source)
            modules = {**modules, module: names}
        (root / "solutions" / "__init__.py").write_text(_solutions_init(modules))
        (root / "data").mkdir()
        if (ROOT / "data" / "course_model").is_dir():
            (root / "data" / "course_model").mkdir()
        for path in [root, *root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        for data in _data_files():
            _link_or_copy(data, root / data.relative_to(ROOT))
        _RUNTIMES[key] = str(root)
        return str(root)


@functools.cache
def _reference_cells(chapter: str | None) -> tuple[tuple[str, frozenset], ...]:
    """The answer cells of nbgrader's source notebook (the reference injected) that import helpers of their own
    chapter's module — chapter 07: checkpoint_layout, Transformer; chapter 08: last_row, mha_cached — with the
    names they import."""
    module = _chapter_module(chapter)
    if module is None:
        return ()

    def valid(cells) -> bool:
        return type(cells) is list and all(type(c) is list and len(c) == 2 and type(c[0]) is str and _names(c[1])
                                           for c in cells)

    cells = _cached_fact(f"reference-cells-{chapter}", lambda: _find_reference_cells(chapter, module), valid)
    return tuple((source, frozenset(names)) for source, names in cells)


def _find_reference_cells(chapter: str, module: str) -> list:
    from .notebooks import cell_role, chapter_path, source_notebook

    out = []
    for cell in source_notebook(chapter_path(chapter)).cells:
        if cell_role(cell) != "answer":
            continue
        names = {a.name for node in ast.walk(ast.parse(cell.source))
                 if isinstance(node, ast.ImportFrom) and node.module == f"solutions.{module}" for a in node.names}
        if names:
            out.append([cell.source.strip(), sorted(names)])
    return out


def copied_helpers(chapter: str | None, cells: list[str]) -> frozenset:
    """The helpers of the chapter's own reference that the notebook may import: only those imported by a reference
    answer cell the notebook holds verbatim (the course's solved notebook; a learner who copied the reference). A
    learner who writes `from solutions.ch07_gpt2 import Transformer` in their own code gets nothing."""
    module = _chapter_module(chapter)
    cells = [cell for cell in cells if isinstance(cell, str)]
    if module is None or not any(module in cell for cell in cells):
        return frozenset()  # such a reference cell names its module (`from solutions.ch07_gpt2 import ...`)
    names: set = set()
    for source, imported in _reference_cells(chapter):
        if any(source in cell for cell in cells):
            names |= imported
    return frozenset(names)


@functools.cache
def _code_imports(chapter: str) -> frozenset[str]:
    """The names the released chapter's code cells (not answers, checks or demos) import from `solutions`."""
    def find() -> list[str]:
        from .notebooks import cell_role, chapter_path, parse_cell, read_notebook

        wanted = set()
        for cell in read_notebook(chapter_path(chapter)).cells:
            tree = parse_cell(cell.source) if cell_role(cell) == "code" else None
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "solutions":
                    wanted |= {a.name for a in node.names}
        return sorted(wanted)

    return frozenset(_cached_fact(f"code-imports-{chapter}", find, _names))


@functools.cache
def _own_helpers(chapter: str | None, copied: frozenset = frozenset()) -> tuple[str, list[str], str] | None:
    """The graded chapter's own reference module, cut down to the helpers its released notebook's code cells import
    from `solutions` (chapter 01: load_ranks, gpt2_tokenizer), the `copied` ones (see copied_helpers), and what
    they need — never an exercise. -> (module, names, source) or None."""
    module = _chapter_module(chapter)
    if module is None:
        return None
    from .engine import exercises_of

    exercises = {e.name for e in exercises_of(chapter)}
    public = set(_chapter_modules()[module])
    if not (public | set(copied)) - exercises:
        return None  # every public name is an exercise (chapters 02, 03): nothing to read the chapter for
    wanted = (_code_imports(chapter) & public) | set(copied)
    wanted -= exercises
    if not wanted:
        return None
    tree = ast.parse((ROOT / "solutions" / f"{module}.py").read_text())
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    keep, todo = set(), list(wanted)
    while todo:
        name = todo.pop()
        if name in keep or name not in defs or name in exercises:
            continue
        keep.add(name)
        todo += [n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)]
    body = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef)) or n.name in keep]
    source = ast.unparse(ast.Module(body=body, type_ignores=[])) + "\n"
    return module, sorted(wanted & keep & public), source


def _solutions_init(modules: dict[str, list[str]]) -> str:
    return f'''"""The course's reference, as the grading sandbox sees it: only the chapters before the graded one."""

import importlib

_MODULES = {modules!r}
_WHERE = {{name: module for module, names in _MODULES.items() for name in names}}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'solutions' has no attribute {{name!r}} (in the grader, only the reference "
                             "of earlier chapters is available)")
    value = getattr(importlib.import_module(f".{{_WHERE[name]}}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
'''


# ------------------------------------------------------------------------------------------------------------
# Parent side
# ------------------------------------------------------------------------------------------------------------
def _command(runtime: str, limits: Limits) -> list[str]:
    python = [_real(sys.executable), "-I", "-S", "-c", BOOTSTRAP, *_site_packages()]
    if not limits.sandbox:
        return python
    return [*_bwrap_args(runtime, limits.scratch_mb), "--", *python]


def _nproc(limits: Limits) -> int | None:
    """Without cgroups the process limit is RLIMIT_NPROC, which counts every process of the user."""
    if _cgroup_roots() or os.geteuid() == 0:
        return None
    try:
        import psutil

        mine = sum(1 + max(0, (p.info["num_threads"] or 1) - 1) for p in psutil.process_iter(["uids", "num_threads"])
                   if p.info["uids"] and p.info["uids"].real == os.getuid())
    except Exception:
        mine = 256
    return mine + limits.processes * 4


MAX_SKIPPED_CELLS = 5  # top-level cells skipped for running past their budget before the notebook is a timeout


def budget_error(name: str, seconds: float) -> tuple[str, str]:
    return ("TimeoutError", f"{name} did not return within its time budget of {seconds:g} s (an endless loop, or "
                            "far too slow?); its remaining cases were not run")


def run_in_child(cells: list[str], calls: dict[str, list[tuple]], chapter: str | None,
                 limits: Limits | None = None) -> dict:
    """Run `cells` in the sandbox, then call each exercise's function on its (args, kwargs, probe name) calls.

    Time budgets, on the parent's clock: the top-level code (the cells) gets `limits.cell_timeout`, each exercise
    `limits.exercise_timeout`, the whole notebook `limits.timeout`. When a cell runs past the top-level budget, the
    child is killed and a fresh one runs the notebook again without that cell (noted in `cell_errors`); when an
    exercise runs past its budget, its remaining cases get a TimeoutError that names it and a fresh child goes on
    with the next exercise. So an endless loop costs only the exercise (or the cell) it is in.

    Returns {"status", "cell_errors", "exercises": {name: {"found", "called", "outcomes"}}, "over_budget": [names],
    "output", "seconds"}; raises SandboxError (timeout, memory, crashed, invalid-output) when the notebook as a
    whole could not be run."""
    limits = limits or Limits()
    require_sandbox(limits)
    copied = copied_helpers(chapter, cells)
    runtime = runtime_dir(chapter, copied)
    own = _own_helpers(chapter, copied)
    start = time.monotonic()
    deadline = start + limits.timeout
    numbered = list(enumerate(cells, 1))
    skipped: list[int] = []
    remaining = dict(calls)
    exercises: dict[str, dict] = {}
    over_budget: list[str] = []
    cell_errors: list[str] = []
    output, overflow = bytearray(), False
    budget = channel._Budget()
    for _ in range(len(calls) + MAX_SKIPPED_CELLS + 1):
        reader = channel.Reader({name: len(c) for name, c in remaining.items()}, list(calls), budget)
        request = {"cells": [c for c in numbered if c[0] not in skipped], "names": list(calls),
                   "exercises": remaining, "own_module": f"solutions.{own[0]}" if own else None,
                   "limits": {**asdict(limits), "timeout": max(1.0, deadline - time.monotonic()),
                              "nproc": _nproc(limits)}}
        stop, text, cut = _run_once(pickle.dumps(request, protocol=4), runtime, limits, deadline, reader)
        output += text[:max(0, limits.output_kb * 1024 - len(output))]
        overflow = overflow or cut or len(text) > limits.output_kb * 1024
        if reader.cell_errors is not None:
            cell_errors = reader.cell_errors
        for name, entry in reader.exercises.items():
            if len(entry["outcomes"]) == len(remaining[name]):
                exercises[name] = entry
                del remaining[name]
        if stop == "done" or (stop == "budget" and reader.due()[0] == "finishing"):
            break
        unit, where = reader.due()
        died = stop.startswith("exit code") and unit == "exercise"  # the learner's function ended the process
        if stop != "budget" and not died:
            raise SandboxError(*_failure(stop, limits))
        if unit == "cells":
            if where is None or len(skipped) >= MAX_SKIPPED_CELLS:
                raise SandboxError("timeout", f"the notebook's top-level code did not finish within "
                                              f"{limits.cell_timeout:g} s (an endless loop, or a very slow cell?)")
            skipped.append(where)
            continue
        entry = reader.exercises.get(where) or {"found": True, "called": [], "outcomes": []}
        message = budget_error(where, limits.exercise_timeout) if not died else (
            "ProcessExit", f"{where} ended the grading process ({stop}) instead of returning or raising; its "
                           "remaining cases were not run")
        error = {"value": None, "error": message, "where": "", "mutated": [], "warnings": []}
        entry["outcomes"] += [error] * (len(remaining[where]) - len(entry["outcomes"]))
        exercises[where] = entry
        if not died:
            over_budget.append(where)
        del remaining[where]
        if not remaining:
            break
    else:
        raise SandboxError("timeout", f"the notebook did not finish within {limits.timeout:g} s")
    notes = [f"code cell {i}: did not finish within the top-level code's time budget of {limits.cell_timeout:g} s "
             "(an endless loop, or a very slow cell?); the notebook was graded without it" for i in skipped]
    text = output.decode("utf-8", "replace") + ("\n[... output cut]" if overflow else "")
    return {"status": "ok", "cell_errors": (notes + cell_errors)[:channel.MAX_CELL_ERRORS + len(notes)],
            "exercises": {name: exercises[name] for name in calls}, "over_budget": over_budget,
            "skipped_cells": skipped, "output": text, "seconds": time.monotonic() - start}


def _failure(stop: str, limits: Limits) -> tuple[str, str]:
    if stop == "timeout":
        return "timeout", (f"the notebook did not finish within {limits.timeout:g} s (an endless loop, or a very "
                           "slow cell?)")
    if stop == "memory":
        return "memory", f"the notebook ran out of memory (limit {limits.memory_mb} MB)"
    if stop.startswith("invalid:"):
        return "invalid-output", f"the notebook's result breaks the grading protocol: {stop[8:]}"
    return "crashed", f"the notebook's process ended ({stop}) before its functions could be called"


def _run_once(request: bytes, runtime: str, limits: Limits, deadline: float, reader) -> tuple[str, bytes, bool]:
    """One child: -> (how it stopped, its output, output cut?). How it stopped: "done", "budget" (the cell or
    exercise `reader.due()` names ran out of time), "timeout" (the whole notebook's), "memory", "invalid:<why>",
    or "exit code N" (the process ended before its result was complete)."""
    groups = _Cgroups(limits) if limits.sandbox else _Cgroups.__new__(_Cgroups)
    if not limits.sandbox:
        groups.dirs, groups.memory = [], None
    read_result, write_result = os.pipe()
    env = {**_child_env(), "AUTOGRADER_CHANNEL_FD": str(write_result)}
    scratch = None
    command = _command(runtime, limits)
    if not limits.sandbox:  # without a sandbox /course does not exist: point the bootstrap at the runtime directory
        scratch = tempfile.mkdtemp(prefix="autograder-nosandbox-")
        env.update(HOME=scratch, TMPDIR=scratch, MPLCONFIGDIR=os.path.join(scratch, ".matplotlib"), PYTHONPATH="")
        command[command.index("-c") + 1] = BOOTSTRAP.replace("'/course'", repr(runtime))
    if groups.dirs:  # join the cgroups before bwrap starts, so that nothing of the sandbox runs outside them
        command = ["/bin/sh", "-c", 'for f in $AUTOGRADER_CGROUPS; do echo $$ > "$f" || exit 111; done; exec "$@"',
                   "sh", *command]
        env["AUTOGRADER_CGROUPS"] = " ".join(groups.procs_files())
    try:
        proc = subprocess.Popen(command, env=env, cwd=scratch or "/", stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(write_result,))
    except OSError as exc:
        os.close(read_result)
        os.close(write_result)
        groups.close()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        raise SandboxError("crashed", f"the sandbox could not start ({type(exc).__name__})") from None
    os.close(write_result)
    try:
        stop, output, overflow = _exchange(proc, request, read_result, limits, deadline, reader)
    finally:
        os.close(read_result)
        with contextlib.suppress(OSError):
            proc.kill()  # bwrap's death takes the whole PID namespace with it (--die-with-parent)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        oom = groups.oom_killed()
        groups.close()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if stop == "eof":
        stop = f"exit code {proc.returncode}"
    if oom and stop not in ("done", "budget", "timeout"):
        stop = "memory"
    elif oom and stop == "timeout":
        stop = "memory"
    return stop, output, overflow


def _exchange(proc: subprocess.Popen, request: bytes, result_fd: int, limits: Limits, deadline: float, reader):
    """Feed the request, read the result stream into `reader` and the output (kept up to the cap, the rest
    drained), until the result is complete, the child's current cell or exercise runs out of its budget, or the
    notebook's deadline passes. -> (how it stopped, output, output cut?)"""
    def feed():
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.write(request)
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    out_fd = proc.stdout.fileno()
    os.set_blocking(out_fd, False)
    os.set_blocking(result_fd, False)
    sel = selectors.DefaultSelector()
    sel.register(out_fd, selectors.EVENT_READ, "out")
    sel.register(result_fd, selectors.EVENT_READ, "result")
    output, cap, overflow = bytearray(), limits.output_kb * 1024, False
    open_fds, grace, stop = 2, None, None
    unit, unit_deadline = None, deadline
    try:
        while open_fds:
            now = time.monotonic()
            if stop is None:
                due = reader.due()
                key = due[0] if due[0] != "cells" else "cells"
                if key == "exercise":
                    key = due
                if key != unit:
                    unit = key
                    seconds = limits.cell_timeout if key == "cells" else limits.exercise_timeout
                    unit_deadline = min(deadline, now + seconds)
                if now >= deadline:
                    return "timeout", bytes(output), overflow
                if now >= unit_deadline:
                    return "budget", bytes(output), overflow
            elif now > grace:
                break  # the result is in; a leftover process holding the output pipe is not waited for
            wait = (min(unit_deadline, deadline) if stop is None else grace) - now
            for key, _ in sel.select(timeout=max(0.01, min(wait, 1.0))):
                try:
                    chunk = os.read(key.fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fd)
                    open_fds -= 1
                    if key.data == "result" and stop is None:
                        reader.finish()
                        phase = reader.phase[0]
                        stop = "done" if phase == "done" else "memory" if phase == "memory" else "eof"
                        grace = time.monotonic() + 2.0
                elif key.data == "out":
                    room = cap - len(output)
                    output += chunk[:max(room, 0)]
                    overflow = overflow or len(chunk) > room
                elif stop is None:
                    reader.feed(chunk)
                    if reader.phase[0] in ("done", "memory"):
                        stop = reader.phase[0]
                        grace = time.monotonic() + 2.0
        if stop in ("done", None):  # the child is done; give the sandbox a moment to end (killed right after)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, min(2.0, deadline - time.monotonic())))
        return stop or "eof", bytes(output), overflow
    except channel.ChannelError as exc:
        return f"invalid:{exc}", bytes(output), overflow
    finally:
        sel.close()
        proc.stdout.close()
