"""One module per chapter (chNN_topic.py, the chapter's slug): each exercise declared once — name, chapter, points,
reference, cases, known mistakes with stable ids — and, at the end of the module, the learner-style mutants that must
trigger them. Importing a module registers its exercises; the chapter's notebook cells are generated from them
(autograder/notebooks.py)."""

import importlib
import pkgutil


def _modules() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if info.name.startswith("ch"))


def load_chapter(chapter: str) -> None:
    """Import the exercise module(s) of chapter "NN" only."""
    for name in _modules():
        if name.startswith(f"ch{chapter}_"):
            importlib.import_module(f"{__name__}.{name}")


def load_all() -> None:
    for name in _modules():
        importlib.import_module(f"{__name__}.{name}")
