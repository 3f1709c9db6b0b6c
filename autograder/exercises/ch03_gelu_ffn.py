"""Chapter 03 — gelu, linear, ffn: cases and known mistakes."""

import math

import numpy as np

import solutions

from ..engine import Case, Exercise, Mistake, Mutant, register, register_mutants
from ..recorded import Recorded

# Tolerances from measurement (tests/alternatives/ch03_gelu_ffn.py keeps the table,
# tests/test_tolerances.py the margins).
# float64: correct GELUs differ from the reference by their constant's rounding — LLMs-from-scratch computes √(2/π)
# in float32 (torch.sqrt(torch.tensor(2.0 / torch.pi)), 2.3e-8 relative) and lands 7.2e-9 away; the 7-digit
# 0.7978846 (3.9e-8 relative) lands 1.2e-8 away. The nearest known mistake, a cubic coefficient of 0.0447 instead of
# 0.044715, lands 8.7e-6 away (the exact erf GELU 4.7e-4). atol 2e-7 (+ rtol 1e-7 for the large-|x| entries) sits
# 17x above the first and 40x below the second.
# float32: rounding alone (NumPy's and PyTorch's float32 tanh differ by an ulp or two) moves an entry by up to
# 1.6e-7·(1 + |value|), within 20x of the 0.0447 coefficient's 8.3e-6: no float32 tolerance separates them by 10x
# on both sides, so the float64 cases catch that mistake (every check has float64 cases first) and the float32
# tolerance only has to sit 10x above rounding.
# linear: a float64 product differs by summation order only (~1e-15); in float32 einsum, matmul and torch differ
# by up to 7e-7 on these sizes (so 1e-5), and every known linear mistake changes the output by O(1).
# ffn: the 7-digit constant's 1.2e-8 reaches the output as up to 4e-8 (so 5e-7), a cubic coefficient of 0.0447
# written inside ffn as about 1e-5; float32 as linear.
GELU64 = {"atol": 2e-7, "rtol": 1e-7}
GELU32 = {"atol": 4e-6, "rtol": 4e-6}
TIGHT = {"atol": 1e-9, "rtol": 1e-9}
FFN64 = {"atol": 5e-7, "rtol": 5e-7}
PRODUCT32 = {"atol": 1e-5, "rtol": 1e-5}


# --------------------------------------------------------------------------------------------------------------
# Independent oracles (PyTorch)
# --------------------------------------------------------------------------------------------------------------
def _torch_gelu(x):
    import torch
    import torch.nn.functional as F

    return F.gelu(torch.from_numpy(x), approximate="tanh").numpy()


def _torch_linear(x, w, b):
    import torch
    import torch.nn.functional as F

    # nn.Linear keeps its weight [out, in]; GPT-2's Conv1D keeps it [in, out]: hence the transpose.
    return F.linear(torch.from_numpy(x), torch.from_numpy(w).T, torch.from_numpy(b)).numpy()


def _torch_ffn(x, c_fc, c_proj):
    import torch
    import torch.nn.functional as F

    def lin(h, p):
        return F.linear(h, torch.from_numpy(p["w"]).T, torch.from_numpy(p["b"]))

    return lin(F.gelu(lin(torch.from_numpy(x), c_fc), approximate="tanh"), c_proj).numpy()


# PyTorch's outputs for one fixed float32 input each, recorded (autograder/recorded.py): grading needs no PyTorch
def _f32(rng, *shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def _linear32(rng, n_in, n_out):
    return {"w": _f32(rng, n_in, n_out, scale=n_in ** -0.5), "b": _f32(rng, n_out, scale=0.1)}


TORCH_GELU = Recorded("ch03_torch_gelu", 31, lambda rng: (_f32(rng, 4, 11, scale=3.0),), _torch_gelu)
TORCH_LINEAR = Recorded("ch03_torch_linear", 32, lambda rng: (_f32(rng, 5, 7), *_linear32(rng, 7, 9).values()),
                        _torch_linear)
TORCH_FFN = Recorded("ch03_torch_ffn", 33, lambda rng: (_f32(rng, 5, 8), _linear32(rng, 8, 32), _linear32(rng, 32, 8)),
                     _torch_ffn)


def rebuild_fixtures() -> list:
    return [oracle.rebuild() for oracle in (TORCH_GELU, TORCH_LINEAR, TORCH_FFN)]


# --------------------------------------------------------------------------------------------------------------
# gelu
# --------------------------------------------------------------------------------------------------------------
def gelu_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if hidden:
        grid = np.sort(rng.uniform(-5, 5, size=(int(rng.integers(3, 6)), int(rng.integers(5, 9)))), axis=-1)
        peak = rng.uniform(2.2, 3.2, size=6) * rng.choice([-1.0, 1.0], size=6)
        big = np.array([-1.0, 1.0]) * rng.uniform(20, 1000, size=(3, 1))
        batch = rng.standard_normal((2, int(rng.integers(2, 5)), int(rng.integers(3, 7)))) * 2
    else:
        grid = np.linspace(-5, 5, 40).reshape(4, 10)
        peak = np.array([-3.0, -2.7, -2.4, 2.4, 2.7, 3.0])
        big = np.array([[-1000.0, 1000.0], [-50.0, 50.0], [-12.0, 12.0]])
        batch = rng.standard_normal((2, 3, 4)) * 2
    x32 = (3 * rng.standard_normal((4, 6))).astype(np.float32)
    return [
        Case("values from -5 to 5, float64", (grid,), **GELU64,
             hint="compare your formula term by term with 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."),
        Case("|x| near 2.7, where the exact (erf) GELU and GPT-2's tanh form differ most (4.7e-4)", (peak,),
             **GELU64),
        Case("large |x|: GELU(x) ≈ x for large positive x and ≈ 0 for large negative x", (big,), **GELU64,
             hint="for large |x| tanh(...) is ±1, so GELU(x) must come out as x or 0 (no overflow, no NaN)."),
        Case("a 3-D batch [2, n_seq, n_embd]: elementwise, any shape", (batch,), **GELU64,
             hint="GELU is elementwise: use NumPy operations on the whole array, whatever its shape."),
        Case("float32 in, float32 out", (x32,), **GELU32,
             hint="float32 inputs must give a float32 output: write constants as Python floats "
                  "(math.sqrt, not np.sqrt) and don't convert x."),
        Case("agrees with torch.nn.functional.gelu(x, approximate='tanh')", TORCH_GELU.args,
             oracle=TORCH_GELU.oracle, **GELU32),
    ]


SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _tanh_gelu(x, coefficient=0.044715, scale=SQRT_2_OVER_PI):
    return 0.5 * x * (1 + np.tanh(scale * (x + coefficient * x**3)))


def _gelu_erf(x):
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype)


def _gelu_relu(x):
    return np.maximum(x, 0)


def _gelu_sigmoid(x):
    return x / (1 + np.exp(-1.702 * x))


def _gelu_coefficient_0447(x):
    return _tanh_gelu(x, coefficient=0.0447)


def _gelu_coefficient_44715(x):
    return _tanh_gelu(x, coefficient=0.44715)


def _gelu_coefficient_04715(x):
    return _tanh_gelu(x, coefficient=0.04715)


def _gelu_square(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**2)))


def _gelu_no_scale(x):
    return _tanh_gelu(x, scale=1.0)


def _gelu_sqrt_2pi(x):
    return _tanh_gelu(x, scale=math.sqrt(2 * math.pi))


def _gelu_no_half(x):
    return 2 * _tanh_gelu(x)


def _gelu_minus(x):
    return 0.5 * x * (1 - np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _gelu_float64(x):
    return solutions.gelu(np.asarray(x, dtype=np.float64))


GELU_MISTAKES = [
    Mistake("this is the exact GELU, 0.5·x·(1 + erf(x/√2)); GPT-2 uses the tanh approximation "
            "0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), which differs by up to 4.7e-4.", _gelu_erf),
    Mistake("this is ReLU, max(0, x): GELU is smooth and slightly negative for negative x — use the tanh "
            "formula.", _gelu_relu),
    Mistake("x·sigmoid(1.702·x) is another approximation of GELU; GPT-2 uses the tanh form "
            "0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).", _gelu_sigmoid),
    Mistake("the cubic coefficient is 0.044715, not 0.0447: the last two digits are missing "
            "(x + 0.044715·x³).", _gelu_coefficient_0447),
    Mistake("the cubic coefficient is 0.044715, not 0.44715: yours is ten times too large "
            "(x + 0.044715·x³).", _gelu_coefficient_44715),
    Mistake("the cubic coefficient is 0.044715, not 0.04715: a 4 is missing after the 0.0 "
            "(x + 0.044715·x³).", _gelu_coefficient_04715),
    Mistake("the inner term is x + 0.044715·x³, with x cubed (x**3), not squared.", _gelu_square),
    Mistake("the argument of tanh is scaled by √(2/π) ≈ 0.7979: tanh(√(2/π)·(x + 0.044715·x³)).", _gelu_no_scale),
    Mistake("the scale is √(2/π) ≈ 0.7979 (2 divided by π), not √(2π).", _gelu_sqrt_2pi),
    Mistake("the factor 0.5 in front is missing: GELU(x) = 0.5·x·(1 + tanh(...)).", _gelu_no_half),
    Mistake("the sign is flipped: it is 1 + tanh(...), so that GELU(x) ≈ x for large positive x.", _gelu_minus),
    Mistake("float32 inputs came back as float64: a NumPy constant such as np.sqrt(2 / np.pi) is a float64 "
            "scalar that promotes the whole computation — use math.sqrt(2 / math.pi).", _gelu_float64),
]

GELU = register(Exercise(
    name="gelu", chapter="03", points=2, hidden_points=1,
    solution=solutions.gelu, make_cases=gelu_cases, mistakes=GELU_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# linear
# --------------------------------------------------------------------------------------------------------------
def linear_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # n_in, n_out and n_seq all differ, so that a transposed weight is a shape error here, and a square weight
    # case where it gives wrong numbers instead.
    n_seq, n_in, n_out = (int(rng.integers(3, 6)), int(rng.integers(6, 10)), int(rng.integers(10, 14))) \
        if hidden else (4, 5, 3)
    n_sq = int(rng.integers(5, 9)) if hidden else 6

    def arr(*shape, dtype=np.float64):
        return rng.standard_normal(shape).astype(dtype)

    w, b = arr(n_in, n_out), arr(n_out)
    w_sq, b_sq = arr(n_sq, n_sq), arr(n_sq)
    w32, b32 = arr(n_in, n_out, dtype=np.float32), arr(n_out, dtype=np.float32)
    return [
        Case(f"x [{n_seq}, {n_in}], w [{n_in}, {n_out}] (stored [in, out]), b [{n_out}]", (arr(n_seq, n_in), w, b),
             **TIGHT),
        Case(f"a square weight [{n_sq}, {n_sq}], where x @ w and x @ w.T have the same shape",
             (arr(n_seq, n_sq), w_sq, b_sq), **TIGHT),
        Case(f"a 3-D batch x [2, {n_seq}, {n_sq}]: the map applies to the last axis", (arr(2, n_seq, n_sq), w_sq, b_sq),
             **TIGHT, hint="x @ w + b works for any number of leading axes: the product contracts x's last axis."),
        Case("a single token x [1, n_in]", (arr(1, n_in), w, b), **TIGHT),
        Case("float32 in, float32 out", (arr(n_seq, n_in, dtype=np.float32), w32, b32), **PRODUCT32,
             hint="float32 inputs must give a float32 output: don't convert x, w or b."),
        Case("agrees with torch.nn.functional.linear(x, w.T, b)", TORCH_LINEAR.args, oracle=TORCH_LINEAR.oracle,
             **PRODUCT32),
    ]


def _linear_transposed(x, w, b):
    return x @ w.T + b


def _linear_no_bias(x, w, b):
    return x @ w


def _linear_float64(x, w, b):
    return solutions.linear(*(np.asarray(a, dtype=np.float64) for a in (x, w, b)))


LINEAR_MISTAKES = [
    Mistake("GPT-2 stores the weight [in, out] (its Conv1D layout, unlike nn.Linear's [out, in]), so the "
            "product is x @ w, not x @ w.T (nor w @ x).", _linear_transposed),
    Mistake("the bias is missing: add b after the product, x @ w + b.", _linear_no_bias),
    Mistake("float32 inputs came back as float64: don't convert x, w or b with .astype(np.float64).",
            _linear_float64),
]

LINEAR = register(Exercise(
    name="linear", chapter="03", points=1, hidden_points=1,
    solution=solutions.linear, make_cases=linear_cases, mistakes=LINEAR_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# ffn
# --------------------------------------------------------------------------------------------------------------
def ffn_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_seq, n_embd = (int(rng.integers(3, 7)), int(rng.integers(6, 13))) if hidden else (4, 8)
    n_hidden = 4 * n_embd

    def params(dtype=np.float64):
        # weights ~ N(0, 1/n_in) keep the pre-activations around ±1-3, where the GELU variants differ most
        return ({"w": (rng.standard_normal((n_embd, n_hidden)) / math.sqrt(n_embd)).astype(dtype),
                 "b": (0.5 * rng.standard_normal(n_hidden)).astype(dtype)},
                {"w": (rng.standard_normal((n_hidden, n_embd)) / math.sqrt(n_hidden)).astype(dtype),
                 "b": (0.5 * rng.standard_normal(n_embd)).astype(dtype)})

    def x_of(*shape, dtype=np.float64):
        return (2 * rng.standard_normal(shape)).astype(dtype)

    c_fc, c_proj = params()
    c_fc32, c_proj32 = params(np.float32)
    return [
        Case(f"x [{n_seq}, {n_embd}] -> [{n_seq}, {n_hidden}] -> [{n_seq}, {n_embd}]",
             (x_of(n_seq, n_embd), c_fc, c_proj), **FFN64,
             hint="compare your ffn step by step with linear(gelu(linear(x, **c_fc)), **c_proj): nothing else "
                  "goes in (no residual, no normalisation)."),
        Case("a single token [1, n_embd]", (x_of(1, n_embd), c_fc, c_proj), **FFN64),
        Case("a 3-D batch [2, n_seq, n_embd]: any leading shape, as the docstring says",
             (x_of(2, n_seq, n_embd), c_fc, c_proj), **FFN64,
             hint="ffn maps the last axis only: x @ w + b works for any number of leading axes.",
             hint_id="ffn-leading-axes"),
        Case("float32 in, float32 out", (x_of(n_seq, n_embd, dtype=np.float32), c_fc32, c_proj32), **PRODUCT32,
             hint="float32 inputs must give a float32 output: check gelu and linear for float64 constants."),
        Case("agrees with PyTorch: F.linear, F.gelu(approximate='tanh'), F.linear", TORCH_FFN.args,
             oracle=TORCH_FFN.oracle, **PRODUCT32),
    ]


def _lin(x, p):
    return x @ p["w"] + p["b"]


def _ffn_gelu_last(x, c_fc, c_proj):
    return solutions.gelu(_lin(_lin(x, c_fc), c_proj))


def _ffn_gelu_twice(x, c_fc, c_proj):
    return solutions.gelu(_lin(solutions.gelu(_lin(x, c_fc)), c_proj))


def _ffn_no_gelu(x, c_fc, c_proj):
    return _lin(_lin(x, c_fc), c_proj)


def _ffn_gelu_first(x, c_fc, c_proj):
    return _lin(_lin(solutions.gelu(x), c_fc), c_proj)


def _ffn_swapped(x, c_fc, c_proj):
    return _lin(solutions.gelu(_lin(x, c_proj)), c_fc)


def _ffn_erf(x, c_fc, c_proj):
    return _lin(_gelu_erf(_lin(x, c_fc)), c_proj)


def _ffn_relu(x, c_fc, c_proj):
    return _lin(np.maximum(_lin(x, c_fc), 0), c_proj)


def _ffn_2d_only(x, c_fc, c_proj):
    h = np.einsum("ij,jk->ik", x, c_fc["w"]) + c_fc["b"]
    return np.einsum("ij,jk->ik", solutions.gelu(h), c_proj["w"]) + c_proj["b"]


def _ffn_coefficient_0447(x, c_fc, c_proj):
    return _lin(_gelu_coefficient_0447(_lin(x, c_fc)), c_proj)


def _ffn_residual(x, c_fc, c_proj):
    return x + solutions.ffn(x, c_fc, c_proj)


def _ffn_no_proj_bias(x, c_fc, c_proj):
    return solutions.gelu(_lin(x, c_fc)) @ c_proj["w"]


def _ffn_no_fc_bias(x, c_fc, c_proj):
    return _lin(solutions.gelu(x @ c_fc["w"]), c_proj)


def _ffn_no_biases(x, c_fc, c_proj):
    return solutions.gelu(x @ c_fc["w"]) @ c_proj["w"]


FFN_MISTAKES = [
    # first: on a 3-D x it raises the ValueError of a 2-D-only product, which must not get the swapped weights' hint
    Mistake("your ffn works for 2-D x only: x may have any leading shape ([batch, n_seq, n_embd] too) — "
            "x @ w + b (or einsum with '...') maps the last axis whatever comes before it.", _ffn_2d_only,
            id="ffn-2d-only"),
    Mistake("the GELU comes after the second projection: apply it between the two, "
            "c_proj(gelu(c_fc(x))), and return c_proj's output as it is.", _ffn_gelu_last),
    Mistake("GELU is applied twice: only the hidden layer (after c_fc) is activated; c_proj's output is "
            "returned as it is.", _ffn_gelu_twice),
    Mistake("there is no GELU between the two projections: without it the two linear maps collapse into one.",
            _ffn_no_gelu),
    Mistake("the GELU is applied to the input: it goes on the hidden layer, after c_fc and before c_proj.",
            _ffn_gelu_first),
    Mistake("the shapes don't chain: c_fc comes first (w [n_embd, 4·n_embd] expands), then c_proj "
            "(w [4·n_embd, n_embd] contracts), each as x @ w + b — check the order and that no weight is "
            "transposed.", _ffn_swapped),
    Mistake("your ffn uses the exact (erf) GELU; GPT-2 uses the tanh form — call your gelu once its check "
            "passes.", _ffn_erf),
    Mistake("your ffn uses ReLU; GPT-2's MLP uses GELU (the tanh form) — call your gelu.", _ffn_relu),
    Mistake("the GELU inside your ffn has the cubic coefficient 0.0447 instead of 0.044715 — call your gelu once "
            "its check passes.", _ffn_coefficient_0447),
    Mistake("ffn returns the MLP's output alone: your ffn adds x to it, but the residual x + ffn(...) belongs to "
            "the block (chapter 04), not inside ffn.", _ffn_residual),
    Mistake("c_proj's bias is missing: the second projection is linear(h, **c_proj), h @ c_proj['w'] + "
            "c_proj['b'].", _ffn_no_proj_bias),
    Mistake("c_fc's bias is missing: the first projection is linear(x, **c_fc), x @ c_fc['w'] + c_fc['b'], "
            "before the GELU.", _ffn_no_fc_bias),
    Mistake("both biases are missing: each projection adds its bias, linear(x, **c_fc) and linear(h, **c_proj).",
            _ffn_no_biases),
]

FFN = register(Exercise(
    name="ffn", chapter="03", points=2, hidden_points=1,
    solution=solutions.ffn, make_cases=ffn_cases, mistakes=FFN_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# --------------------------------------------------------------------------------------------------------------
# An ffn mutant comes first: the notebook tests put the chapter's first mutant into an otherwise solved notebook
# and expect only its exercise to lose points (a wrong gelu or linear would also fail ffn, which calls them).
# The ffn mutants don't import from `solutions`: in a notebook that would replace the learner's gelu and linear.
MUTANTS = [
    Mutant("ffn", "GELU after the second projection", "ffn_gelu_last", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    out = h @ c_proj["w"] + c_proj["b"]
    return 0.5 * out * (1 + np.tanh(math.sqrt(2 / math.pi) * (out + 0.044715 * out**3)))
'''),
    Mutant("ffn", "GELU on both projections", "ffn_gelu_twice", '''
def _gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

def ffn(x, c_fc, c_proj):
    h = _gelu(x @ c_fc["w"] + c_fc["b"])
    return _gelu(h @ c_proj["w"] + c_proj["b"])
'''),
    Mutant("ffn", "no activation", "ffn_no_gelu", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "GELU on the input", "ffn_gelu_first", '''
def ffn(x, c_fc, c_proj):
    x = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return (x @ c_fc["w"] + c_fc["b"]) @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "c_fc and c_proj swapped", "ffn_swapped", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_proj["w"] + c_proj["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_fc["w"] + c_fc["b"]
'''),
    Mutant("ffn", "weights transposed inside ffn", "ffn_swapped", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"].T + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_proj["w"].T + c_proj["b"]
'''),
    Mutant("ffn", "exact (erf) GELU inside ffn", "ffn_erf", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "ReLU inside ffn", "ffn_relu", '''
def ffn(x, c_fc, c_proj):
    h = np.maximum(0, x @ c_fc["w"] + c_fc["b"])
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "GELU written inside ffn, coefficient 0.0447", "ffn_coefficient_0447", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.0447 * h**3)))
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "only 2-D inputs (a loop over the rows of x)", "ffn-leading-axes", '''
def ffn(x, c_fc, c_proj):
    rows = []
    for row in x:
        h = row @ c_fc["w"] + c_fc["b"]
        h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
        rows.append(h @ c_proj["w"] + c_proj["b"])
    return np.array(rows).reshape(len(x), -1)
'''),
    Mutant("ffn", "residual added inside ffn", "ffn_residual", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return x + h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "c_proj's bias missing", "ffn_no_proj_bias", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_proj["w"]
'''),
    Mutant("ffn", "c_fc's bias missing", "ffn_no_fc_bias", '''
def ffn(x, c_fc, c_proj):
    h = np.matmul(x, c_fc["w"])
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return np.matmul(h, c_proj["w"]) + c_proj["b"]
'''),
    Mutant("ffn", "both biases missing", "ffn_no_biases", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_proj["w"]
'''),
    Mutant("ffn", "only 2-D inputs (einsum 'ij,jk->ik')", "ffn-2d-only", '''
def ffn(x, c_fc, c_proj):
    h = np.einsum("ij,jk->ik", x, c_fc["w"]) + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return np.einsum("ij,jk->ik", h, c_proj["w"]) + c_proj["b"]
'''),
    # the learner's own helpers, defined in the same notebook: a wrong gelu (or linear) makes ffn fail, and the
    # check says to fix that helper first
    Mutant("ffn", "the learner's own gelu, with a wrong coefficient, inside ffn", "fix-first:gelu", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.0447 * x**3)))

def linear(x, w, b):
    return x @ w + b

def ffn(x, c_fc, c_proj):
    return linear(gelu(linear(x, **c_fc)), **c_proj)
'''),
    Mutant("ffn", "the learner's own gelu, exact erf form, inside ffn", "fix-first:gelu", '''
def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))

def ffn(x, c_fc, c_proj):
    return gelu(x @ c_fc["w"] + c_fc["b"]) @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "the learner's own linear, transposed, inside ffn", "fix-first:linear", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

def linear(x, w, b):
    return x @ w.T + b

def ffn(x, c_fc, c_proj):
    return linear(gelu(linear(x, c_fc["w"], c_fc["b"])), c_proj["w"], c_proj["b"])
'''),
    # ---- gelu
    Mutant("gelu", "exact erf GELU", "gelu_erf", '''
def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))
'''),
    Mutant("gelu", "torch's default (erf) GELU", "gelu_erf", '''
def gelu(x):
    import torch
    return torch.nn.functional.gelu(torch.from_numpy(np.asarray(x))).numpy()
'''),
    Mutant("gelu", "ReLU", "gelu_relu", '''
def gelu(x):
    return np.where(x > 0, x, 0)
'''),
    Mutant("gelu", "x * sigmoid(1.702 x)", "gelu_sigmoid", '''
def gelu(x):
    return x * (1 / (1 + np.exp(-1.702 * x)))
'''),
    Mutant("gelu", "cubic coefficient 0.0447", "gelu_coefficient_0447", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.0447 * x**3)))
'''),
    Mutant("gelu", "cubic coefficient 0.44715", "gelu_coefficient_44715", '''
def gelu(x):
    c = math.sqrt(2 / math.pi)
    return 0.5 * x * (1 + np.tanh(c * (x + 0.44715 * x * x * x)))
'''),
    Mutant("gelu", "cubic coefficient 0.04715", "gelu_coefficient_04715", '''
def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.04715 * x**3)))
'''),
    Mutant("gelu", "x squared instead of cubed", "gelu_square", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**2)))
'''),
    Mutant("gelu", "no sqrt(2/pi) scale", "gelu_no_scale", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(x + 0.044715 * x**3))
'''),
    Mutant("gelu", "sqrt(2 pi) instead of sqrt(2/pi)", "gelu_sqrt_2pi", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 * math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "missing 0.5", "gelu_no_half", '''
def gelu(x):
    return x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "1 - tanh", "gelu_minus", '''
def gelu(x):
    return 0.5 * x * (1 - np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "np.sqrt(2/np.pi) promotes float32", "gelu_float64", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * np.power(x, 3))))
'''),
    Mutant("gelu", "computes in place", "mutated-input", '''
def gelu(x):
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    x *= 0.5 * (1 + np.tanh(inner))
    return x
'''),
    # ---- linear
    Mutant("linear", "weight used transposed", "linear_transposed", '''
def linear(x, w, b):
    return x @ w.T + b
'''),
    Mutant("linear", "nn.Linear habit: (w @ x.T).T", "linear_transposed", '''
def linear(x, w, b):
    return (w @ x.T).T + b
'''),
    Mutant("linear", "bias dropped", "linear_no_bias", '''
def linear(x, w, b):
    return np.dot(x, w)
'''),
    Mutant("linear", "einsum only for 2-D", "case:x-w-b-works-for-any", '''
def linear(x, w, b):
    return np.einsum("ij,jk->ik", x, w) + b
'''),
    Mutant("linear", "promotes to float64", "linear_float64", '''
def linear(x, w, b):
    return x.astype(np.float64) @ w + b
'''),
]

register_mutants(MUTANTS)
