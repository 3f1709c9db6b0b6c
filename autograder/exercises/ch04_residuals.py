"""Chapter 04 — DeepMLP, layer_gradients, residual, pre_norm: cases and known mistakes.

PyTorch is imported inside the functions that need it, so that `import autograder` stays fast for other chapters.
The probes run in the learner's process: they build what the learner's code needs (a model with the weights drawn
here, the sub-layer `fn`) from plain data, and return plain data (NumPy arrays, lists, strings).
"""

import math

import numpy as np

import solutions

from ..engine import Case, Exercise, Mistake, Mutant, compare_values, register, register_mutants
from ..probes import probe_deep_mlp, probe_layer_gradients, probe_pre_norm, probe_residual

NAMES_SHAPES = "a ValueError whose message names both shapes"
HIDES_SHAPES = "a ValueError whose message does not name both shapes"
LAYOUT = ("self.layers = nn.ModuleList of nn.Sequential(nn.Linear(d_i, d_{i+1}), nn.GELU()), so that layer i's "
          "weight is called layers.i.0.weight")


# --------------------------------------------------------------------------------------------------------------
# Shared by the probes: a shape error, as data
# --------------------------------------------------------------------------------------------------------------
def _compare_output(got, want, case) -> str | None:
    """Compare an output that is either an array or a shape error (see _shape_error); with a sub-layer that counts
    its calls, {"calls": n, "output": ...}, the number of calls first."""
    if isinstance(want, dict) and "calls" in want:
        if not isinstance(got, dict) or "calls" not in got:
            return f"expected {want!r:.80}, got {got!r:.80}"
        if got["calls"] != want["calls"]:
            return (f"your code called fn {got['calls']} times; expected {want['calls']} call (fn may be random, "
                    "like dropout, or expensive: call it once and keep its output)")
        return _compare_output(got["output"], want["output"], case)
    if isinstance(want, dict):  # a ValueError is expected
        if isinstance(got, dict):
            if got["verdict"] == want["verdict"]:
                return None
            return (f"your ValueError says {got['message']!r}, which does not name both shapes; expected a message "
                    f"like {want['message']!r}")
        shape = f"an output of shape {tuple(got.shape)}" if isinstance(got, np.ndarray) else repr(got)[:80]
        return f"expected a ValueError (e.g. {want['message']!r}), but your code returned {shape}"
    if isinstance(got, dict):
        return f"your code raised ValueError: {got['message']}"
    return compare_values(got, want, case)


# --------------------------------------------------------------------------------------------------------------
# DeepMLP
# --------------------------------------------------------------------------------------------------------------
def _mlp_weights(rng, layer_sizes) -> dict:
    """Weights for DeepMLP(layer_sizes) in its state_dict's names and nn.Linear's [out, in] layout (float32)."""
    weights = {}
    for i, (d_in, d_out) in enumerate(zip(layer_sizes, layer_sizes[1:])):
        # std 1.2/sqrt(d_in): pre-activations of about ±1-3, where GELU's variants (and ReLU) differ
        weights[f"layers.{i}.0.weight"] = (1.2 * rng.standard_normal((d_out, d_in)) / math.sqrt(d_in)).astype(
            np.float32)
        weights[f"layers.{i}.0.bias"] = (0.5 * rng.standard_normal(d_out)).astype(np.float32)
    return weights


def _compare_model(got, want, case) -> str | None:
    if None not in (want["parameters"], got["parameters"]) and got["parameters"] != want["parameters"]:
        return (f"your model's parameters (name, shape) are {got['parameters']}\n"
                f"expected {want['parameters']}:\n{LAYOUT}")
    return _compare_output(got["output"], want["output"], case)


def deep_mlp_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if hidden:
        d, depth, batch = int(rng.integers(4, 9)), int(rng.integers(3, 7)), int(rng.integers(2, 6))
        grow = (int(rng.integers(3, 6)), int(rng.integers(6, 10)), int(rng.integers(6, 10)), int(rng.integers(2, 4)))
    else:
        d, depth, batch, grow = 5, 3, 4, (4, 6, 6, 3)
    same = [d] * (depth + 1)
    deep = [d] * 13

    def case(label, layer_sizes, use_shortcut, n_rows=batch, **kw):
        x = (1.5 * rng.standard_normal((n_rows, layer_sizes[0]))).astype(np.float32)
        args = (list(layer_sizes), use_shortcut, _mlp_weights(rng, layer_sizes), x)
        return Case(label, args, probe=probe_deep_mlp, compare=_compare_model, atol=1e-5, rtol=1e-5, **kw)

    return [
        case(f"no shortcut: layer_sizes {same}, each layer's output replaces x", same, False),
        case(f"with shortcuts: layer_sizes {same}, x = x + layer(x) at every layer", same, True),
        case(f"widths that change, no shortcut: layer_sizes {list(grow)}", list(grow), False,
             hint="layer i maps layer_sizes[i] -> layer_sizes[i + 1]: build one nn.Linear per consecutive pair.",
             hint_id="layer-widths"),
        case(f"a shortcut around a layer {d} -> 1 must raise a ValueError naming both shapes (x + F(x) would "
             "broadcast silently)", [d, d, 1], True,
             hint="before adding, compare the shapes of x and layer(x) and raise ValueError(f'... {x.shape} ... "
                  "{out.shape}') when they differ.", hint_id="shape-error-message"),
        case(f"a shortcut around a layer {d} -> {d + 2} must raise a ValueError naming both shapes",
             [d, d, d + 2], True),
        case("a single example x [1, d], with shortcuts", same, True, n_rows=1),
        case(f"12 layers of width {d}, with shortcuts", deep, True),
        case(f"12 layers of width {d}, without shortcuts", deep, False),
    ]


def _variant(step, activation="gelu", layout="sequential"):
    """A DeepMLP-like class whose layer step is step(layer, x, use_shortcut) -> x (a known mistake)."""

    def build(layer_sizes, use_shortcut):
        from torch import nn

        class Variant(nn.Module):
            def __init__(self):
                super().__init__()
                self.use_shortcut = use_shortcut
                act = {"gelu": nn.GELU, "tanh": lambda: nn.GELU(approximate="tanh"), "relu": nn.ReLU,
                       "none": nn.Identity}[activation]
                pairs = list(zip(layer_sizes, layer_sizes[1:]))
                if layout == "sequential":
                    self.layers = nn.ModuleList(nn.Sequential(nn.Linear(a, b), act()) for a, b in pairs)
                else:  # plain Linear layers and the activation applied in forward
                    self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in pairs)

            def forward(self, x):
                for layer in self.layers:
                    x = step(layer, x, self.use_shortcut)
                return x

        return Variant()

    return build


def _gelu(h):
    import torch.nn.functional as F

    return F.gelu(h)


def _step_right(layer, x, use_shortcut):
    out = layer(x)
    if use_shortcut and out.shape != x.shape:
        raise ValueError(f"cannot add a shortcut from shape {tuple(x.shape)} to {tuple(out.shape)}")
    return x + out if use_shortcut else out


def _step_replace(layer, x, use_shortcut):
    return layer(x)


def _step_always_add(layer, x, use_shortcut):
    return x + layer(x)


def _step_skip_silently(layer, x, use_shortcut):
    out = layer(x)
    return x + out if use_shortcut and out.shape == x.shape else out


def _step_no_check(layer, x, use_shortcut):
    out = layer(x)
    return x + out if use_shortcut else out


def _step_before_activation(layer, x, use_shortcut):
    if not use_shortcut:
        return layer(x)
    out = layer[0](x)
    if out.shape != x.shape:
        raise ValueError(f"cannot add a shortcut from shape {tuple(x.shape)} to {tuple(out.shape)}")
    return layer[1](x + out)


def _step_flat(layer, x, use_shortcut):  # layer is a bare nn.Linear here
    out = _gelu(layer(x))
    if use_shortcut and out.shape != x.shape:
        raise ValueError(f"cannot add a shortcut from shape {tuple(x.shape)} to {tuple(out.shape)}")
    return x + out if use_shortcut else out


def _whole_stack_shortcut(layer_sizes, use_shortcut):
    from torch import nn

    class WholeStack(nn.Module):
        def __init__(self):
            super().__init__()
            self.use_shortcut = use_shortcut
            self.layers = nn.ModuleList(nn.Sequential(nn.Linear(a, b), nn.GELU())
                                        for a, b in zip(layer_sizes, layer_sizes[1:]))

        def forward(self, x):
            out = x
            for layer in self.layers:
                out = layer(out)
            if self.use_shortcut and out.shape != x.shape:
                raise ValueError(f"cannot add a shortcut from shape {tuple(x.shape)} to {tuple(out.shape)}")
            return x + out if self.use_shortcut else out

    return WholeStack()


DEEP_MLP_MISTAKES = [
    Mistake("with use_shortcut=True each layer's output must be added to its input, x = x + layer(x); your model "
            "replaces x instead.", _variant(_step_replace), id="shortcut-replaces"),
    Mistake("when a layer changes the width, skipping the shortcut silently hides a bug: raise ValueError "
            "naming both shapes instead.", _variant(_step_skip_silently),
            id="shortcut-skipped-silently"),
    Mistake("x + layer(x) with different shapes broadcasts or crashes inside PyTorch: compare the shapes first "
            "and raise ValueError naming both of them.", _variant(_step_no_check),
            id="shortcut-no-shape-check"),
    Mistake("with use_shortcut=False there is no shortcut: each layer's output replaces x (x = layer(x)).",
            _variant(_step_always_add), id="shortcut-always"),
    Mistake("the shortcut goes around the whole layer, activation included: x + GELU(Linear(x)), not "
            "GELU(x + Linear(x)).", _variant(_step_before_activation),
            id="shortcut-before-activation"),
    Mistake("there is one shortcut around each layer, not one around the whole stack.", _whole_stack_shortcut),
    Mistake("each layer ends with nn.GELU() (the exact, erf form); your layers use ReLU.",
            _variant(_step_right, activation="relu"), id="relu-activation"),
    Mistake("use nn.GELU() with its default (exact, erf) form here; approximate='tanh' is GPT-2's choice for its "
            "MLP, not this model's.", _variant(_step_right, activation="tanh"),
            id="tanh-gelu"),
    Mistake("each layer is nn.Linear followed by nn.GELU(): your layers have no activation, so the whole stack "
            "is one linear map.", _variant(_step_right, activation="none"), id="no-activation"),
    Mistake(f"name the parts as the docstring says — {LAYOUT} — so the check can load its weights.",
            _variant(_step_flat, layout="flat"), id="parameter-names"),
]

DEEP_MLP = register(Exercise(
    name="DeepMLP", chapter="04", points=2, hidden_points=1,
    solution=solutions.DeepMLP, make_cases=deep_mlp_cases, mistakes=DEEP_MLP_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# layer_gradients
# --------------------------------------------------------------------------------------------------------------
def _has_negative_mean(layer_sizes, use_shortcut, weights, runs) -> bool:
    """Whether some layer's signed mean gradient is clearly negative: then a plain mean (grad.mean()) and the absolute
    value of the mean (abs(grad.mean())) give different numbers, and the first case tells the two mistakes apart."""
    means = probe_layer_gradients(lambda m, x, t: _grads(m, x, t, stat="mean"), layer_sizes, use_shortcut, weights,
                                  runs[:1])[0]
    return bool(np.any(means < -1e-3 * np.max(np.abs(means))))


def layer_gradients_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if hidden:
        d, depth, batch = int(rng.integers(4, 9)), int(rng.integers(3, 6)), int(rng.integers(10, 14))
        grow = [int(rng.integers(3, 6)), int(rng.integers(6, 10)), int(rng.integers(6, 10)), int(rng.integers(2, 4))]
    else:
        d, depth, batch, grow = 6, 4, 4, [5, 8, 8, 3]
    # the batch size differs from every layer's input width, so that a summed loss (batch·n_out terms) and a
    # summed |grad| (n_in·n_out entries) never scale alike
    same = [d] * (depth + 1)

    def case(label, layer_sizes, use_shortcut, n_runs=1, signs=False, **kw):
        for _ in range(50):  # with `signs`: until some layer's mean gradient is negative (see _has_negative_mean)
            runs = [((1.5 * rng.standard_normal((batch, layer_sizes[0]))).astype(np.float32),
                     rng.standard_normal((batch, layer_sizes[-1])).astype(np.float32)) for _ in range(n_runs)]
            args = (list(layer_sizes), use_shortcut, _mlp_weights(rng, layer_sizes), runs)
            if not signs or _has_negative_mean(*args):
                break
        return Case(label, args, probe=probe_layer_gradients, atol=1e-10, rtol=1e-4, **kw)

    return [
        case(f"a fresh model without shortcuts, layer_sizes {same}: one value per layer, first layer first",
             same, False, signs=True,
             hint="for each layer, in order, take its weight's .grad after loss.backward() and return "
                  ".abs().mean().item().", hint_id="read-weight-grads"),
        case(f"a fresh model with shortcuts, layer_sizes {same}", same, True),
        case("the same model called twice with different data: the second result must not include the first "
             "call's gradients", same, True, n_runs=2),
        case(f"widths that change, layer_sizes {grow}", grow, False),
        case(f"12 layers of width {d} without shortcuts: the first layers' gradients are tiny", [d] * 13, False),
    ]


STATISTICS = {"mean_abs": lambda g: g.abs().mean(), "sum_abs": lambda g: g.abs().sum(),
              "mean": lambda g: g.mean(), "abs_mean": lambda g: g.mean().abs()}


def _grads(model, x, target, *, zero=True, reduction="mean", which="weight", stat="mean_abs", read_first=False):
    """A layer_gradients with one thing changed (see the mistakes below)."""
    import torch.nn.functional as F

    if zero:
        model.zero_grad()

    def read():
        values = []
        for name, p in model.named_parameters():
            if which == "weight" and not name.endswith("weight"):
                continue
            values.append(STATISTICS[stat](p.grad).item())
        return values

    if read_first:
        values = read()
    F.mse_loss(model(x), target, reduction=reduction).backward()
    return values if read_first else read()


LAYER_GRADIENTS_MISTAKES = [
    Mistake("the gradients add up over calls: call model.zero_grad() before the backward pass, or the second "
            "call returns the sum of both calls' gradients.", lambda m, x, t: _grads(m, x, t, zero=False),
            id="grads-not-zeroed"),
    Mistake("the weights' .grad is None (or stale) when you read it: run the forward pass and loss.backward() "
            "first, then read param.grad.", lambda m, x, t: _grads(m, x, t, zero=False, read_first=True),
            id="grads-read-before-backward"),
    Mistake("return one value per layer, for the weights only: skip the biases (names ending in 'bias').",
            lambda m, x, t: _grads(m, x, t, which="all"), id="biases-included"),
    Mistake("take the mean of |grad| (grad.abs().mean()), not the sum: the sum grows with the layer's size.",
            lambda m, x, t: _grads(m, x, t, stat="sum_abs"), id="sum-abs"),
    Mistake("take the absolute value before averaging, grad.abs().mean(): positive and negative entries "
            "cancel in a plain mean.", lambda m, x, t: _grads(m, x, t, stat="mean"), id="plain-mean"),
    Mistake("abs(grad.mean()) takes the absolute value after averaging, when the signed entries have already "
            "cancelled: take it entry by entry first, grad.abs().mean().",
            lambda m, x, t: _grads(m, x, t, stat="abs_mean"), id="abs-of-mean"),
    Mistake("the loss is the mean squared error, F.mse_loss(output, target) (the mean, not the sum).",
            lambda m, x, t: _grads(m, x, t, reduction="sum"), id="summed-loss"),
    Mistake("list the layers from the first (nearest the input) to the last.",
            lambda m, x, t: _grads(m, x, t)[::-1], id="last-layer-first"),
]

LAYER_GRADIENTS = register(Exercise(
    name="layer_gradients", chapter="04", points=2, hidden_points=1,
    solution=solutions.layer_gradients, make_cases=layer_gradients_cases, mistakes=LAYER_GRADIENTS_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# residual and pre_norm: the learner's function gets a sub-layer `fn` built here
# --------------------------------------------------------------------------------------------------------------
def _sublayer_cases(rng, hidden, probe, with_ln):
    # n_embd > n_seq, so that a swapped [n_embd, n_seq] output is another shape with as many entries
    n_seq, n_embd = (int(rng.integers(3, 7)), int(rng.integers(7, 11))) if hidden else (4, 8)

    def x_of(*shape, dtype=np.float64):  # an offset and a scale, so that LayerNorm visibly changes x
        return (3 * rng.standard_normal(shape) + rng.uniform(1, 3)).astype(dtype)

    def w_of(n_out, dtype=np.float64):
        return (rng.standard_normal((n_embd, n_out)) / math.sqrt(n_embd)).astype(dtype)

    def ln_of(dtype=np.float64):
        return {"g": (1 + 0.5 * rng.standard_normal(n_embd)).astype(dtype),
                "b": (0.5 * rng.standard_normal(n_embd)).astype(dtype)}

    def args(x, w):
        return (x, ln_of(x.dtype), w) if with_ln else (x, w)

    def case(label, x, w, kind="map", **kw):
        # float64: exact up to LayerNorm's rounding (~1e-15); float32: a few ulps
        tol = {"atol": 1e-5, "rtol": 1e-5} if x.dtype == np.float32 else {"atol": 1e-9, "rtol": 1e-9}
        return Case(label, args(x, w), {"kind": kind}, probe=probe, compare=_compare_output, **tol, **kw)

    shape_hint = ("compare the shapes before adding and raise ValueError(f'... {x.shape} ... {out.shape}'): "
                  "NumPy would broadcast the two silently.")
    return [
        case(f"x [{n_seq}, {n_embd}], fn keeps the shape", x_of(n_seq, n_embd), w_of(n_embd)),
        case(f"a 3-D batch [2, {n_seq}, {n_embd}]", x_of(2, n_seq, n_embd), w_of(n_embd)),
        case("a single token [1, n_embd]", x_of(1, n_embd), w_of(n_embd)),
        case("float32 in, float32 out", x_of(n_seq, n_embd, dtype=np.float32), w_of(n_embd, np.float32),
             hint="float32 inputs must give a float32 output: don't convert x."),
        case(f"fn returns [{n_seq}, 1]: adding it to x would broadcast; raise a ValueError naming both shapes",
             x_of(n_seq, n_embd), w_of(1), hint=shape_hint, hint_id="shape-error-message"),
        case(f"fn returns [1, {n_embd}] (one row for the whole sequence): also a ValueError naming both shapes",
             x_of(n_seq, n_embd), w_of(n_embd), kind="pool", hint=shape_hint, hint_id="shape-error-message"),
        case(f"fn returns [{n_embd}, {n_seq}]: as many entries as x, another shape — a ValueError naming both "
             "shapes", x_of(n_seq, n_embd), w_of(n_embd), kind="swap", hint=shape_hint, hint_id="shape-error-message"),
        case("fn is random, like dropout (another mask at every call): call it once and add that output",
             x_of(n_seq, n_embd), w_of(n_embd), kind="dropout",
             hint="call fn exactly once and keep its output: out = fn(...), then check out.shape and return "
                  "x + out (fn may be random, like dropout, or expensive).", hint_id="call-fn-once"),
    ]


def residual_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    return _sublayer_cases(rng, hidden, probe_residual, with_ln=False)


def pre_norm_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    return _sublayer_cases(rng, hidden, probe_pre_norm, with_ln=True)


def _residual_replace(x, fn):
    return fn(x)


def _residual_no_check(x, fn):
    return x + fn(x)


def _residual_last_axis_only(x, fn):
    out = fn(x)
    if out.shape[-1] != x.shape[-1]:
        raise ValueError(f"fn changed the width from {x.shape[-1]} to {out.shape[-1]}")
    return x + out


def _residual_reshape(x, fn):
    out = fn(x)
    if out.size != x.size:
        raise ValueError(f"fn changed the shape from {x.shape} to {out.shape}")
    return x + out.reshape(x.shape)


def _residual_calls_twice(x, fn):
    if fn(x).shape != x.shape:
        raise ValueError(f"fn changed the shape from {x.shape} to {fn(x).shape}")
    return x + fn(x)


RESIDUAL_MISTAKES = [
    Mistake("a residual connection adds: return x + fn(x), not fn(x) alone.", _residual_replace),
    Mistake("compare the whole shapes (out.shape != x.shape), not only the last axis: a [1, n_embd] output "
            "would broadcast over the rows.", _residual_last_axis_only),
    Mistake("when fn changes the shape, x + fn(x) broadcasts silently: compare the shapes first and raise "
            "ValueError naming both.", _residual_no_check),
    Mistake("fn's output has as many entries as x but another shape: reshaping it to x's shape hides the bug — "
            "compare the shapes (out.shape != x.shape), not the sizes, and raise ValueError.", _residual_reshape),
    Mistake("your residual calls fn more than once (once for the shape check, once for the sum): call it once, "
            "out = fn(x), and use out for both — fn may be random, like dropout, or expensive.",
            _residual_calls_twice),
]

RESIDUAL = register(Exercise(
    name="residual", chapter="04", points=1, hidden_points=1,
    solution=solutions.residual, make_cases=residual_cases, mistakes=RESIDUAL_MISTAKES,
))


def _ln(x, ln):
    return solutions.layer_norm(x, **ln)


def _pre_norm_post_norm(x, ln, fn):
    return _ln(solutions.residual(x, fn), ln)


def _pre_norm_no_shortcut(x, ln, fn):
    return fn(_ln(x, ln))


def _pre_norm_normalised_shortcut(x, ln, fn):
    return solutions.residual(_ln(x, ln), fn)


def _pre_norm_norm_after(x, ln, fn):
    return solutions.residual(x, lambda h: _ln(fn(h), ln))


def _pre_norm_no_norm(x, ln, fn):
    return solutions.residual(x, fn)


def _pre_norm_no_check(x, ln, fn):
    return x + fn(_ln(x, ln))


def _pre_norm_reshape(x, ln, fn):
    out = fn(_ln(x, ln))
    if out.size != x.size:
        raise ValueError(f"fn changed the shape from {x.shape} to {out.shape}")
    return x + out.reshape(x.shape)


def _pre_norm_calls_twice(x, ln, fn):
    if fn(_ln(x, ln)).shape != x.shape:
        raise ValueError(f"fn changed the shape from {x.shape} to {fn(_ln(x, ln)).shape}")
    return x + fn(_ln(x, ln))


PRE_NORM_MISTAKES = [
    Mistake("this is post-norm, LN(x + fn(x)) (the original Transformer); GPT-2 is pre-norm: "
            "x + fn(LN(x)), normalising only the input of fn.", _pre_norm_post_norm),
    Mistake("the shortcut is missing: return x + fn(layer_norm(x)), not fn(layer_norm(x)).", _pre_norm_no_shortcut),
    Mistake("the shortcut must carry the raw x: x + fn(LN(x)), not LN(x) + fn(LN(x)).",
            _pre_norm_normalised_shortcut),
    Mistake("normalise the input of fn, not its output: x + fn(LN(x)), not x + LN(fn(x)).", _pre_norm_norm_after),
    Mistake("the LayerNorm is missing: fn gets layer_norm(x, **ln), not x.", _pre_norm_no_norm),
    Mistake("when fn changes the shape the sum broadcasts silently: use your residual, which raises a "
            "ValueError naming both shapes.", _pre_norm_no_check),
    Mistake("fn's output has as many entries as x but another shape: reshaping it hides the bug — compare the "
            "shapes, not the sizes, and raise ValueError (your residual does).", _pre_norm_reshape),
    Mistake("your pre_norm calls fn more than once: call it once and keep its output (fn may be random, like "
            "dropout) — residual(x, lambda h: fn(layer_norm(h, **ln))) does.", _pre_norm_calls_twice),
]

PRE_NORM = register(Exercise(
    name="pre_norm", chapter="04", points=1, hidden_points=1,
    solution=solutions.pre_norm, make_cases=pre_norm_cases, mistakes=PRE_NORM_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# --------------------------------------------------------------------------------------------------------------
# A DeepMLP mutant comes first: the notebook tests put the chapter's first mutant into an otherwise solved notebook
# and expect only its exercise to lose points (layer_gradients is checked on the reference DeepMLP, so it still
# passes; pre_norm may call the learner's residual, so a residual mutant would also fail pre_norm).

_INIT = '''
import torch
from torch import nn

class DeepMLP(nn.Module):
    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList([
            nn.Sequential(nn.Linear(layer_sizes[i], layer_sizes[i + 1]), nn.GELU())
            for i in range(len(layer_sizes) - 1)
        ])
'''

_CHECK = '''
                if out.shape != x.shape:
                    raise ValueError(f"cannot add {tuple(out.shape)} to {tuple(x.shape)}")
'''


_RIGHT = '''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:''' + _CHECK + '''
                out = x + out
            x = out
        return x
'''


def _mlp(forward: str, init: str = _INIT) -> str:
    return init + forward


MUTANTS = [
    Mutant("DeepMLP", "shortcut replaces instead of adding", "shortcut-replaces", _mlp('''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:''' + _CHECK + '''
            x = out
        return x
''')),
    Mutant("DeepMLP", "shortcut even when use_shortcut=False", "shortcut-always",
           _mlp('''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if out.shape != x.shape:
                raise ValueError(f"cannot add {tuple(out.shape)} to {tuple(x.shape)}")
            x = x + out
        return x
''')),
    Mutant("DeepMLP", "shortcut skipped silently when shapes differ", "shortcut-skipped-silently", _mlp('''
    def forward(self, x):
        for layer in self.layers:
            layer_output = layer(x)
            if self.use_shortcut and x.shape == layer_output.shape:
                x = x + layer_output
            else:
                x = layer_output
        return x
''')),
    Mutant("DeepMLP", "no shape check: broadcasts or crashes", "shortcut-no-shape-check",
           _mlp('''
    def forward(self, x):
        for layer in self.layers:
            x = x + layer(x) if self.use_shortcut else layer(x)
        return x
''')),
    Mutant("DeepMLP", "ValueError without the shapes", "shape-error-message", _mlp('''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:
                if out.shape != x.shape:
                    raise ValueError("the shapes differ")
                out = x + out
            x = out
        return x
''')),
    Mutant("DeepMLP", "shortcut added before the activation", "shortcut-before-activation", _mlp('''
    def forward(self, x):
        for linear, act in self.layers:
            out = linear(x)
            if self.use_shortcut:''' + _CHECK + '''
                out = x + out
            x = act(out)
        return x
''')),
    Mutant("DeepMLP", "one shortcut around the whole stack", "whole_stack_shortcut", _mlp('''
    def forward(self, x):
        out = x
        for layer in self.layers:
            out = layer(out)
        if self.use_shortcut:
            if out.shape != x.shape:
                raise ValueError(f"shape {tuple(x.shape)} != {tuple(out.shape)}")
            out = out + x
        return out
''')),
    Mutant("DeepMLP", "ReLU instead of GELU", "relu-activation",
           _mlp(_RIGHT, _INIT.replace("nn.GELU()", "nn.ReLU()"))),
    Mutant("DeepMLP", "tanh GELU", "tanh-gelu",
           _mlp(_RIGHT, _INIT.replace("nn.GELU()", 'nn.GELU(approximate="tanh")'))),
    Mutant("DeepMLP", "no activation", "no-activation", _mlp(_RIGHT, _INIT.replace(
        "nn.Linear(layer_sizes[i], layer_sizes[i + 1]), nn.GELU()", "nn.Linear(layer_sizes[i], layer_sizes[i + 1])"))),
    Mutant("DeepMLP", "different parameter names", "parameter-names", '''
import torch
from torch import nn
import torch.nn.functional as F

class DeepMLP(nn.Module):
    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(layer_sizes, layer_sizes[1:]))

    def forward(self, x):
        for linear in self.layers:
            out = F.gelu(linear(x))
            if self.use_shortcut:
                if out.shape != x.shape:
                    raise ValueError(f"{x.shape} vs {out.shape}")
                out = out + x
            x = out
        return x
'''),
    Mutant("DeepMLP", "one width for every layer", "layer-widths", '''
import torch
from torch import nn

class DeepMLP(nn.Module):
    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        d = layer_sizes[0]
        self.layers = nn.ModuleList([nn.Sequential(nn.Linear(d, d), nn.GELU()) for _ in layer_sizes[1:]])

    def forward(self, x):
        for layer in self.layers:
            x = x + layer(x) if self.use_shortcut else layer(x)
        return x
'''),
    Mutant("DeepMLP", "adds in place", "mutated-input", _mlp('''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:''' + _CHECK + '''
                x += out
            else:
                x = out
        return x
''')),
    # ---- layer_gradients
    Mutant("layer_gradients", "gradients not zeroed between calls", "grads-not-zeroed", '''
import torch

def layer_gradients(model, x, target):
    loss = torch.nn.functional.mse_loss(model(x), target)
    loss.backward()
    return [layer[0].weight.grad.abs().mean().item() for layer in model.layers]
'''),
    Mutant("layer_gradients", "gradients read before backward", "grads-read-before-backward", '''
import torch

def layer_gradients(model, x, target):
    grads = [p.grad.abs().mean().item() for n, p in model.named_parameters() if "weight" in n]
    loss = torch.nn.functional.mse_loss(model(x), target)
    loss.backward()
    return grads
'''),
    Mutant("layer_gradients", "biases included", "biases-included", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [p.grad.abs().mean().item() for p in model.parameters()]
'''),
    Mutant("layer_gradients", "sum of |grad|", "sum-abs", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [float(torch.sum(torch.abs(layer[0].weight.grad))) for layer in model.layers]
'''),
    Mutant("layer_gradients", "signed mean", "plain-mean", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [layer[0].weight.grad.mean().item() for layer in model.layers]
'''),
    Mutant("layer_gradients", "abs of the mean", "abs-of-mean", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [abs(layer[0].weight.grad.mean().item()) for layer in model.layers]
'''),
    Mutant("layer_gradients", "summed squared error", "summed-loss", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    loss = ((model(x) - target) ** 2).sum()
    loss.backward()
    return [layer[0].weight.grad.abs().mean().item() for layer in model.layers]
'''),
    Mutant("layer_gradients", "last layer first", "last-layer-first", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [layer[0].weight.grad.abs().mean().item() for layer in reversed(model.layers)]
'''),
    # ---- residual
    Mutant("residual", "replaces instead of adding", "residual_replace", '''
def residual(x, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"fn changed the shape: {x.shape} -> {out.shape}")
    return out
'''),
    Mutant("residual", "no shape check", "residual_no_check", '''
def residual(x, fn):
    return x + fn(x)
'''),
    Mutant("residual", "checks only the last axis", "residual_last_axis_only", '''
def residual(x, fn):
    out = fn(x)
    if out.shape[-1] != x.shape[-1]:
        raise ValueError(f"width {out.shape[-1]} != {x.shape[-1]}")
    return x + out
'''),
    Mutant("residual", "ValueError without the shapes", "shape-error-message", '''
def residual(x, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError("fn must keep the shape")
    return x + out
'''),
    Mutant("residual", "assert instead of ValueError", "shape-error-message", '''
def residual(x, fn):
    out = fn(x)
    assert out.shape == x.shape, f"{x.shape} != {out.shape}"
    return x + out
'''),
    Mutant("residual", "adds in place", "mutated-input", '''
def residual(x, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"fn changed the shape: {x.shape} -> {out.shape}")
    x += out
    return x
'''),
    Mutant("residual", "compares sizes and reshapes fn's output", "residual_reshape", '''
def residual(x, fn):
    out = fn(x)
    if out.size != x.size:
        raise ValueError(f"fn returned {out.shape}, expected {x.shape}")
    return x + out.reshape(x.shape)
'''),
    Mutant("residual", "np.reshape after comparing the number of entries", "residual_reshape", '''
def residual(x, fn):
    out = np.asarray(fn(x))
    if np.prod(out.shape) != np.prod(x.shape):
        raise ValueError(f"shape mismatch: {x.shape} vs {out.shape}")
    return x + np.reshape(out, np.shape(x))
'''),
    Mutant("residual", "calls fn twice (check, then sum)", "residual_calls_twice", '''
def residual(x, fn):
    if fn(x).shape != x.shape:
        raise ValueError(f"fn changed the shape: {x.shape} -> {fn(x).shape}")
    return x + fn(x)
'''),
    Mutant("residual", "calls fn twice (sum first, then a check)", "call-fn-once", '''
def residual(x, fn):
    out = x + fn(x)
    if fn(x).shape != x.shape:
        raise ValueError(f"fn changed the shape: {x.shape} -> {fn(x).shape}")
    return out
'''),
    # ---- pre_norm
    Mutant("pre_norm", "post-norm", "pre_norm_post_norm", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return layer_norm(x + out, ln["g"], ln["b"])
'''),
    Mutant("pre_norm", "no shortcut", "pre_norm_no_shortcut", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    return fn(layer_norm(x, **ln))
'''),
    Mutant("pre_norm", "shortcut from the normalised x", "pre_norm_normalised_shortcut", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    x = layer_norm(x, **ln)
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return x + out
'''),
    Mutant("pre_norm", "norm after fn", "pre_norm_norm_after", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return x + layer_norm(out, **ln)
'''),
    Mutant("pre_norm", "no LayerNorm", "pre_norm_no_norm", '''
def pre_norm(x, ln, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return x + out
'''),
    Mutant("pre_norm", "no shape check", "pre_norm_no_check", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    return x + fn(layer_norm(x, **ln))
'''),
    Mutant("pre_norm", "compares sizes and reshapes fn's output", "pre_norm_reshape", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    out = fn(layer_norm(x, **ln))
    if out.size != x.size:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return x + out.reshape(x.shape)
'''),
    Mutant("pre_norm", "calls fn twice", "pre_norm_calls_twice", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    h = layer_norm(x, **ln)
    if fn(h).shape != x.shape:
        raise ValueError(f"{x.shape} vs {fn(h).shape}")
    return x + fn(h)
'''),
    Mutant("pre_norm", "the learner's own residual, which reshapes, inside pre_norm", "fix-first:residual", '''
from solutions import layer_norm

def residual(x, fn):
    out = fn(x)
    if out.size != x.size:
        raise ValueError(f"fn returned {out.shape}, expected {x.shape}")
    return x + out.reshape(x.shape)

def pre_norm(x, ln, fn):
    return residual(x, lambda h: fn(layer_norm(h, **ln)))
'''),
]

register_mutants(MUTANTS)
