"""One module per chapter; importing a module registers its exercises."""

import importlib

CHAPTER_MODULES = ["ch02_layer_norm"]


def load_all() -> None:
    for module in CHAPTER_MODULES:
        importlib.import_module(f"{__name__}.{module}")
