"""python -m autograder.exercises rebuild-fixtures — recompute the stored oracle outputs of the checks.

Some checks compare with a library the grading must not need (Hugging Face transformers): what the library
computed is stored in autograder/fixtures/. Every exercise module with a `rebuild_fixtures()` function rebuilds its
files here; the test suite proves that the stored files still match the library.
"""

import argparse
import importlib
import pkgutil
import sys

from ..notebooks import chapter_number
from . import __path__ as PACKAGE_PATH


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.exercises", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["rebuild-fixtures"])
    parser.add_argument("chapters", nargs="*", help="only these chapters (e.g. 06); default: all")
    args = parser.parse_args(argv)
    for info in sorted(pkgutil.iter_modules(PACKAGE_PATH), key=lambda m: m.name):
        if not info.name.startswith("ch") or (args.chapters and chapter_number(info.name) not in args.chapters):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        if hasattr(module, "rebuild_fixtures"):
            for path in module.rebuild_fixtures():
                print(f"{info.name}: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
