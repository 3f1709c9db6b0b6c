"""The grading channel: what the sandboxed child sends back to the trusted parent, as one bounded JSON document.

The child encodes every outcome with `encode` (plain JSON: numbers, strings, lists, string-keyed dicts, and arrays
as base64 of their raw bytes with a whitelisted dtype and a shape). The parent reads at most MAX_BYTES from a pipe
and rebuilds the values with `decode`, which checks everything (types, sizes, dtypes, shapes, string lengths, depth)
and raises ChannelError at the first breach. Nothing the child sends can make the parent run code, allocate more
than a few times MAX_BYTES, or print more than a bounded, neutralised excerpt.

This module runs on both sides, so it imports only the standard library and NumPy.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

import numpy as np

VERSION = 1
MAX_BYTES = 48 * 1024 * 1024  # the whole document
MAX_ELEMENTS = 4_000_000  # elements of one array
MAX_TOTAL_ELEMENTS = 12_000_000  # elements of all arrays
MAX_STRING = 4000  # characters of one string
MAX_ITEMS = 200_000  # items of one list or dict
MAX_NODES = 2_000_000  # values in the whole document
MAX_DEPTH = 24
MAX_NDIM = 8
DTYPE_KINDS = "biuf"  # booleans, integers, floats: no objects, voids, strings, datetimes or complex numbers
MAX_CELL_ERRORS = 50
MAX_CALLED = 64


class ChannelError(ValueError):
    """The child's document breaks the protocol; the message quotes nothing the learner wrote."""


# ------------------------------------------------------------------------------------------------------------
# Child side
# ------------------------------------------------------------------------------------------------------------
def short(text: Any, limit: int = 300) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + " […]"


def _opaque(value: Any) -> dict:
    try:
        text = f"{type(value).__name__} {repr(value)}"
    except Exception:  # a learner's __repr__ may raise
        text = f"{type(value).__name__} (no repr)"
    return {"t": "opaque", "r": short(text, 200)}


def encode(value: Any, depth: int = 0) -> Any:
    """A value as plain JSON data (the child side). Anything else becomes an opaque, bounded description."""
    if depth > MAX_DEPTH - 2:
        return {"t": "opaque", "r": "a value nested too deeply"}
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and type(value) is int:
        return value if abs(value) < 10**300 else {"t": "opaque", "r": "an integer too large"}
    if isinstance(value, float) and type(value) is float:
        return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    if isinstance(value, str) and type(value) is str:
        return {"t": "str", "v": short(value, MAX_STRING - 10)} if len(value) > MAX_STRING else value
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        if value.dtype.kind not in DTYPE_KINDS or value.ndim > MAX_NDIM or value.size > MAX_ELEMENTS:
            return {"t": "opaque", "r": f"array of dtype {value.dtype} and shape {value.shape}"}
        data = np.ascontiguousarray(value)
        return {"t": "array", "d": data.dtype.str, "s": list(data.shape),
                "b": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, np.generic) and value.dtype.kind in DTYPE_KINDS:
        item = value.item()
        if isinstance(item, float) and not math.isfinite(item):
            item = repr(item)
        return {"t": "scalar", "d": value.dtype.str, "v": item}
    if isinstance(value, bytes) and type(value) is bytes:
        return {"t": "bytes", "b": base64.b64encode(value[:MAX_STRING]).decode("ascii")}
    if type(value) in (list, tuple):
        if len(value) > MAX_ITEMS:
            return {"t": "opaque", "r": f"a {type(value).__name__} of {len(value)} items"}
        return {"t": type(value).__name__, "v": [encode(v, depth + 1) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        if len(value) > MAX_ITEMS:
            return {"t": "opaque", "r": f"a dict of {len(value)} items"}
        return {"t": "dict", "k": [short(k, MAX_STRING - 10) for k in value],
                "v": [encode(v, depth + 1) for v in value.values()]}
    return _opaque(value)


def encode_outcome(outcome) -> dict:
    error = None
    if outcome.error:
        error = [short(outcome.error[0], 100), short(outcome.error[1], 1000)]
    return {"value": encode(outcome.value), "error": error, "where": short(outcome.where, 300),
            "mutated": [int(i) for i in list(outcome.mutated)[:MAX_NDIM * 4]],
            "warnings": [short(w, 300) for w in list(outcome.warnings)[:5]]}


def dumps(document: dict) -> bytes:
    return json.dumps(document, separators=(",", ":"), allow_nan=False).encode("utf-8")


# ------------------------------------------------------------------------------------------------------------
# Parent side
# ------------------------------------------------------------------------------------------------------------
class Opaque:
    """A value the child could not send as data; it compares unequal to everything."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other) -> bool:
        return False

    __hash__ = None


class _Budget:
    def __init__(self):
        self.nodes = 0
        self.elements = 0

    def node(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ChannelError(f"more than {MAX_NODES} values")


def _string(value: Any, what: str = "a string") -> str:
    if type(value) is not str:
        raise ChannelError(f"expected {what}")
    if len(value) > MAX_STRING:
        raise ChannelError(f"{what} longer than {MAX_STRING} characters")
    return value


def decode(node: Any, budget: _Budget | None = None, depth: int = 0) -> Any:
    """Rebuild a value sent by `encode`, checking everything; ChannelError at the first breach."""
    budget = budget or _Budget()
    budget.node()
    if depth > MAX_DEPTH:
        raise ChannelError("values nested too deeply")
    if node is None or type(node) in (bool, int, float):
        if type(node) is int and abs(node) >= 10**300:
            raise ChannelError("an integer too large")
        return node
    if type(node) is str:
        return _string(node)
    if type(node) is not dict:
        raise ChannelError(f"unexpected JSON value of type {type(node).__name__}")
    kind = node.get("t")
    if kind == "str":
        return _string(node.get("v"))
    if kind == "float":
        text = node.get("v")
        if text not in ("nan", "inf", "-inf"):
            raise ChannelError("a float that is not nan or ±inf")
        return float(text)
    if kind == "opaque":
        return Opaque(_string(node.get("r"), "a description"))
    if kind == "bytes":
        raw = _base64(node.get("b"), MAX_STRING)
        return raw
    if kind == "scalar":
        dtype = _dtype(node.get("d"))
        value = node.get("v")
        if value in ("nan", "inf", "-inf") and dtype.kind == "f":
            value = float(value)
        if type(value) not in (bool, int, float):
            raise ChannelError("a scalar that is not a number")
        try:
            return dtype.type(value)
        except (OverflowError, ValueError, TypeError):
            raise ChannelError(f"a scalar that does not fit {dtype}") from None
    if kind == "array":
        return _array(node, budget)
    if kind in ("list", "tuple"):
        items = node.get("v")
        if type(items) is not list or len(items) > MAX_ITEMS:
            raise ChannelError(f"a malformed or too long {kind}")
        out = [decode(v, budget, depth + 1) for v in items]
        return out if kind == "list" else tuple(out)
    if kind == "dict":
        keys, values = node.get("k"), node.get("v")
        if type(keys) is not list or type(values) is not list or len(keys) != len(values) or len(keys) > MAX_ITEMS:
            raise ChannelError("a malformed dict")
        return {_string(k, "a key"): decode(v, budget, depth + 1) for k, v in zip(keys, values)}
    raise ChannelError("a value of unknown type")


def _dtype(text: Any) -> np.dtype:
    if type(text) is not str or len(text) > 8:
        raise ChannelError("a malformed dtype")
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise ChannelError("a malformed dtype") from None
    if dtype.kind not in DTYPE_KINDS or dtype.itemsize > 16 or dtype.fields is not None or dtype.subdtype:
        raise ChannelError(f"an array of a forbidden dtype ({dtype.kind})")
    return dtype


def _base64(text: Any, max_bytes: int) -> bytes:
    if type(text) is not str or len(text) > 4 * (max_bytes // 3 + 2):
        raise ChannelError("malformed or too long binary data")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ChannelError("malformed binary data") from None


def _array(node: dict, budget: _Budget) -> np.ndarray:
    dtype = _dtype(node.get("d"))
    shape = node.get("s")
    if type(shape) is not list or len(shape) > MAX_NDIM or not all(type(n) is int and 0 <= n <= MAX_ELEMENTS
                                                                     for n in shape):
        raise ChannelError("an array with a malformed shape")
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise ChannelError(f"an array of more than {MAX_ELEMENTS} elements")
    budget.elements += size
    if budget.elements > MAX_TOTAL_ELEMENTS:
        raise ChannelError(f"arrays of more than {MAX_TOTAL_ELEMENTS} elements in all")
    raw = _base64(node.get("b"), size * dtype.itemsize)
    if len(raw) != size * dtype.itemsize:
        raise ChannelError("an array whose data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _string_list(value: Any, limit: int, what: str) -> list[str]:
    if type(value) is not list or len(value) > limit:
        raise ChannelError(f"malformed {what}")
    return [_string(v, what) for v in value]


def decode_outcome(node: Any, budget: _Budget) -> dict:
    if type(node) is not dict or set(node) != {"value", "error", "where", "mutated", "warnings"}:
        raise ChannelError("a malformed outcome")
    error = node["error"]
    if error is not None:
        error = tuple(_string_list(error, 2, "an error"))
        if len(error) != 2:
            raise ChannelError("a malformed error")
    mutated = node["mutated"]
    if type(mutated) is not list or len(mutated) > MAX_NDIM * 4 or not all(type(i) is int for i in mutated):
        raise ChannelError("a malformed list of mutated arguments")
    return {"value": decode(node["value"], budget), "error": error, "where": _string(node["where"], "a location"),
            "mutated": mutated, "warnings": _string_list(node["warnings"], 5, "warnings")}


def loads(raw: bytes, expected: dict[str, int], names: list[str]) -> dict:
    """The child's document, checked: {"status", "cell_errors", "exercises": {name: {"found", "called", "outcomes"}}}.

    `expected` is the number of outcomes each exercise must have; `names` the chapter's exercise names (the only
    ones `called` may list)."""
    if len(raw) > MAX_BYTES:
        raise ChannelError(f"the result is larger than {MAX_BYTES // 2**20} MB")
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ChannelError("the result is not valid JSON") from None
    if type(doc) is not dict or doc.get("v") != VERSION:
        raise ChannelError("the result is not a grading document")
    status = doc.get("status")
    if status not in ("ok", "memory"):
        raise ChannelError("the result has an unknown status")
    out = {"status": status, "cell_errors": _string_list(doc.get("cell_errors", []), MAX_CELL_ERRORS, "cell errors"),
           "exercises": {}}
    if status != "ok":
        return out
    exercises = doc.get("exercises")
    if type(exercises) is not dict or set(exercises) != set(expected):
        raise ChannelError("the result does not hold exactly the chapter's exercises")
    budget = _Budget()
    for name, n in expected.items():
        info = exercises[name]
        if type(info) is not dict or set(info) != {"found", "called", "outcomes"} or type(info["found"]) is not bool:
            raise ChannelError("a malformed exercise entry")
        called = _string_list(info["called"], MAX_CALLED, "called names")
        if not set(called) <= set(names):
            raise ChannelError("called names that are not the chapter's exercises")
        outcomes = info["outcomes"]
        if type(outcomes) is not list or len(outcomes) != n:
            raise ChannelError("the wrong number of outcomes")
        out["exercises"][name] = {"found": info["found"], "called": called,
                                  "outcomes": [decode_outcome(o, budget) for o in outcomes]}
    return out


def _no_constant(name: str):
    raise ValueError(f"JSON constant {name}")


# ------------------------------------------------------------------------------------------------------------
# The stream: the child's messages as they come (one JSON object per line), read by the parent
# ------------------------------------------------------------------------------------------------------------
class Reader:
    """The parent's view of one child's stream, checked message by message and in order.

    The child sends {"t": "cell", "i"} before each top-level cell, {"t": "cells", "errors"} after them,
    {"t": "exercise", "name", "found", "called"} before each exercise (in the order requested) and {"t": "outcome",
    "o"} per case, then {"t": "end"}; or {"t": "memory"}. `phase` says where the child is: ("cells", cell number),
    ("exercise", name), ("done", None) or ("memory", None). The budgets of `MAX_BYTES` and of arrays hold across
    the whole stream."""

    def __init__(self, expected: dict[str, int], names: list[str], budget: _Budget | None = None):
        self.expected = dict(expected)  # the exercises still to come, in order, with their number of cases
        self.names = list(names)
        self.order = list(expected)
        self.budget = budget or _Budget()
        self.buffer = bytearray()
        self.size = 0
        self.phase: tuple[str, Any] = ("start", None)
        self.cell_errors: list[str] | None = None
        self.exercises: dict[str, dict] = {}
        self.changed = False  # a new phase began since the parent last looked

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_BYTES:
            raise ChannelError(f"the result is larger than {MAX_BYTES // 2**20} MB")
        self.buffer += chunk
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                return
            line = bytes(self.buffer[:end])
            del self.buffer[:end + 1]
            self._message(line)

    def finish(self) -> None:
        """The child closed the stream: anything left over is a breach."""
        if self.buffer:
            raise ChannelError("the result ends in the middle of a message")

    def _message(self, line: bytes) -> None:
        try:
            msg = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ChannelError("the result is not valid JSON") from None
        if type(msg) is not dict or msg.get("v") != VERSION:
            raise ChannelError("the result is not a grading document")
        kind, (phase, where) = msg.get("t"), self.phase
        if phase in ("done", "memory"):
            raise ChannelError("a message after the end of the result")
        if kind == "memory":
            self._set(("memory", None))
        elif kind == "cell":
            i = msg.get("i")
            if phase not in ("start", "cells") or type(i) is not int or (where is not None and i <= where):
                raise ChannelError("a cell message out of order")
            self._set(("cells", i))
        elif kind == "cells":
            if phase not in ("start", "cells"):
                raise ChannelError("a cells message out of order")
            self.cell_errors = _string_list(msg.get("errors"), MAX_CELL_ERRORS, "cell errors")
            self._next_exercise()
        elif kind == "exercise":
            if phase != "between" or not self.order or msg.get("name") != self.order[0]:
                raise ChannelError("an exercise message out of order")
            name = self.order.pop(0)
            if type(msg.get("found")) is not bool:
                raise ChannelError("a malformed exercise entry")
            called = _string_list(msg.get("called"), MAX_CALLED, "called names")
            if not set(called) <= set(self.names):
                raise ChannelError("called names that are not the chapter's exercises")
            self.exercises[name] = {"found": msg["found"], "called": called, "outcomes": []}
            self._set(("exercise", name))
            self._maybe_done(name)
        elif kind == "outcome":
            if phase != "exercise":
                raise ChannelError("an outcome out of order")
            entry = self.exercises[where]
            if len(entry["outcomes"]) >= self.expected[where]:
                raise ChannelError("the wrong number of outcomes")
            entry["outcomes"].append(decode_outcome(msg.get("o"), self.budget))
            self._maybe_done(where)
        elif kind == "end":
            if phase != "between" or self.order:
                raise ChannelError("the result ends before every exercise was probed")
            self._set(("done", None))
        else:
            raise ChannelError("a message of unknown type")

    def _set(self, phase) -> None:
        self.phase, self.changed = phase, True

    def due(self) -> tuple[str, Any]:
        """What the child is working on, for the parent's clock: ("cells", number of the running cell or None),
        ("exercise", name) — also between exercises, for the next one — ("finishing", None) once every outcome is in, or
        ("done"/"memory", None)."""
        phase, where = self.phase
        if phase in ("start", "cells"):
            return "cells", where
        if phase == "between":
            return ("exercise", self.order[0]) if self.order else ("finishing", None)
        return phase, where

    def _next_exercise(self) -> None:
        self._set(("between", None))

    def _maybe_done(self, name: str) -> None:
        if len(self.exercises[name]["outcomes"]) == self.expected[name]:
            self._next_exercise()
