"""The reference implementation of "GPT-2 from scratch": one module per chapter, every exercise by its name.

    from solutions import layer_norm, gpt2, generate

Every public function, class and CONSTANT of a module here is importable from `solutions` by its name. The index is
read from the modules' sources (top-level lines `def name`, `class Name`, `NAME =`), so a new exercise needs no
entry here; names are imported on first use, so `from solutions import layer_norm` does not pay for PyTorch.
"""

import importlib
import re
from pathlib import Path

_PUBLIC = re.compile(r"^(?:def|class) ([A-Za-z]\w*)|^([A-Z][A-Z0-9_]*)\s*[:=]", re.MULTILINE)


def index(folder: Path | None = None) -> dict[str, list[str]]:
    """{module: its public names} for the modules of `folder` (default: this package), read without importing
    them. A name that two modules define is an error: `from solutions import name` must mean one thing."""
    modules, seen = {}, {}
    for path in sorted((folder or Path(__file__).parent).glob("*.py")):
        if path.name.startswith("_"):
            continue
        names = sorted({a or b for a, b in _PUBLIC.findall(path.read_text(encoding="utf-8"))})
        for name in names:
            if name in seen:
                raise ImportError(f"solutions: {name} is defined in both {seen[name]}.py and {path.name}")
            seen[name] = path.stem
        modules[path.stem] = names
    return modules


_MODULES = index()
_WHERE = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'solutions' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
