"""Chapters as notebooks: reading them, the role of each cell, and the notebooks generated from them.

A chapter (chapters/NN_topic.md) holds what a learner reads, and one line where each exercise goes:

    % exercise: layer_norm

Wherever a chapter becomes a notebook (the site, `make notebooks`, the nbgrader source, a release) that line becomes
the exercise's three cells, generated from its declaration (autograder/exercises/chNN_topic.py) and its reference
(solutions/chNN_topic.py):

* the answer cell: the reference's signature and docstring, with nbgrader's stub body (`raise NotImplementedError()`);
* the check cell, `check("layer_norm", layer_norm)`, worth the declaration's `points`;
* the hidden check cell, worth its `hidden_points` (its hidden tests are added in the nbgrader source notebook).

Generated from them:

* learner notebooks (.ipynb): the chapter with its exercises, with stable cell ids;
* nbgrader source notebooks: each stub's body replaced by the body of the `solutions` function of the same name
  between ### BEGIN SOLUTION / ### END SOLUTION, and the hidden check cells given their hidden tests.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS_DIR = ROOT / "chapters"
NBGRADER_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]  # nbgrader's own stub (nbgrader_config.py)
PRESENTATION_TAGS = {"demo", "remove-input"}  # cells that only show things: graders skip them
GRADE_ID = re.compile(r"^ch(\d\d)-(\w+?)(-check|-hidden)?$")
MARKER = re.compile(r"^% exercise: (\w+)[ \t]*$", re.MULTILINE)
_CHAPTER_NUMBER = re.compile(r"^(?:ch)?(\d\d)_")


def chapter_number(name: str | Path) -> str | None:
    """"02" from a chapter's or a chapter module's file name: 02_layer_norm.md, 02_layer_norm.ipynb,
    ch02_layer_norm(.py); None for any other name."""
    match = _CHAPTER_NUMBER.match(Path(name).name)
    return match.group(1) if match else None


class InvalidNotebook(ValueError):
    """The file is not a notebook we can read (bad JSON, wrong format, missing)."""


def chapter_paths() -> list[Path]:
    return sorted(CHAPTERS_DIR.glob("[0-9][0-9]_*.md"))


def chapter_path(chapter: str) -> Path:
    matches = [p for p in chapter_paths() if p.name.startswith(f"{chapter}_")]
    if not matches:
        raise FileNotFoundError(f"no chapter {chapter} in {CHAPTERS_DIR}")
    return matches[0]


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """A chapter (.md, MyST) or a notebook (.ipynb); InvalidNotebook names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise InvalidNotebook(f"{path}: no such file")
    try:
        if path.suffix == ".md":
            import jupytext

            nb = jupytext.reads(expand_exercises(path.read_text(encoding="utf-8"), path), fmt="md")
        else:
            text = path.read_text(encoding="utf-8")
            if not text.strip():
                raise InvalidNotebook(f"{path}: the file is empty")
            nb = _reads_v4(text)
            if nb is None:  # not a plain nbformat 4 notebook: nbformat's reader converts it or says what is wrong
                import nbformat

                nb = nbformat.reads(text, as_version=4)
    except InvalidNotebook:
        raise
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(f"{path}: not valid JSON ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InvalidNotebook(f"{path}: not UTF-8 text ({exc})") from None
    except Exception as exc:  # nbformat's own reader errors
        raise InvalidNotebook(f"{path}: not a Jupyter notebook ({type(exc).__name__}: {exc})") from None
    if not isinstance(nb.get("cells"), list):
        raise InvalidNotebook(f"{path}: the notebook has no list of cells")
    for i, cell in enumerate(nb.cells):  # the shapes the graders rely on; a submission may be anything
        if not isinstance(cell, dict):
            raise InvalidNotebook(f"{path}: cell {i + 1} is not a JSON object")
        if not isinstance(cell.get("cell_type"), str):
            raise InvalidNotebook(f"{path}: cell {i + 1} has no cell_type")
        if not isinstance(cell.get("source", ""), str):
            raise InvalidNotebook(f"{path}: cell {i + 1}'s source is not text")
        if not isinstance(cell.get("metadata", {}), dict):
            raise InvalidNotebook(f"{path}: cell {i + 1}'s metadata is not a JSON object")
        tags = cell.get("metadata", {}).get("tags")
        if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            raise InvalidNotebook(f"{path}: cell {i + 1}'s tags are not a list of strings")
    return nb


class _Node(dict):
    """A notebook node read without nbformat (whose import costs a second: jsonschema's format checkers): a dict
    whose keys are also attributes, as nbformat.NotebookNode."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value

    def __delattr__(self, key):
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None


def _node(value):
    if isinstance(value, dict):
        return _Node((k, _node(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_node(v) for v in value]
    return value


def _reads_v4(text: str):
    """An nbformat 4 notebook as nbformat.reads(text, 4) reads it (cell sources joined into strings), or None for
    anything else (other versions, broken JSON), which nbformat's own reader then converts or rejects. Cells of the
    wrong shape are left as they are: read_notebook then says which cell is wrong."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("nbformat") != 4 or not isinstance(data.get("cells"), list):
        return None
    for cell in data["cells"]:
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            cell["source"] = "".join(source)
    return _node(data)


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def cell_role(cell) -> str:
    """answer | check | hidden-check | demo | code | markdown"""
    if cell.get("cell_type") != "code":
        return "markdown"
    meta = nbgrader_meta(cell)
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "hidden-check" if str(meta.get("grade_id", "")).endswith("-hidden") else "check"
    if PRESENTATION_TAGS & set(cell.get("metadata", {}).get("tags", [])):
        return "demo"
    return "code"


def chapter_of(nb, path: str | Path | None = None) -> str | None:
    """The chapter a notebook belongs to: from its grade ids, else from a file name like 02_layer_norm.*"""
    for cell in nb.cells:
        match = GRADE_ID.match(str(nbgrader_meta(cell).get("grade_id", "")))
        if match:
            return match.group(1)
    return chapter_number(path) if path is not None else None


def code_to_run(nb) -> list[str]:
    """The code a grader executes to define the learner's functions: every code cell but checks and demos."""
    return [cell.source for cell in nb.cells if cell_role(cell) in ("answer", "code")]


# ------------------------------------------------------------------------------------------------------------
# An exercise's cells, generated from its declaration and its reference
# ------------------------------------------------------------------------------------------------------------
def expand_exercises(text: str, path: str | Path) -> str:
    """A chapter's MyST text with every `% exercise: name` line replaced by the exercise's three cells."""
    chapter = chapter_number(path)

    def cells(match: re.Match) -> str:
        from .engine import exercise

        name = match.group(1)
        try:
            declared = exercise(name)
        except KeyError:
            raise ValueError(f"{Path(path).name}: `% exercise: {name}` names no declared exercise") from None
        if declared.chapter != chapter:
            raise ValueError(f"{Path(path).name}: {name} is declared in chapter {declared.chapter}, not {chapter}")
        return exercise_cells(declared)

    return MARKER.sub(cells, text)


def exercise_cells(exercise) -> str:
    """The answer cell, the check cell and the hidden check cell of an exercise, as MyST code cells."""
    name, grade_id = exercise.name, f"ch{exercise.chapter}-{exercise.name}"

    def cell(meta: dict, source: str, tags: str | None = None) -> str:
        header = ["```{code-cell} ipython3", "---", "nbgrader:"]
        header += [f"  {key}: {str(value).lower() if isinstance(value, bool) else value}"
                   for key, value in sorted({"schema_version": 3, "task": False, **meta}.items())]
        header += [f"tags: [{tags}]"] if tags else []
        return "\n".join(header + ["---", source, "```"])

    return "\n\n".join([
        cell({"grade": False, "grade_id": grade_id, "locked": False, "solution": True}, stub_source(exercise)),
        cell({"grade": True, "grade_id": f"{grade_id}-check", "locked": True, "points": exercise.points,
              "solution": False}, f"check({name!r}, {name})".replace("'", '"'), "raises-exception"),
        cell({"grade": True, "grade_id": f"{grade_id}-hidden", "locked": True, "points": exercise.hidden_points,
              "solution": False}, f"# Hidden tests: when your notebook is graded, {name} also runs on inputs drawn at "
                                  "grading time.", "remove-cell"),
    ])


def stub_source(exercise) -> str:
    """The learner's stub: the reference's signature and docstring, read from its source file (nothing is
    imported), with nbgrader's stub body. A class keeps its docstring and the methods the exercise asks for."""
    import solutions

    path = ROOT / "solutions" / f"{solutions._WHERE[exercise.name]}.py"
    lines = path.read_text(encoding="utf-8").split("\n")
    tree = ast.parse("\n".join(lines))
    node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == exercise.name)
    if isinstance(node, ast.FunctionDef):
        return "\n".join(_signature_and_docstring(node, lines) + [f"    {line}" for line in NBGRADER_STUB])
    out = lines[node.lineno - 1 : _docstring(node).end_lineno]
    methods = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
    for method in exercise.stub_methods or list(methods):
        out += [""] + _signature_and_docstring(methods[method], lines) + [f"        {line}" for line in NBGRADER_STUB]
    return "\n".join(out)


def _docstring(node) -> ast.Expr | None:
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def _signature_and_docstring(node: ast.FunctionDef, lines: list[str]) -> list[str]:
    """The source lines of a function's decorators, signature and docstring."""
    start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
    doc = _docstring(node)
    if doc is not None:
        return lines[start : doc.end_lineno]
    end = node.body[0].lineno - 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].strip().startswith("#")):
        end -= 1
    return lines[start:end]


# ------------------------------------------------------------------------------------------------------------
# Generated notebooks
# ------------------------------------------------------------------------------------------------------------
def _finish(nb, path: Path) -> nbformat.NotebookNode:
    """Stable cell ids (grade_id where there is one), the python3 kernel, no jupytext bookkeeping."""
    seen = set()
    for i, cell in enumerate(nb.cells):
        cell_id = nbgrader_meta(cell).get("grade_id") or f"{chapter_number(path)}-cell-{i:03d}"
        if cell_id in seen:
            raise ValueError(f"{path}: two cells have the id {cell_id!r}")
        seen.add(cell_id)
        cell["id"] = cell_id
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def learner_notebook(chapter_md: Path) -> nbformat.NotebookNode:
    return _finish(read_notebook(chapter_md), chapter_md)


def source_notebook(chapter_md: Path) -> nbformat.NotebookNode:
    """The nbgrader source notebook: solutions injected, hidden tests added."""
    import solutions

    nb = learner_notebook(chapter_md)
    available = notebook_names(nb)
    for cell in nb.cells:
        role = cell_role(cell)
        if role == "answer":
            cell.source = inject_solutions(cell.source, solutions, available)
        elif role == "hidden-check":
            name = GRADE_ID.match(nbgrader_meta(cell)["grade_id"]).group(2)
            cell.source = (cell.source.rstrip("\n") + "\n### BEGIN HIDDEN TESTS\n"
                           f"check({name!r}, {name}, hidden=True)\n### END HIDDEN TESTS")
    return nb


def parse_cell(source: str) -> ast.Module | None:
    """A code cell's syntax tree (IPython's %magic and !shell lines read as `pass`), or None if it is not Python."""
    try:
        return ast.parse("\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                                   for line in source.split("\n")))
    except SyntaxError:
        return None


def notebook_names(nb) -> set[str]:
    """The names a notebook's code cells bind at top level (imports, functions, classes, assignments)."""
    names = set(dir(builtins))
    for cell in nb.cells:
        tree = parse_cell(cell.source) if cell.get("cell_type") == "code" else None
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).partition(".")[0] for a in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
                names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names


def inject_solutions(source: str, module, available: set[str]) -> str:
    """Replace the body (after the docstring) of every function in `source` that `module` defines with the
    reference body, between nbgrader's solution markers. Methods of classes are handled the same way."""
    lines = source.split("\n")
    tree = ast.parse(source)
    edits = []  # (first line index, last line index, new lines), applied bottom-up
    for node in tree.body:
        reference = getattr(module, getattr(node, "name", ""), None)
        if isinstance(node, ast.FunctionDef) and reference is not None:
            edits.append(_body_edit(node, reference, lines, available))
        elif isinstance(node, ast.ClassDef) and inspect.isclass(reference):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in vars(reference):
                    edits.append(_body_edit(item, vars(reference)[item.name], lines, available))
    if not edits:
        raise ValueError(f"no stub in this cell has a reference in {module.__name__}:\n{source[:200]}")
    for first, last, new in sorted(edits, reverse=True):
        lines[first : last + 1] = new
    return "\n".join(lines)


def _body_without_docstring(node: ast.FunctionDef) -> list[ast.stmt]:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def _body_edit(stub: ast.FunctionDef, reference, lines: list[str],
               available: set[str]) -> tuple[int, int, list[str]]:
    body = _body_without_docstring(stub)
    if not body:
        raise ValueError(f"stub {stub.name} has no body to replace")
    first, last = body[0].lineno - 1, body[-1].end_lineno - 1
    # comments just above the first statement (# YOUR CODE HERE) belong to the stub body too
    while first > 0 and lines[first - 1].strip().startswith("#"):
        first -= 1
    indent = re.match(r"\s*", lines[first]).group(0)
    ref_src = textwrap.dedent(inspect.getsource(reference))
    ref_tree = ast.parse(ref_src).body[0]
    ref_body = _body_without_docstring(ref_tree)
    ref_lines = ref_src.split("\n")
    start = ref_body[0].lineno - 1
    while start > 0 and ref_lines[start - 1].strip().startswith("#"):
        start -= 1
    body_src = textwrap.dedent("\n".join(ref_lines[start : ref_body[-1].end_lineno]))
    helpers = _helper_import(reference, ref_tree, available)
    if helpers:
        body_src = f"{helpers}\n{body_src}"
    new = [f"{indent}### BEGIN SOLUTION"] + [f"{indent}{line}" if line else "" for line in body_src.split("\n")]
    return first, last, new + [f"{indent}### END SOLUTION"]


def _helper_import(reference, tree: ast.FunctionDef, available: set[str]) -> str | None:
    """`from solutions.chNN_x import a, b`: the reference's own helpers and constants that its body uses.

    A chapter's notebook defines the exercises and imports what earlier chapters export; a reference body may also
    call its module's helpers (`_check_room`), constants (`PREFIX`) or classes from elsewhere (`HParams`), which the
    learner's notebook does not have. They are imported, from where they are defined, inside the solution block, so
    the source notebook runs and the released one is unchanged.
    """
    function = inspect.unwrap(getattr(reference, "__func__", reference))
    module_globals = getattr(function, "__globals__", {})
    module_name = module_globals.get("__name__", "")
    package = sys.modules.get(module_name.partition(".")[0])
    if not module_name or package is None or module_name == package.__name__:
        return None
    body = [n for statement in tree.body for n in ast.walk(statement)]  # not the signature's annotations
    local = {a.arg for a in ast.walk(tree.args) if isinstance(a, ast.arg)}
    local |= {n.id for n in body if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    used = {n.id for n in body if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - local - available
    by_origin: dict[str, list[str]] = {}
    for name in sorted(used):
        if name not in module_globals or inspect.ismodule(module_globals[name]):
            continue
        value = module_globals[name]
        origin = getattr(value, "__module__", None) if inspect.isclass(value) or callable(value) else module_name
        if origin and origin.partition(".")[0] == package.__name__:  # from where it is defined (HParams: params)
            by_origin.setdefault(origin if origin != package.__name__ else module_name, []).append(name)
    return "\n".join(f"from {origin} import {', '.join(names)}" for origin, names in sorted(by_origin.items())) \
        or None


def write_notebook(nb, path: Path) -> Path:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    tmp = path.with_suffix(path.suffix + ".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return path


def write_learner_notebooks(out: Path) -> list[Path]:
    return [write_notebook(learner_notebook(p), out / f"{p.stem}.ipynb") for p in chapter_paths()]
