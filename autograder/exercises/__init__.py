"""One module per chapter (chNN_topic.py); importing a module registers its exercises."""

import importlib
import pkgutil


def load_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{info.name}")
