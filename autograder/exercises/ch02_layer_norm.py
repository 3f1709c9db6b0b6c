"""Chapter 02 — layer_norm: cases and known mistakes."""

import numpy as np

import solutions

from ..engine import Case, Exercise, Mistake, register


def _torch_layer_norm(x, g, b, eps=1e-5):
    import torch
    import torch.nn.functional as F

    t = F.layer_norm(torch.from_numpy(x), (x.shape[-1],), torch.from_numpy(g), torch.from_numpy(b), eps)
    return t.numpy()


def _params(rng, n_embd, dtype=np.float64):
    g = (1 + 0.5 * rng.standard_normal(n_embd)).astype(dtype)
    b = (0.5 * rng.standard_normal(n_embd)).astype(dtype)
    return g, b


def make_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # Visible shapes are fixed; hidden ones are drawn. Rows and columns differ so axis mistakes show.
    n_rows, n_embd = (int(rng.integers(3, 7)), int(rng.integers(9, 17))) if hidden else (4, 8)

    def x_of(*shape, scale=3.0, dtype=np.float64):
        return (scale * rng.standard_normal(shape) + rng.uniform(-2, 2)).astype(dtype)

    g, b = _params(rng, n_embd)
    constant = x_of(n_rows, n_embd)
    constant[1] = 7.0
    tiny = x_of(n_rows, n_embd, scale=1e-3)
    g32, b32 = _params(rng, n_embd, np.float32)
    return [
        Case("a 2-D input: each row (token) normalised on its own", (x_of(n_rows, n_embd), g, b),
             atol=1e-7, rtol=1e-7),
        Case("a constant row (variance 0) must give b, not NaN", (constant, g, b), atol=1e-7, rtol=1e-7,
             hint="a constant row has variance 0: add eps to the variance inside the square root, so that row gives b."),
        Case("rows with a tiny spread (std 1e-3), where eps matters", (tiny, g, b), atol=1e-7, rtol=1e-7),
        Case("eps passed as an argument (eps=1e-2)", (tiny, g, b), {"eps": 1e-2}, atol=1e-7, rtol=1e-7),
        Case("a 3-D batch [2, 3, n_embd]: any leading shape", (x_of(2, 3, n_embd), g, b), atol=1e-7, rtol=1e-7,
             hint="reduce over the last axis only (axis=-1, keepdims=True) so any leading shape works."),
        Case("a single token [1, n_embd]", (x_of(1, n_embd), g, b), atol=1e-7, rtol=1e-7),
        Case("float32 in, float32 out", (x_of(n_rows, n_embd, dtype=np.float32), g32, b32), atol=2e-5, rtol=1e-5,
             hint="float32 inputs must give a float32 output: avoid float64 constants and .astype(np.float64)."),
        Case("agrees with torch.nn.functional.layer_norm", (x_of(n_rows + 1, n_embd, dtype=np.float32), g32, b32),
             oracle=_torch_layer_norm, atol=2e-5, rtol=1e-5),
    ]


# Known mistakes, most specific first: the hint of the first one that reproduces the learner's output is shown.
def _no_keepdims(x, g, b, eps=1e-5):
    return g * (x - x.mean(axis=-1)) / np.sqrt(x.var(axis=-1) + eps) + b


def _axis_0(x, g, b, eps=1e-5):
    mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    return g * (x - mean) / np.sqrt(var + eps) + b


def _axis_1(x, g, b, eps=1e-5):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return g * (x - mean) / np.sqrt(var + eps) + b


def _whole_matrix(x, g, b, eps=1e-5):
    return g * (x - x.mean()) / np.sqrt(x.var() + eps) + b


def _eps_outside_sqrt(x, g, b, eps=1e-5):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return g * (x - mean) / (np.sqrt(var) + eps) + b


def _no_eps(x, g, b, eps=1e-5):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return g * (x - mean) / np.sqrt(var) + b


def _unbiased(x, g, b, eps=1e-5):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True, ddof=1)
    return g * (x - mean) / np.sqrt(var + eps) + b


def _eps_ignored(x, g, b, eps=1e-5):
    return solutions.layer_norm(x, g, b)


def _no_gain(x, g, b, eps=1e-5):
    return solutions.layer_norm(x, np.ones_like(g), b, eps)


def _no_bias(x, g, b, eps=1e-5):
    return solutions.layer_norm(x, g, np.zeros_like(b), eps)


def _no_gain_no_bias(x, g, b, eps=1e-5):
    return solutions.layer_norm(x, np.ones_like(g), np.zeros_like(b), eps)


def _float64(x, g, b, eps=1e-5):
    return solutions.layer_norm(x.astype(np.float64), g, b, eps)


MISTAKES = [
    Mistake("without keepdims=True the mean has shape [n_rows] and cannot be subtracted row by row: "
            "use x.mean(axis=-1, keepdims=True).", _no_keepdims),
    Mistake("the columns of your output have mean 0, not the rows: normalise over the last axis (axis=-1), "
            "each token on its own, not over axis 0.", _axis_0),
    Mistake("you normalised over axis 1, which is the last axis only for 2-D input: use axis=-1 so any "
            "leading shape works.", _axis_1),
    Mistake("you used one mean and variance for the whole array: LayerNorm normalises each row (token) "
            "on its own, over axis=-1.", _whole_matrix),
    Mistake("you added eps to the standard deviation (std + eps); GPT-2 adds it to the variance, inside the "
            "square root: sqrt(var + eps).", _eps_outside_sqrt),
    Mistake("a row with variance 0 divides by zero: add eps to the variance inside the square root.", _no_eps),
    Mistake("you used the unbiased variance (ddof=1, dividing by n-1); LayerNorm divides by n (np.var's "
            "default).", _unbiased),
    Mistake("your function ignores its eps argument: use the eps it is given, not a fixed 1e-5.", _eps_ignored),
    Mistake("the gain g and the bias b are both ignored: finish with g * x_hat + b.", _no_gain_no_bias),
    Mistake("the gain g is ignored: multiply the normalised rows by g.", _no_gain),
    Mistake("the bias b is ignored: add b after scaling by g.", _no_bias),
    Mistake("float32 inputs came back as float64: don't convert x with .astype(np.float64) or mix in "
            "float64 arrays.", _float64),
]

LAYER_NORM = register(Exercise(
    name="layer_norm", chapter="02", points=2, hidden_points=1,
    solution=solutions.layer_norm, make_cases=make_cases, mistakes=MISTAKES,
))
