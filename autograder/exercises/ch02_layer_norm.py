"""Chapter 02 — layer_norm: cases and known mistakes."""

import numpy as np

import solutions

from ..engine import Case, Exercise, Mistake, Mutant, compare_arrays, register, register_mutants
from ..recorded import Recorded


def _torch_layer_norm(x, g, b, eps=1e-5):
    import torch
    import torch.nn.functional as F

    t = F.layer_norm(torch.from_numpy(x), (x.shape[-1],), torch.from_numpy(g), torch.from_numpy(b), eps)
    return t.numpy()


def _params(rng, n_embd, dtype=np.float64):
    g = (1 + 0.5 * rng.standard_normal(n_embd)).astype(dtype)
    b = (0.5 * rng.standard_normal(n_embd)).astype(dtype)
    return g, b


# torch.nn.functional.layer_norm's output for one fixed float32 input, recorded (autograder/recorded.py)
TORCH_LAYER_NORM = Recorded("ch02_torch_layer_norm", 2, lambda rng: (
    (3 * rng.standard_normal((5, 12)) + 0.7).astype(np.float32), *_params(rng, 12, np.float32)), _torch_layer_norm)


def rebuild_fixtures() -> list:
    return [TORCH_LAYER_NORM.rebuild()]


def _float64_layer_norm(x, g, b, eps=1e-5):
    """The oracle of the ill-conditioned float32 case: LayerNorm computed in float64, rounded to x's dtype."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=-1, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=-1, keepdims=True)
    return (g * ((x64 - mean) / np.sqrt(var + eps)) + b).astype(x.dtype)


# Tolerances (measured; see MEASURED in tests/alternatives/ch02_layer_norm.py):
# * float64 cases: correct float64 implementations (NumPy, torch, two-pass, picoGPT's) agree to ~1e-15, while a
#   hard-coded eps of 1e-6 instead of 1e-5 moves an ordinary row by ~5e-7: 1e-10 keeps both margins far above 10x.
# * float32 cases: torch and NumPy float32 differ by ~1e-6 on unit-scale rows: atol 2e-5, rtol 1e-5.
# * float32 rows of mean 300 and spread 0.05: the input itself limits a correct float32 implementation to 3.5e-3 from
#   the float64 truth (worst of 300 seeds), while the one-pass variance E[x^2] - mean^2 cancels to garbage (at least
#   1.5 off over the same seeds) or NaN: atol 7e-2 sits ~20x from both.
F64 = {"atol": 1e-10, "rtol": 1e-10}
F32 = {"atol": 2e-5, "rtol": 1e-5}
CANCELLATION = {"atol": 7e-2, "rtol": 0.0}
ONE_PASS_HINT = ("float32 rows with mean 300 and spread 0.05 lose everything in the one-pass variance E[x²] − mean² "
                 "(two numbers near 90000 that differ by 0.0025): compute the variance as the mean of (x − mean)², "
                 "as np.var does.")


def _nan_matches_nan(got, want, case):
    """The array comparison, except that NaN matches NaN: the reference never has NaN, so this only lets a known
    mistake that divides 0 by 0 (no eps) be recognised in the learner's output."""
    if isinstance(got, np.ndarray) and isinstance(want, np.ndarray) and got.shape == want.shape:
        both = np.isnan(want) & np.isnan(got)
        if both.any():
            got, want = np.where(both, 0, got).astype(got.dtype), np.where(both, 0, want).astype(want.dtype)
    return compare_arrays(got, want, case)


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
    far = (300 + 0.05 * rng.standard_normal((n_rows, 4 * n_embd))).astype(np.float32)
    g_far, b_far = _params(rng, 4 * n_embd, np.float32)
    # The constant row comes first: it tells a missing eps (NaN there) from an eps fixed at another small value.
    return [
        Case("rows of a 2-D input, one of them constant (variance 0): that row must give b, not NaN",
             (constant, g, b), compare=_nan_matches_nan, **F64),
        Case("a 2-D input: each row (token) normalised on its own", (x_of(n_rows, n_embd), g, b), **F64),
        Case("rows with a tiny spread (std 1e-3), where eps matters", (tiny, g, b), **F64),
        Case("eps passed as an argument (eps=1e-2)", (tiny, g, b), {"eps": 1e-2}, **F64),
        Case("a 3-D batch [2, 3, n_embd]: any leading shape", (x_of(2, 3, n_embd), g, b), **F64,
             hint="reduce over the last axis only (axis=-1, keepdims=True) so any leading shape works."),
        Case("a single token [1, n_embd]", (x_of(1, n_embd), g, b), **F64),
        Case("float32 in, float32 out", (x_of(n_rows, n_embd, dtype=np.float32), g32, b32), **F32,
             hint="float32 inputs must give a float32 output: avoid float64 constants and .astype(np.float64)."),
        Case("agrees with torch.nn.functional.layer_norm", TORCH_LAYER_NORM.args, oracle=TORCH_LAYER_NORM.oracle,
             **F32),
        Case("float32 rows with mean 300 and spread 0.05 (compared with LayerNorm computed in float64)",
             (far, g_far, b_far), oracle=_float64_layer_norm, **CANCELLATION, hint=ONE_PASS_HINT,
             hint_id="one-pass-variance"),
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


def _eps_fixed(value):
    def layer_norm(x, g, b, eps=1e-5):
        return solutions.layer_norm(x, g, b, eps=value)
    return layer_norm


def _swapped(x, g, b, eps=1e-5):
    return solutions.layer_norm(x, b, g, eps)


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
    Mistake("your function ignores its eps argument: add the eps it is given (here 1e-2) to the variance, not a "
            "fixed 1e-5.", _eps_ignored),
    *[Mistake(f"your function ignores its eps argument and adds {v:g} instead: add the eps it is given "
              f"(default 1e-5) to the variance.", _eps_fixed(v), id=f"eps-fixed-{v:g}") for v in (1e-6, 1e-8, 1e-12)],
    Mistake("you swapped the gain and the bias: scale by g, then shift by b (g * x_hat + b, not b * x_hat + g).",
            _swapped, id="gain-bias-swapped"),
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


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# --------------------------------------------------------------------------------------------------------------
MUTANTS = [
    Mutant("layer_norm", "wrong axis (axis=0)", "axis_0", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = np.mean(x, axis=0, keepdims=True)
    sigma2 = np.var(x, axis=0, keepdims=True)
    return g * (x - mu) / np.sqrt(sigma2 + eps) + b
'''),
    Mutant("layer_norm", "axis=1 works only for 2-D", "axis_1", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(1, keepdims=True)
    var = ((x - mu) ** 2).mean(1, keepdims=True)
    return g * (x - mu) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "whole-matrix statistics", "whole_matrix", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean()
    var = x.var()
    return g * (x - mu) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "eps outside the square root", "eps_outside_sqrt", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return g * (x - mu) / (np.sqrt(var) + eps) + b
'''),
    Mutant("layer_norm", "std + eps", "eps_outside_sqrt", '''
def layer_norm(x, g, b, eps=1e-5):
    centred = x - x.mean(axis=-1, keepdims=True)
    return g * centred / (x.std(axis=-1, keepdims=True) + eps) + b
'''),
    Mutant("layer_norm", "no eps at all", "no_eps", '''
def layer_norm(x, g, b, eps=1e-5):
    centred = x - x.mean(axis=-1, keepdims=True)
    return g * centred / x.std(axis=-1, keepdims=True) + b
'''),
    Mutant("layer_norm", "unbiased variance", "unbiased", '''
def layer_norm(x, g, b, eps=1e-5):
    n = x.shape[-1]
    mu = x.sum(axis=-1, keepdims=True) / n
    var = ((x - mu) ** 2).sum(axis=-1, keepdims=True) / (n - 1)
    return g * (x - mu) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "gain and bias ignored", "no_gain_no_bias", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
'''),
    Mutant("layer_norm", "gain ignored", "no_gain", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) + b
'''),
    Mutant("layer_norm", "bias ignored", "no_bias", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
'''),
    Mutant("layer_norm", "eps argument ignored", "eps_ignored", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5) + b
'''),
    Mutant("layer_norm", "missing keepdims", "no_keepdims", '''
def layer_norm(x, g, b, eps=1e-5):
    return g * (x - np.mean(x, -1)) / np.sqrt(np.var(x, -1) + eps) + b
'''),
    Mutant("layer_norm", "promotes float32 to float64", "float64", '''
def layer_norm(x, g, b, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) + b
'''),
    Mutant("layer_norm", "normalises in place", "mutated-input", '''
def layer_norm(x, g, b, eps=1e-5):
    x -= x.mean(axis=-1, keepdims=True)
    x /= np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    return g * x + b
'''),
    Mutant("layer_norm", "one-pass variance E[x^2] - mean^2", "one-pass-variance", '''
def layer_norm(x, g, b, eps=1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean(x ** 2, axis=-1, keepdims=True) - mean ** 2
    return g * (x - mean) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "one-pass variance written with x * x", "one-pass-variance", '''
def layer_norm(x, g, b, eps=1e-5):
    n = x.shape[-1]
    s1 = x.sum(axis=-1, keepdims=True)
    s2 = (x * x).sum(axis=-1, keepdims=True)
    mu = s1 / n
    var = s2 / n - mu * mu
    return g * (x - mu) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "gain and bias swapped", "gain-bias-swapped", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    return b * x_hat + g
'''),
    Mutant("layer_norm", "eps hard-coded to 1e-6", "eps-fixed-1e-06", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-6) + b
'''),
    Mutant("layer_norm", "eps hard-coded to 1e-8", "eps-fixed-1e-08", '''
def layer_norm(x, g, b, eps=1e-5):
    std = np.sqrt(np.var(x, axis=-1, keepdims=True) + 1e-8)
    return g * (x - np.mean(x, axis=-1, keepdims=True)) / std + b
'''),
    Mutant("layer_norm", "eps hard-coded to 1e-12 (BERT's)", "eps-fixed-1e-12", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-12) + b
'''),
    Mutant("layer_norm", "eps argument ignored (hard-coded default)", "eps_ignored", '''
def layer_norm(x, g, b, eps=1e-5):
    EPS = 1e-5
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + EPS) + b
'''),
]

register_mutants(MUTANTS)
