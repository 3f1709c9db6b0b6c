"""Chapter 05 — softmax, causal_mask, attention, mha: cases and known mistakes."""

import itertools
import math

import numpy as np

import solutions

from ..engine import Case, Exercise, Mistake, Mutant, register, register_mutants
from ..recorded import Recorded

# ----------------------------------------------------------------------------------------------------------------
# Oracles: independent implementations in PyTorch
# ----------------------------------------------------------------------------------------------------------------


def _torch_softmax(x, axis=-1):
    import torch

    return torch.softmax(torch.from_numpy(x), dim=axis).numpy()


def _torch_causal_attention(q, k, v, mask):
    """torch's fused kernel with is_causal=True; the `mask` argument is ignored on purpose (an independent check)."""
    import torch
    import torch.nn.functional as F

    t = [torch.from_numpy(a)[None] for a in (q, k, v)]  # [1, n, d]
    return F.scaled_dot_product_attention(*t, is_causal=True)[0].numpy()


# PyTorch's outputs for one fixed float32 input each, recorded (autograder/recorded.py): grading needs no PyTorch
TORCH_SOFTMAX = Recorded("ch05_torch_softmax", 51, lambda rng: ((3 * rng.standard_normal((4, 9))).astype(np.float32),),
                         _torch_softmax)
TORCH_ATTENTION = Recorded("ch05_torch_attention", 52, lambda rng: (
    *[(1.5 * rng.standard_normal((6, d))).astype(np.float32) for d in (5, 5, 4)], solutions.causal_mask(6)),
    _torch_causal_attention)


def torch_mha(x, c_attn, c_proj, n_head):
    """Causal multi-head self-attention written with torch's view/transpose and scaled_dot_product_attention.

    # [n_seq, n_embd] -> [n_seq, n_embd]
    """
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(x)
    n_seq, n_embd = t.shape
    qkv = t @ torch.from_numpy(c_attn["w"]) + torch.from_numpy(c_attn["b"])
    q, k, v = (h.view(n_seq, n_head, n_embd // n_head).transpose(0, 1) for h in qkv.split(n_embd, dim=-1))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # [n_head, n_seq, d_head]
    out = out.transpose(0, 1).reshape(n_seq, n_embd)
    return (out @ torch.from_numpy(c_proj["w"]) + torch.from_numpy(c_proj["b"])).numpy()


# ----------------------------------------------------------------------------------------------------------------
# softmax
# ----------------------------------------------------------------------------------------------------------------


def softmax_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # Rows and columns differ (never square) so that axis and keepdims mistakes show.
    n_rows, n_cols = (int(rng.integers(3, 6)), int(rng.integers(7, 10))) if hidden else (4, 6)

    def logits(*shape, scale=3.0, dtype=np.float64):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    huge = float(rng.uniform(5e3, 2e4)) if hidden else 1e4
    big = np.empty((n_rows, n_cols))
    for row in big:  # every row peaks at the same huge value, with entries at -huge too
        row[:] = huge - rng.uniform(0, 5, n_cols)
        row[rng.permutation(n_cols)[:2]] = [huge, -huge]
    scales = logits(n_rows, n_cols, scale=1.0)
    scales[1] += float(rng.uniform(1500, 3000)) if hidden else 2000.0  # one row far above the others
    masked = logits(n_rows, n_cols)
    masked[:, 1:] = np.where(rng.random((n_rows, n_cols - 1)) < 0.4, -np.inf, masked[:, 1:])
    return [
        Case("2-D logits: each row becomes a probability distribution", (logits(n_rows, n_cols),),
             atol=1e-12, rtol=1e-9),
        Case("agrees with torch.softmax", TORCH_SOFTMAX.args, oracle=TORCH_SOFTMAX.oracle,
             atol=1e-7, rtol=1e-5),
        Case(f"huge logits (±{huge:.3g}): must not overflow", (big,), atol=1e-12, rtol=1e-9,
             hint="np.exp overflows for large logits (exp(1e4) = inf, and inf/inf = NaN): subtract each row's "
                  "max before np.exp — softmax doesn't change when you shift a row.", hint_id="softmax-overflow"),
        Case("rows on very different scales (one row ~2000 higher than the others)", (scales,),
             atol=1e-12, rtol=1e-9,
             hint="one max for the whole array makes rows far below it underflow to 0/0 = NaN: take the max "
                  "of each row, np.max(x, axis=axis, keepdims=True).", hint_id="softmax-one-max-for-all-rows"),
        Case("a 3-D batch [2, n_rows, n_cols], default axis=-1", (logits(2, n_rows, n_cols),),
             atol=1e-12, rtol=1e-9),
        Case("axis=0: each column sums to 1", (logits(n_rows, n_cols),), {"axis": 0}, atol=1e-12, rtol=1e-9),
        Case("masked logits (-inf) get probability 0", (masked,), atol=1e-12, rtol=1e-9),
        Case("a single logit per row gives probability 1", (logits(n_rows, 1),), atol=1e-12, rtol=1e-9),
        Case("float32 in, float32 out", (logits(n_rows, n_cols, dtype=np.float32),), atol=1e-7, rtol=1e-5,
             hint="float32 inputs must give a float32 output: avoid float64 constants and .astype(np.float64)."),
    ]


def _softmax_no_keepdims(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis))
    return e / np.sum(e, axis=axis)


def _softmax_axis_0(x, axis=-1):
    return solutions.softmax(x, axis=0)


def _softmax_axis_1(x, axis=-1):
    return solutions.softmax(x, axis=1)


def _softmax_axis_ignored(x, axis=-1):
    return solutions.softmax(x, axis=-1)


def _softmax_whole_sum(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e)


def _softmax_float64(x, axis=-1):
    return solutions.softmax(np.asarray(x, dtype=np.float64), axis=axis)


def _softmax_global(x, axis=-1):  # deep-ml's np.exp(x) / np.sum(np.exp(x)), made stable: one distribution overall
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


SOFTMAX_MISTAKES = [
    Mistake("your softmax ignores its axis argument: use axis=axis in the max and in the sum.",
            _softmax_axis_ignored),
    Mistake("the columns of your output sum to 1, not the rows: softmax goes along the last axis "
            "(axis=-1), each row on its own.", _softmax_axis_0),
    Mistake("axis=1 is the last axis only for 2-D input: use the axis argument (default -1).", _softmax_axis_1),
    Mistake("you divided by the sum of the whole array: divide each row by its own sum "
            "(np.sum(e, axis=axis, keepdims=True)).", _softmax_whole_sum),
    Mistake("your softmax spreads one distribution over the whole array (np.exp(x) / np.sum(np.exp(x))): all "
            "entries together sum to 1, not each row — take the max and the sum along axis, with keepdims=True.",
            _softmax_global, id="softmax-over-whole-array"),
    Mistake("float32 inputs came back as float64: don't convert x to float64 or mix in float64 arrays.",
            _softmax_float64),
    Mistake("without keepdims=True the row maxima (and sums) have shape [n_rows] and cannot be subtracted "
            "row by row: use keepdims=True.", _softmax_no_keepdims),
]

SOFTMAX = register(Exercise(
    name="softmax", chapter="05", points=2, hidden_points=1,
    solution=solutions.softmax, make_cases=softmax_cases, mistakes=SOFTMAX_MISTAKES,
))


# ----------------------------------------------------------------------------------------------------------------
# causal_mask
# ----------------------------------------------------------------------------------------------------------------

BLOCKED = -1e9  # any value at or below this (or -inf) counts as "hidden" in a mask


def _canonical(mask: np.ndarray) -> np.ndarray:
    """0 stays 0, anything <= -1e9 becomes -inf, every other value (1, +1e10, NaN ...) stays as it is."""
    with np.errstate(invalid="ignore"):
        return np.where(np.asarray(mask, dtype=np.float64) <= BLOCKED, -np.inf, mask)


def compare_masks(got, want, case) -> str | None:
    """Two masks agree when they have the same shape and dtype, 0 in the same places and a very negative number
    (-1e10, finfo.min, -inf ...) in the same places. Masks of other values (0/1, booleans) must be equal."""
    if not isinstance(got, np.ndarray):
        return f"expected a NumPy array of shape {want.shape}, got {type(got).__name__} {repr(got)[:60]}"
    if got.shape != want.shape:
        return f"expected shape {want.shape}, got shape {got.shape}"
    if got.dtype != want.dtype:
        return f"expected dtype {want.dtype}, got dtype {got.dtype}"
    a, b = _canonical(got), _canonical(want)
    if np.array_equal(a, b, equal_nan=True):
        return None
    show = {"threshold": 50, "max_line_width": 100, "formatter": {"all": lambda v: f"{v:>6}"}}
    bad = np.argwhere(~((a == b) | (np.isnan(a) & np.isnan(b))))
    return (f"expected (-inf stands for any value <= -1e9)\n{np.array2string(b, **show)}\n"
            f"got\n{np.array2string(a, **show)}\n{len(bad)} entries differ, first at {bad[0].tolist()}")


def causal_mask_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n, m = (int(rng.integers(5, 9)), int(rng.integers(9, 13))) if hidden else (4, 6)
    dtype = [np.float32, np.float64][int(rng.integers(2))] if hidden else np.float32
    return [
        Case(f"n_seq={m}, dtype=np.float64", (m,), {"dtype": np.float64}, compare=compare_masks),
        Case(f"n_seq={n}, default dtype float32", (n,), compare=compare_masks,
             hint="look at the expected mask: 0 on and below the diagonal, -1e10 above it."),
        Case("a single position: [[0]]", (1,), {"dtype": dtype}, compare=compare_masks),
        Case(f"n_seq={n + m}, dtype={np.dtype(dtype).name}", (n + m,), {"dtype": dtype}, compare=compare_masks),
    ]


def _mask_of(pattern, dtype, value):
    return (pattern * dtype(value)).astype(dtype)


def _mask_hides_diagonal(n_seq, dtype=np.float32):
    return _mask_of(np.triu(np.ones((n_seq, n_seq), dtype), k=0), dtype, -1e10)


def _mask_hides_past(n_seq, dtype=np.float32):
    return _mask_of(np.tril(np.ones((n_seq, n_seq), dtype), k=-1), dtype, -1e10)


def _mask_hides_past_and_self(n_seq, dtype=np.float32):
    return _mask_of(np.tril(np.ones((n_seq, n_seq), dtype), k=0), dtype, -1e10)


def _mask_ones_allowed(n_seq, dtype=np.float32):
    return np.tril(np.ones((n_seq, n_seq), dtype))


def _mask_ones_future(n_seq, dtype=np.float32):
    return np.triu(np.ones((n_seq, n_seq), dtype), k=1)


def _mask_bool_allowed(n_seq, dtype=np.float32):
    return np.tril(np.ones((n_seq, n_seq), dtype=bool))


def _mask_bool_future(n_seq, dtype=np.float32):
    return np.triu(np.ones((n_seq, n_seq), dtype=bool), k=1)


def _mask_positive(n_seq, dtype=np.float32):
    return _mask_of(np.triu(np.ones((n_seq, n_seq), dtype), k=1), dtype, 1e10)


def _mask_zero_times_inf(n_seq, dtype=np.float32):
    with np.errstate(invalid="ignore"):
        return np.triu(np.ones((n_seq, n_seq), dtype), k=1) * dtype(-np.inf)


def _mask_dtype_ignored(n_seq, dtype=np.float32):
    return solutions.causal_mask(n_seq, dtype=np.float64)


_ADDITIVE = ("the mask is added to the scores: 0 where a position may look, -1e10 (or -inf) above the diagonal "
             "(the future)")
CAUSAL_MASK_MISTAKES = [
    Mistake("your mask also hides the diagonal: a position may attend to itself, so only the entries above "
            "the diagonal (np.triu(..., k=1)) get -1e10.", _mask_hides_diagonal),
    Mistake("your mask hides the past (below the diagonal) and lets every position see the future: -1e10 "
            "belongs above the diagonal (np.triu(..., k=1)), 0 on and below it.", _mask_hides_past),
    Mistake("your mask hides the past and the diagonal (np.tril) and lets every position see the future: -1e10 "
            "belongs strictly above the diagonal (np.triu(..., k=1)), 0 on and below it.",
            _mask_hides_past_and_self),
    Mistake(f"you returned a multiplicative 1/0 mask (1 where a position may look); {_ADDITIVE}.",
            _mask_ones_allowed),
    Mistake(f"1 on the future barely changes the scores; {_ADDITIVE}.", _mask_ones_future),
    Mistake(f"you returned a boolean 'may look' mask (True on and below the diagonal), which cannot be added to "
            f"the scores; {_ADDITIVE}, as numbers of the given dtype.", _mask_bool_allowed),
    Mistake(f"you returned a boolean 'future' mask (True above the diagonal), which cannot be added to the "
            f"scores; {_ADDITIVE}, as numbers of the given dtype.", _mask_bool_future),
    Mistake("+1e10 would make the future the most attended position: the future needs a large *negative* "
            "number (-1e10).", _mask_positive),
    Mistake("0 × -inf is NaN, so every allowed entry became NaN: use np.where(future, -np.inf, 0) or a finite "
            "-1e10 times the upper triangle.", _mask_zero_times_inf),
    Mistake("use the dtype argument: build the mask with np.ones(..., dtype=dtype) (the default is float32, "
            "not NumPy's float64).", _mask_dtype_ignored),
]

CAUSAL_MASK = register(Exercise(
    name="causal_mask", chapter="05", points=1, hidden_points=1,
    solution=solutions.causal_mask, make_cases=causal_mask_cases, mistakes=CAUSAL_MASK_MISTAKES,
))


# ----------------------------------------------------------------------------------------------------------------
# attention
# ----------------------------------------------------------------------------------------------------------------


def attention_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # n_seq, d_k and d_v all differ, so that scaling by the wrong size and transposes show.
    if hidden:  # the scales √d_k (right), d_k, √n, √d_v all differ: n and d_v are not d_k²
        n, d_k, d_v = 9, 3, 4
        while d_k * d_k in (n, d_v):
            n, d_k, d_v = (int(v) for v in rng.choice(np.arange(3, 12), size=3, replace=False))
        n_q, n_k = int(rng.integers(2, 4)), int(rng.integers(5, 8))
    else:
        n, d_k, d_v, n_q, n_k = 5, 4, 3, 3, 6

    def qkv(n_q, n_k, d_k, d_v, dtype=np.float64, scale=1.5):
        return tuple((scale * rng.standard_normal(shape)).astype(dtype) for shape in
                     ((n_q, d_k), (n_k, d_k), (n_k, d_v)))

    causal = solutions.causal_mask
    # float32 outputs are sums of a few products of size ~1.5²: correct float32 code (einsum, a loop, torch's fused
    # kernel) lands up to 2.6e-7 from the reference, so atol=1e-5 (measured: tests/alternatives/ch05_attention.py)
    f32 = {"atol": 1e-5, "rtol": 1e-5}
    return [
        Case(f"self-attention over {n} positions with the causal mask (d_k={d_k}, d_v={d_v})",
             (*qkv(n, n, d_k, d_v), causal(n, np.float64)), atol=1e-10, rtol=1e-8),
        Case(f"{n_q} queries, {n_k} keys, no mask (all zeros): weights are [n_q, n_k]",
             (*qkv(n_q, n_k, d_k, d_v), np.zeros((n_q, n_k))), atol=1e-10, rtol=1e-8),
        Case("agrees with torch's scaled_dot_product_attention(is_causal=True)", TORCH_ATTENTION.args,
             oracle=TORCH_ATTENTION.oracle, **f32),
        Case("a single position attends only to itself (the output is v)",
             (*qkv(1, 1, d_k, d_v), causal(1, np.float64)), atol=1e-10, rtol=1e-8),
        Case("float32 in, float32 out", (*qkv(n, n, d_k, d_v, np.float32), causal(n)), **f32,
             hint="float32 inputs must give a float32 output: something in your attention makes float64 — a "
                  "float64 array, .astype(np.float64), or a NumPy float64 scalar such as np.sqrt(d_k) (use "
                  "math.sqrt(d_k), a Python float)."),
        Case("a causal mask written with -inf instead of -1e10 gives the same output",
             (*qkv(n, n, d_k, d_v), _neg_inf_mask(n)), atol=1e-10, rtol=1e-8,
             hint="a mask may hide the future with -inf as well as with -1e10: add it to the scores before the "
                  "softmax (exp(-inf) = 0), don't multiply by it or compare it with -1e10."),
    ]


def _neg_inf_mask(n_seq):
    """The causal mask with -inf on the future (a convention the docstring allows).  # -> [n_seq, n_seq]"""
    return np.where(np.tri(n_seq, dtype=bool), 0.0, -np.inf)


def _scores(q, k):
    return q @ k.T / math.sqrt(q.shape[-1])


def _attn_mask_after_softmax(q, k, v, mask):
    return (solutions.softmax(_scores(q, k)) + mask) @ v


def _attn_01_mask_after_softmax(q, k, v, mask):  # weights * tril(ones): the future zeroed, rows not renormalised
    with np.errstate(invalid="ignore"):
        return (solutions.softmax(_scores(q, k)) * (mask > BLOCKED)) @ v


def _attn_mask_multiplied(q, k, v, mask):
    return solutions.softmax(_scores(q, k) * mask) @ v


def _attn_no_mask(q, k, v, mask):
    return solutions.softmax(_scores(q, k)) @ v


def _attn_no_scale(q, k, v, mask):
    return solutions.softmax(q @ k.T + mask) @ v


def _attn_scale_d(q, k, v, mask):
    return solutions.softmax(q @ k.T / q.shape[-1] + mask) @ v


def _attn_scale_n_k(q, k, v, mask):
    return solutions.softmax(q @ k.T / math.sqrt(k.shape[0]) + mask) @ v


def _attn_scale_d_v(q, k, v, mask):
    return solutions.softmax(q @ k.T / math.sqrt(v.shape[-1]) + mask) @ v


def _attn_softmax_axis_0(q, k, v, mask):
    return solutions.softmax(_scores(q, k) + mask, axis=0) @ v


def _attn_scores_transposed(q, k, v, mask):
    return solutions.softmax(k @ q.T / math.sqrt(q.shape[-1]) + mask) @ v


def _attn_weights_only(q, k, v, mask):
    return solutions.softmax(_scores(q, k) + mask)


def _attn_float64(q, k, v, mask):
    return solutions.softmax(q @ k.T / np.sqrt(q.shape[-1]) + mask) @ v


def _attn_no_transpose(q, k, v, mask):
    return solutions.softmax(q @ k / math.sqrt(q.shape[-1]) + mask) @ v


_SCALE = "divide the scores by √d_k, the length of each query and key (q.shape[-1])"
ATTENTION_MISTAKES = [
    Mistake("you added the mask after the softmax: add it to the scores *before* the softmax, so the "
            "future gets weight exp(-1e10) = 0.", _attn_mask_after_softmax),
    Mistake("you multiplied the weights by a 0/1 mask after the softmax: the rows then no longer sum to 1. Add "
            "the mask to the scores *before* the softmax, which renormalises over the past.",
            _attn_01_mask_after_softmax, id="attn-01-mask-after-softmax"),
    Mistake("the mask is added to the scores, not multiplied: scores + mask, then the softmax.",
            _attn_mask_multiplied),
    Mistake("the mask is ignored: add it to the scores before the softmax.", _attn_no_mask),
    Mistake(f"the scores are not scaled: {_SCALE}.", _attn_no_scale),
    Mistake(f"you divided by d_k: {_SCALE}, the square root.", _attn_scale_d),
    Mistake(f"you scaled by the number of keys: {_SCALE}.", _attn_scale_n_k),
    Mistake(f"you scaled by the width of v: {_SCALE}.", _attn_scale_d_v),
    Mistake("the softmax must run over the keys (the last axis, each query's row), not over axis 0.",
            _attn_softmax_axis_0),
    Mistake("scores[i, j] is query i · key j: compute q @ k.T ([n_q, n_k]), not k @ q.T.",
            _attn_scores_transposed),
    Mistake("you returned the attention weights: the output is the weights times the values (weights @ v).",
            _attn_weights_only),
    Mistake("float32 inputs came back as float64 (with the right values): a float64 value entered the scores — "
            "e.g. np.sqrt(d_k), a float64 NumPy scalar, or .astype(np.float64); scale with math.sqrt(d_k).",
            _attn_float64),
    Mistake("q @ k doesn't line up the features: the scores are q @ k.T, [n_q, d_k] @ [d_k, n_k].",
            _attn_no_transpose),
]

ATTENTION = register(Exercise(
    name="attention", chapter="05", points=2, hidden_points=1,
    solution=solutions.attention, make_cases=attention_cases, mistakes=ATTENTION_MISTAKES,
))


# ----------------------------------------------------------------------------------------------------------------
# split_heads and merge_heads
# ----------------------------------------------------------------------------------------------------------------


def _head_sizes(rng: np.random.Generator, hidden: bool) -> tuple[int, int, int]:
    """(n_seq, n_head, d_head), all different, so that every mix-up of the three axes shows."""
    if not hidden:
        return 5, 3, 4
    n_seq, n_head, d_head = (int(v) for v in rng.choice(np.arange(2, 9), size=3, replace=False))
    return n_seq, n_head, d_head


def split_heads_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_seq, n_head, d_head = _head_sizes(rng, hidden)
    n_embd = n_head * d_head

    def x(n_seq, n_embd, dtype=np.float64):
        return rng.standard_normal((n_seq, n_embd)).astype(dtype)

    exact = {"atol": 1e-12, "rtol": 1e-12}  # a split only moves numbers: any correct one is exact
    return [
        Case(f"{n_seq} positions, n_embd={n_embd}, {n_head} heads of {d_head}: [n_head, n_seq, d_head]",
             (x(n_seq, n_embd), n_head), **exact),
        Case("one head (n_head=1): [1, n_seq, n_embd]", (x(n_seq, n_embd), 1), **exact),
        Case("a single position", (x(1, n_embd), n_head), **exact),
        Case(f"{n_embd} heads of one feature each", (x(n_seq, n_embd), n_embd), **exact),
        Case("float32 stays float32", (x(n_seq + 1, n_embd, np.float32), n_head), **exact,
             hint="a split only moves numbers: return x's own numbers in x's dtype, without converting."),
    ]


def _split_plain_reshape(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_head, n_seq, n_embd // n_head)


def _split_interleaved(x, n_head):  # feature i goes to head i % n_head
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_embd // n_head, n_head).transpose(2, 0, 1)


def _split_no_transpose(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd // n_head)


def _split_full_transpose(x, n_head):  # .T reverses all three axes
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd // n_head).T


def _split_list(x, n_head):  # picoGPT's np.split without the np.stack
    return np.split(x, n_head, axis=-1)


def _split_true_division(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd / n_head).transpose(1, 0, 2)


SPLIT_HEADS_MISTAKES = [
    Mistake("a plain reshape to [n_head, n_seq, d_head] reads the numbers in memory order, so a 'head' holds "
            "positions, not features: reshape(n_seq, n_head, d_head) first, then transpose(1, 0, 2).",
            _split_plain_reshape, id="split-plain-reshape"),
    Mistake("each head takes a contiguous block of d_head features (reshape(n_seq, n_head, d_head)), not every "
            "n_head-th feature.", _split_interleaved, id="split-interleaved"),
    Mistake("you stopped at reshape(n_seq, n_head, d_head): move the head axis to the front with "
            "transpose(1, 0, 2) to get [n_head, n_seq, d_head].", _split_no_transpose, id="split-no-transpose"),
    Mistake(".T reverses all three axes ([d_head, n_head, n_seq]): transpose(1, 0, 2) swaps only the first two.",
            _split_full_transpose, id="split-full-transpose"),
    Mistake("np.split returns a list of arrays: np.stack the heads into one [n_head, n_seq, d_head] array.",
            _split_list, id="split-returns-a-list"),
    Mistake("n_embd / n_head is a float, which reshape refuses: use integer division, n_embd // n_head.",
            _split_true_division, id="split-float-d-head"),
]

SPLIT_HEADS = register(Exercise(
    name="split_heads", chapter="05", points=1, hidden_points=1,
    solution=solutions.split_heads, make_cases=split_heads_cases, mistakes=SPLIT_HEADS_MISTAKES,
))


def merge_heads_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_seq, n_head, d_head = _head_sizes(rng, hidden)

    def heads(n_head, n_seq, d_head, dtype=np.float64):
        return rng.standard_normal((n_head, n_seq, d_head)).astype(dtype)

    exact = {"atol": 1e-12, "rtol": 1e-12}
    x = rng.standard_normal((n_seq, n_head * d_head))
    return [
        Case(f"{n_head} heads, {n_seq} positions, d_head={d_head}: [n_seq, n_head * d_head]",
             (heads(n_head, n_seq, d_head),), **exact),
        Case("undoes split_heads: merge_heads(split_heads(x, n_head)) is x", (solutions.split_heads(x, n_head),),
             **exact),
        Case("one head: [n_seq, d_head]", (heads(1, n_seq, d_head),), **exact),
        Case("a single position", (heads(n_head, 1, d_head),), **exact),
        Case("float32 stays float32", (heads(n_head, n_seq + 1, d_head, np.float32),), **exact,
             hint="merging only moves numbers: return the heads' own numbers in their dtype, without converting."),
    ]


def _merge_plain_reshape(x):
    n_head, n_seq, d_head = x.shape
    return x.reshape(n_seq, n_head * d_head)


def _merge_interleaved(x):
    n_head, n_seq, d_head = x.shape
    return x.transpose(1, 2, 0).reshape(n_seq, n_head * d_head)


def _merge_full_transpose(x):
    n_head, n_seq, d_head = x.shape
    return x.T.reshape(n_seq, n_head * d_head)


def _merge_no_reshape(x):
    return x.transpose(1, 0, 2)


def _merge_concatenate_rows(x):
    return np.concatenate(list(x), axis=0)


MERGE_HEADS_MISTAKES = [
    Mistake("a plain reshape of [n_head, n_seq, d_head] to [n_seq, n_embd] reads the numbers in memory order and "
            "mixes positions and heads: transpose(1, 0, 2) first, then reshape(n_seq, n_head * d_head).",
            _merge_plain_reshape, id="merge-plain-reshape"),
    Mistake("each head's d_head features go side by side as one contiguous block (transpose(1, 0, 2)), not "
            "interleaved feature by feature.", _merge_interleaved, id="merge-interleaved"),
    Mistake(".T reverses all three axes ([d_head, n_seq, n_head]): transpose(1, 0, 2) swaps only the first two.",
            _merge_full_transpose, id="merge-full-transpose"),
    Mistake("you stopped at [n_seq, n_head, d_head]: reshape(n_seq, n_head * d_head) puts the heads side by side.",
            _merge_no_reshape, id="merge-no-reshape"),
    Mistake("concatenating along axis 0 stacks the heads' rows below each other: put them side by side with "
            "np.concatenate(list(x), axis=-1).", _merge_concatenate_rows, id="merge-concatenate-rows"),
]

MERGE_HEADS = register(Exercise(
    name="merge_heads", chapter="05", points=1, hidden_points=1,
    solution=solutions.merge_heads, make_cases=merge_heads_cases, mistakes=MERGE_HEADS_MISTAKES,
))


# ----------------------------------------------------------------------------------------------------------------
# mha
# ----------------------------------------------------------------------------------------------------------------


def _linear_params(rng, n_in, n_out, dtype):
    return {"w": (rng.standard_normal((n_in, n_out)) / math.sqrt(n_in)).astype(dtype),
            "b": (0.5 * rng.standard_normal(n_out)).astype(dtype)}


TORCH_MHA = Recorded("ch05_torch_mha", 53, lambda rng: (
    (1.5 * rng.standard_normal((7, 12))).astype(np.float32), _linear_params(rng, 12, 36, np.float32),
    _linear_params(rng, 12, 12, np.float32), 3), torch_mha)


def rebuild_fixtures() -> list:
    return [oracle.rebuild() for oracle in (TORCH_SOFTMAX, TORCH_ATTENTION, TORCH_MHA)]


_FLOAT64 = ("float32 inputs came back as float64 (with the right values): a float64 value entered your mha — "
            "e.g. a mask built without dtype=x.dtype.type, or a NumPy float64 scalar such as np.sqrt(d_head) "
            "(use math.sqrt).")


def mha_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if hidden:
        n_head = int(rng.integers(2, 5))
        d_head = int(rng.choice([d for d in range(3, 7) if d != n_head]))
        n_seq = int(rng.choice([n for n in range(4, 9) if n not in (n_head, d_head)]))
    else:
        n_seq, n_head, d_head = 5, 3, 4

    def inputs(n_seq, n_head, d_head, dtype=np.float64):
        n_embd = n_head * d_head
        x = (1.5 * rng.standard_normal((n_seq, n_embd))).astype(dtype)
        return x, _linear_params(rng, n_embd, 3 * n_embd, dtype), _linear_params(rng, n_embd, n_embd, dtype), n_head

    return [
        Case(f"{n_seq} positions, n_embd={n_head * d_head}, {n_head} heads of {d_head}",
             inputs(n_seq, n_head, d_head), atol=1e-10, rtol=1e-8),
        Case("agrees with torch (view/transpose into heads, scaled_dot_product_attention(is_causal=True))",
             TORCH_MHA.args, oracle=TORCH_MHA.oracle, atol=1e-5, rtol=1e-5),
        Case("one head (n_head=1) is plain causal attention", inputs(n_seq, 1, n_head * d_head),
             atol=1e-10, rtol=1e-8),
        Case("a single position", inputs(1, n_head, d_head), atol=1e-10, rtol=1e-8),
        Case("float32 in, float32 out", inputs(n_seq, n_head, d_head, np.float32), atol=1e-5, rtol=1e-5,
             hint=_FLOAT64, hint_id="mha-float64"),
    ]


def _mha_variant(x, c_attn, c_proj, n_head, *, order=(0, 1, 2), split=solutions.split_heads,
                 merge=solutions.merge_heads, scale=None, causal=True, proj=True, attn_bias=True, proj_bias=True,
                 mask_dtype=None):
    """The reference mha with one thing changed (the keyword that differs from its default)."""
    n_seq, n_embd = x.shape
    qkv = x @ c_attn["w"] + (c_attn["b"] if attn_bias else 0)
    parts = np.split(qkv, 3, axis=-1)
    q, k, v = (split(parts[i], n_head) for i in order)
    d_scale = q.shape[-1] if scale is None else scale(n_embd, n_head)
    mask = solutions.causal_mask(n_seq, dtype=mask_dtype or x.dtype.type) if causal else 0
    heads = np.stack([solutions.softmax(qh @ kh.T / math.sqrt(d_scale) + mask) @ vh for qh, kh, vh in zip(q, k, v)])
    out = merge(heads)
    return out @ c_proj["w"] + (c_proj["b"] if proj_bias else 0) if proj else out


def _mistake_mha(**change):
    def impl(x, c_attn, c_proj, n_head):
        return _mha_variant(x, c_attn, c_proj, n_head, **change)
    return impl


def _mha_one_head(x, c_attn, c_proj, n_head):
    return solutions.mha(x, c_attn, c_proj, 1)


def _qkv_order(order) -> Mistake:
    """q, k, v taken from c_attn's chunks order[0], order[1], order[2]; named as the learner would unpack them."""
    names = ["qkv"[order.index(chunk)] for chunk in range(3)]  # what each chunk was used as
    return Mistake(f"you unpacked c_attn's three chunks as {', '.join(names)}: they come out as q, k, v, in that "
                   "order — q, k, v = np.split(linear(x, **c_attn), 3, axis=-1).", _mistake_mha(order=order),
                   id=f"qkv-order-{''.join(names)}")


_WRONG_ORDERS = [p for p in itertools.permutations(range(3)) if p != (0, 1, 2)]
MHA_MISTAKES = [
    Mistake("the heads must be split with reshape(n_seq, n_head, d_head) then transpose(1, 0, 2): a plain "
            "reshape to [n_head, n_seq, d_head] mixes positions and heads.",
            _mistake_mha(split=_split_plain_reshape), id="split-plain-reshape"),
    Mistake("merging the heads needs transpose(1, 0, 2) before reshape(n_seq, n_embd): a plain reshape of "
            "[n_head, n_seq, d_head] mixes positions and heads.", _mistake_mha(merge=_merge_plain_reshape),
            id="merge-plain-reshape"),
    Mistake("both the split and the merge are plain reshapes, which mix positions and heads: split with "
            "reshape(n_seq, n_head, d_head).transpose(1, 0, 2) and merge with the reverse.",
            _mistake_mha(split=_split_plain_reshape, merge=_merge_plain_reshape), id="split-and-merge-plain-reshape"),
    Mistake("each head takes a contiguous block of d_head features (reshape(n_seq, n_head, d_head)), not every "
            "n_head-th feature.", _mistake_mha(split=_split_interleaved, merge=_merge_interleaved),
            id="interleaved-heads"),
    *[_qkv_order(order) for order in _WRONG_ORDERS],
    Mistake("you scaled by √n_embd: each head's scores are divided by √d_head, with d_head = n_embd / n_head.",
            _mistake_mha(scale=lambda n_embd, n_head: n_embd), id="scaled-by-n-embd"),
    Mistake("the scores are not scaled: divide each head's scores by √d_head.",
            _mistake_mha(scale=lambda n_embd, n_head: 1), id="no-scaling"),
    Mistake("the output projection is missing: finish with linear(merged, **c_proj).", _mistake_mha(proj=False),
            id="no-c-proj"),
    Mistake("c_attn's bias is missing: use linear(x, **c_attn), i.e. x @ w + b.", _mistake_mha(attn_bias=False),
            id="no-c-attn-bias"),
    Mistake("c_proj's bias is missing: use linear(merged, **c_proj), i.e. x @ w + b.",
            _mistake_mha(proj_bias=False), id="no-c-proj-bias"),
    Mistake("every position sees the future: pass causal_mask(n_seq) to attention.", _mistake_mha(causal=False),
            id="no-causal-mask"),
    Mistake("you ran one head over all n_embd features: split q, k and v into n_head heads first.",
            _mha_one_head),
    Mistake(_FLOAT64, _mistake_mha(mask_dtype=np.float64), id="mha-float64"),
]

MHA = register(Exercise(
    name="mha", chapter="05", points=2, hidden_points=1,
    solution=solutions.mha, make_cases=mha_cases, mistakes=MHA_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# --------------------------------------------------------------------------------------------------------------
# mha comes first: it is the last exercise of the chapter, so its mutants break no other exercise in a notebook
# (a wrong softmax also breaks the learner's attention and mha, which call it). Mutants reach the reference's
# softmax, causal_mask and attention as S.<name>; the first one uses no reference at all, because it also goes
# into a whole notebook (tests/test_grading_cli.py), where the grader reports any use of the chapter's reference.
MHA_MUTANTS = [
    Mutant("mha", "c_proj missing", "no-c-proj", '''
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd // n_head
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (t.reshape(n_seq, n_head, d_head).transpose(1, 0, 2) for t in (q, k, v))
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(d_head)  # [n_head, n_seq, n_seq]
    scores = np.where(np.tri(n_seq, dtype=bool), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return (weights @ v).transpose(1, 0, 2).reshape(n_seq, n_embd)
'''),
    Mutant("mha", "heads split by a plain reshape", "split-plain-reshape",
           '''
import solutions as S
from solutions import linear, merge_heads

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    qkv = linear(x, **c_attn)
    q, k, v = (qkv[:, i * n_embd:(i + 1) * n_embd].reshape(n_head, n_seq, n_embd // n_head) for i in range(3))
    mask = S.causal_mask(n_seq, dtype=x.dtype.type)
    heads = np.stack([S.attention(q[h], k[h], v[h], mask) for h in range(n_head)])
    return linear(merge_heads(heads), **c_proj)
'''),
    Mutant("mha", "heads merged by a plain reshape", "merge-plain-reshape", '''
import solutions as S
from solutions import linear, split_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = split_heads(q, n_head), split_heads(k, n_head), split_heads(v, n_head)
    mask = S.causal_mask(len(x), dtype=x.dtype.type)
    heads = np.stack([S.attention(q[h], k[h], v[h], mask) for h in range(n_head)])
    return linear(heads.reshape(x.shape), **c_proj)
'''),
    Mutant("mha", "split and merge both plain reshapes", "split-and-merge-plain-reshape",
           '''
import solutions as S
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd // n_head
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (t.reshape(n_head, n_seq, d_head) for t in (q, k, v))
    mask = S.causal_mask(n_seq, dtype=x.dtype.type)
    heads = np.stack([S.attention(q[h], k[h], v[h], mask) for h in range(n_head)])
    return linear(heads.reshape(n_seq, n_embd), **c_proj)
'''),
    Mutant("mha", "interleaved heads", "interleaved-heads", '''
import solutions as S
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    mask = S.causal_mask(n_seq, dtype=x.dtype.type)
    out = np.empty_like(q)
    for h in range(n_head):
        cols = slice(h, None, n_head)  # every n_head-th feature
        out[:, cols] = S.attention(q[:, cols], k[:, cols], v[:, cols], mask)
    return linear(out, **c_proj)
'''),
    Mutant("mha", "k, q, v order", "qkv-order-kqv", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    k, q, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "v, k, q order", "qkv-order-vkq", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    v, k, q = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "scaled by sqrt(n_embd)", "scaled-by-n-embd", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = S.causal_mask(n_seq, dtype=x.dtype.type)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(n_embd) + mask  # [n_head, n_seq, n_seq]
    return linear(merge_heads(S.softmax(scores) @ v), **c_proj)
'''),
    Mutant("mha", "no scaling", "no-scaling", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    weights = S.softmax(q @ np.swapaxes(k, -1, -2) + mask)
    return linear(merge_heads(weights @ v), **c_proj)
'''),
    Mutant("mha", "c_attn bias missing", "no-c-attn-bias", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(x @ c_attn["w"], 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "c_proj bias missing", "no-c-proj-bias", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])) @ c_proj["w"]
'''),
    Mutant("mha", "no causal mask", "no-causal-mask", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    no_mask = np.zeros((x.shape[0], x.shape[0]), dtype=x.dtype)
    return linear(merge_heads(np.stack([S.attention(*h, no_mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "one head over all features", "mha_one_head", '''
import solutions as S
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    return linear(S.attention(q, k, v, S.causal_mask(len(x), dtype=x.dtype.type)), **c_proj)
'''),
    Mutant("mha", "mask built in float64", "mha-float64", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    n_seq = x.shape[0]
    mask = np.triu(np.ones((n_seq, n_seq)), k=1) * -1e10
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
]

def _order_mutant(names: str) -> Mutant:
    a, b, c = names
    return Mutant("mha", f"{a}, {b}, {c} order", f"qkv-order-{names}", f'''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    {a}, {b}, {c} = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
''')


MHA_MUTANTS += [_order_mutant(names) for names in ("qvk", "kvq", "vqk")]
MHA_MUTANTS += [
    Mutant("mha", "np.sqrt(d_head) promotes float32", "mha-float64", '''
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd // n_head
    q, k, v = (t.reshape(n_seq, n_head, d_head).transpose(1, 0, 2) for t in np.split(linear(x, **c_attn), 3, -1))
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(d_head)  # a float64 NumPy scalar
    scores = scores + np.triu(np.full((n_seq, n_seq), -1e10, dtype=x.dtype), k=1)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    return linear((w @ v).transpose(1, 0, 2).reshape(n_seq, n_embd), **c_proj)
'''),
    Mutant("mha", "its own causal_mask hides the diagonal", "fix-first:causal_mask", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.full((n_seq, n_seq), -1e10, dtype=dtype))

def mha(x, c_attn, c_proj, n_head):
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "its own split_heads is a plain reshape", "fix-first:split_heads", '''
import solutions as S
from solutions import linear, merge_heads

def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_head, n_seq, n_embd // n_head)

def mha(x, c_attn, c_proj, n_head):
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "its own attention forgets the scaling", "fix-first:attention", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def attention(q, k, v, mask):
    return S.softmax(q @ k.T + mask) @ v

def mha(x, c_attn, c_proj, n_head):
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
]

SPLIT_HEADS_MUTANTS = [
    Mutant("split_heads", "plain reshape", "split-plain-reshape", '''
def split_heads(x, n_head):
    return x.reshape(n_head, x.shape[0], x.shape[1] // n_head)
'''),
    Mutant("split_heads", "every n_head-th feature", "split-interleaved", '''
def split_heads(x, n_head):
    return np.stack([x[:, h::n_head] for h in range(n_head)])
'''),
    Mutant("split_heads", "no transpose", "split-no-transpose", '''
def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd // n_head)
'''),
    Mutant("split_heads", ".T after the reshape", "split-full-transpose", '''
def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd // n_head).T
'''),
    Mutant("split_heads", "np.split without np.stack", "split-returns-a-list", '''
def split_heads(x, n_head):
    return np.split(x, n_head, axis=-1)
'''),
    Mutant("split_heads", "true division", "split-float-d-head", '''
def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd / n_head
    return x.reshape(n_seq, n_head, d_head).transpose(1, 0, 2)
'''),
]

MERGE_HEADS_MUTANTS = [
    Mutant("merge_heads", "plain reshape", "merge-plain-reshape", '''
def merge_heads(x):
    n_head, n_seq, d_head = x.shape
    return x.reshape(n_seq, -1)
'''),
    Mutant("merge_heads", "interleaved features", "merge-interleaved", '''
def merge_heads(x):
    n_head, n_seq, d_head = x.shape
    out = np.empty((n_seq, n_head * d_head), dtype=x.dtype)
    for h in range(n_head):
        out[:, h::n_head] = x[h]
    return out
'''),
    Mutant("merge_heads", ".T before the reshape", "merge-full-transpose", '''
def merge_heads(x):
    n_head, n_seq, d_head = x.shape
    return x.T.reshape(n_seq, n_head * d_head)
'''),
    Mutant("merge_heads", "no reshape", "merge-no-reshape", '''
def merge_heads(x):
    return np.transpose(x, (1, 0, 2))
'''),
    Mutant("merge_heads", "heads stacked as rows", "merge-concatenate-rows", '''
def merge_heads(x):
    return np.vstack(x)
'''),
]

SOFTMAX_MUTANTS = [
    Mutant("softmax", "no max subtraction", "softmax-overflow", '''
def softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)
'''),
    Mutant("softmax", "max over the whole array", "softmax-one-max-for-all-rows", '''
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=axis, keepdims=True)
'''),
    Mutant("softmax", "axis=0", "softmax_axis_0", '''
def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''),
    Mutant("softmax", "axis argument ignored", "softmax_axis_ignored", '''
def softmax(x, axis=-1):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
'''),
    Mutant("softmax", "axis=1 hard-coded", "softmax_axis_1", '''
def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=1, keepdims=True)
    return np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
'''),
    Mutant("softmax", "divides by the total", "softmax_whole_sum", '''
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum()
'''),
    Mutant("softmax", "missing keepdims", "softmax_no_keepdims", '''
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis))
    return e / np.sum(e, axis=axis)
'''),
    Mutant("softmax", "float64 promotion", "softmax_float64", '''
def softmax(x, axis=-1):
    x = x.astype(np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
'''),
    Mutant("softmax", "deep-ml's softmax over the whole array", "softmax-over-whole-array", '''
def softmax(x, axis=-1):
    return np.exp(x) / np.sum(np.exp(x))
'''),
    Mutant("softmax", "shifts the input in place", "mutated-input", '''
def softmax(x, axis=-1):
    x -= np.max(x, axis=axis, keepdims=True)
    np.exp(x, out=x)
    return x / x.sum(axis=axis, keepdims=True)
'''),
]

CAUSAL_MASK_MUTANTS = [
    Mutant("causal_mask", "hides the diagonal", "mask_hides_diagonal", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.full((n_seq, n_seq), -1e10, dtype=dtype))
'''),
    Mutant("causal_mask", "tril where triu belongs", "mask_hides_past", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.tril(np.ones((n_seq, n_seq), dtype=dtype), k=-1) * dtype(-1e10)
'''),
    Mutant("causal_mask", "tril, k=0", "mask_hides_past_and_self", '''
def causal_mask(n_seq, dtype=np.float32):
    return (np.tril(np.ones((n_seq, n_seq))) * -1e10).astype(dtype)
'''),
    Mutant("causal_mask", "0/1 mask", "mask_ones_allowed", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.tri(n_seq, dtype=dtype)
'''),
    Mutant("causal_mask", "1 on the future", "mask_ones_future", '''
def causal_mask(n_seq, dtype=np.float32):
    return 1 - np.tri(n_seq, dtype=dtype)
'''),
    Mutant("causal_mask", "boolean mask", "mask_bool_allowed", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.tri(n_seq, dtype=bool)
'''),
    Mutant("causal_mask", "boolean 'future' mask", "mask_bool_future", '''
def causal_mask(n_seq, dtype=np.float32):
    i = np.arange(n_seq)
    return i[None, :] > i[:, None]
'''),
    Mutant("causal_mask", "+1e10 on the future", "mask_positive", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.full((n_seq, n_seq), 1e10, dtype=dtype), k=1)
'''),
    Mutant("causal_mask", "0 * -inf", "mask_zero_times_inf", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.ones((n_seq, n_seq), dtype=dtype), k=1) * -np.inf
'''),
    Mutant("causal_mask", "dtype ignored", "mask_dtype_ignored", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.ones((n_seq, n_seq)), k=1) * -1e10
'''),
]

ATTENTION_MUTANTS = [
    Mutant("attention", "mask added after the softmax", "attn_mask_after_softmax", '''
import solutions as S

def attention(q, k, v, mask):
    weights = S.softmax(q @ k.T / math.sqrt(q.shape[-1])) + mask
    return weights @ v
'''),
    Mutant("attention", "mask multiplied", "attn_mask_multiplied", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(mask * (q @ k.T) / math.sqrt(k.shape[1])) @ v
'''),
    Mutant("attention", "mask ignored", "attn_no_mask", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(q.shape[1])) @ v
'''),
    Mutant("attention", "no scaling", "attn_no_scale", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(np.matmul(q, k.T) + mask) @ v
'''),
    Mutant("attention", "divided by d_k", "attn_scale_d", '''
import solutions as S

def attention(q, k, v, mask):
    d_k = q.shape[-1]
    return S.softmax(q @ k.T / d_k + mask) @ v
'''),
    Mutant("attention", "scaled by the number of keys", "attn_scale_n_k", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(len(k)) + mask) @ v
'''),
    Mutant("attention", "scaled by d_v", "attn_scale_d_v", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(v.shape[-1]) + mask) @ v
'''),
    Mutant("attention", "softmax over the queries", "attn_softmax_axis_0", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(q.shape[-1]) + mask, axis=0) @ v
'''),
    Mutant("attention", "k @ q.T", "attn_scores_transposed", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax((k @ q.T) / math.sqrt(q.shape[-1]) + mask) @ v
'''),
    Mutant("attention", "returns the weights", "attn_weights_only", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(q.shape[-1]) + mask)
'''),
    Mutant("attention", "np.sqrt promotes float32", "attn_float64", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / np.sqrt(q.shape[-1]) + mask) @ v
'''),
    Mutant("attention", "q @ k", "attn_no_transpose", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k / math.sqrt(q.shape[-1]) + mask) @ v
'''),
]

ATTENTION_MUTANTS += [
    Mutant("attention", "0/1 mask multiplied in after the softmax", "attn-01-mask-after-softmax", '''
import solutions as S

def attention(q, k, v, mask):
    weights = S.softmax(q @ k.T / math.sqrt(q.shape[-1]))
    weights = weights * np.tri(len(q), len(k))  # keep the past, drop the future
    return weights @ v
'''),
    Mutant("attention", "its own softmax divides by the total", "fix-first:softmax", '''
def softmax(x, axis=-1):
    return np.exp(x) / np.sum(np.exp(x))

def attention(q, k, v, mask):
    return softmax(q @ k.T / math.sqrt(q.shape[-1]) + mask) @ v
'''),
]

MUTANTS = (MHA_MUTANTS + SPLIT_HEADS_MUTANTS + MERGE_HEADS_MUTANTS + SOFTMAX_MUTANTS + CAUSAL_MASK_MUTANTS
           + ATTENTION_MUTANTS)

register_mutants(MUTANTS)
