"""Chapter 08 — decoding: greedy, apply_temperature, top_k_filter, top_p_filter, sample_next, generate, and the KV
cache (gpt2_cached, generate_cached): cases and known mistakes.

Sampling follows Hugging Face's warpers (transformers 5.23): temperature, then top-k, then top-p, then softmax and one
draw. Filters are checked exactly; the sampler both for reproducibility (the same seed gives the reference's draws,
which fixes the method: rng.choice(len(probs), p=probs)) and statistically (a chi-square test on many draws).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

import solutions
from solutions.ch01_tokens_and_embeddings import ENDOFTEXT_ID
from solutions.ch08_decoding import last_row

from ..engine import Case, Exercise, Mistake, Mutant, compare_values, register, register_mutants
from ..probes import probe_cached, probe_counts, probe_draws, probe_generate, probe_generate_prompt

FILTERED_TOL = {"atol": 1e-6, "rtol": 1e-6}
# logits / T computed another correct way (x * (1 / T), torch) differs by up to 2 float32 steps, 1.2e-7 relative (0.09
# of an rtol of 1e-6 on logits of size ~20); every known mistake is off by O(1) or raises: rtol 1e-5 keeps >= 10x
# both sides.
TEMPERATURE_TOL = {"atol": 1e-6, "rtol": 1e-5}
# Upper 0.1% points of the chi-square distribution, by degrees of freedom (checked against the regularised incomplete
# gamma function in the tests): a correct sampler fails the frequency case with probability 1e-3 at most.
CHI2_CRITICAL = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 6: 22.458, 7: 24.322, 8: 26.124, 9: 27.877,
                 10: 29.588, 11: 31.264, 12: 32.909, 13: 34.528, 14: 36.123, 15: 37.697, 16: 39.252, 17: 40.790,
                 18: 42.312, 19: 43.820, 20: 45.315}


def _softmax(x):
    z = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def _distinct_logits(rng, *shape, scale=2.0, dtype=np.float32):
    """Logits without ties (so that which of two equal logits a filter keeps never matters)."""
    n = int(np.prod(shape))
    values = np.sort(rng.choice(np.arange(-4 * n, 4 * n), size=n, replace=False)).astype(np.float64)
    values = values / (4 * n) * scale * 2 + rng.uniform(-0.05, 0.05, size=n) / n
    return rng.permutation(values).reshape(shape).astype(dtype)


# --------------------------------------------------------------------------------------------------------------
# greedy
# --------------------------------------------------------------------------------------------------------------
def greedy_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_seq, n_vocab = (int(rng.integers(3, 6)), int(rng.integers(7, 12))) if hidden else (3, 8)
    logits = _distinct_logits(rng, n_seq, n_vocab)
    # three different tokens: the first row's favourite, the last row's, and the largest logit of all (in a middle
    # row), so that the first row, the flattened array and the last row all give different answers
    # (and the last row's least likely token, a fourth one, for argmin). `overall` is never token 0, so that the
    # argmax of a 1-D row's last ENTRY (always 0) is wrong on the 1-D case.
    overall = int(rng.integers(1, n_vocab))
    first, last, low = (int(c) for c in rng.choice(np.delete(np.arange(n_vocab), overall), size=3, replace=False))
    logits[0, first] = logits[0].max() + 1
    logits[-1, last] = logits[-1].max() + 1
    logits[-1, low] = logits[-1].min() - 1
    logits[1, overall] = logits.max() + 3
    ties = np.zeros(n_vocab, dtype=np.float32)
    first, second = sorted(rng.choice(n_vocab, size=2, replace=False))
    ties[[first, second]] = 3.0
    return [
        Case(f"logits [{n_seq}, {n_vocab}]: the most likely token after the LAST position", (logits,),
             hint="the next token comes from the last position's logits, logits[-1], then argmax over the "
                  "vocabulary."),
        Case(f"one position's logits [{n_vocab}]", (logits[1].copy(),)),
        Case("a tie between two tokens: the first one wins, as np.argmax does", (ties,)),
        Case("a single position [1, n_vocab]", (logits[1:2].copy(),)),
        Case("huge logits (1e30)", (logits * np.float32(1e29),)),
    ]


def _greedy_flat(logits):
    return int(np.argmax(logits))


def _greedy_first_row(logits):
    logits = np.asarray(logits)
    return int(np.argmax(logits[0] if logits.ndim == 2 else logits))


def _greedy_axis0(logits):
    return np.argmax(logits, axis=0)


def _greedy_argmin(logits):
    return int(np.argmin(last_row(logits)))


def _greedy_last_entry(logits):
    return int(np.argmax(np.asarray(logits)[-1]))  # on 1-D logits, logits[-1] is one number: argmax 0


GREEDY_MISTAKES = [
    Mistake("np.argmax without an axis looks at the flattened array: take the last position's row, "
            "logits[-1], then its argmax.", _greedy_flat),
    Mistake("you took the argmax of the first position: the next token follows the LAST position, logits[-1].",
            _greedy_first_row),
    Mistake("argmax over axis 0 picks a position for every token; take the last row, logits[-1], and argmax over "
            "the vocabulary.", _greedy_axis0),
    Mistake("on 1-D logits [n_vocab], logits[-1] is the last logit (one number, whose argmax is always 0), not a "
            "row: take the last row only when logits is 2-D (logits[-1] if logits.ndim == 2 else logits).",
            _greedy_last_entry, id="last-entry-of-1d"),
    Mistake("argmin gives the least likely token: greedy decoding takes the argmax.", _greedy_argmin),
]

GREEDY = register(Exercise(
    name="greedy", chapter="08", points=1, hidden_points=1,
    solution=solutions.greedy, make_cases=greedy_cases, mistakes=GREEDY_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# apply_temperature
# --------------------------------------------------------------------------------------------------------------
def temperature_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_vocab = int(rng.integers(6, 11)) if hidden else 6
    cold, hot = (float(rng.uniform(0.2, 0.8)), float(rng.uniform(1.3, 3.0))) if hidden else (0.5, 2.0)
    logits = _distinct_logits(rng, n_vocab)
    logits = logits - np.median(logits)  # both signs: logits / 0 is then +inf and -inf, unlike probabilities / 0
    logits[logits == 0] = 0.25  # no exact zeros: logits / 0 is then ±inf, never NaN
    batch = _distinct_logits(rng, 2, 3, n_vocab)
    return [
        Case(f"temperature {cold:.3g} < 1 sharpens", (logits, cold), **TEMPERATURE_TOL),
        Case(f"temperature {hot:.3g} > 1 flattens", (logits, hot), **TEMPERATURE_TOL),
        Case("temperature 1 changes nothing", (logits, 1.0), **TEMPERATURE_TOL),
        Case("a batch [2, 3, n_vocab]: elementwise", (batch, hot), **TEMPERATURE_TOL),
        Case("temperature 0 must raise ValueError (use greedy() for the T -> 0 limit)", (logits, 0.0),
             raises=ValueError, message="temperature"),
        Case("a negative temperature must raise ValueError", (logits, -hot), raises=ValueError,
             message="temperature"),
    ]


def _temperature_times(logits, temperature):
    return logits * temperature


def _temperature_after_softmax(logits, temperature):
    return (_softmax(logits) / temperature).astype(logits.dtype)


def _temperature_unchecked(logits, temperature):
    with np.errstate(divide="ignore", invalid="ignore"):
        return logits / temperature


def _temperature_divide_if_positive(logits, temperature):
    return logits / temperature if temperature > 0 else logits


TEMPERATURE_MISTAKES = [
    Mistake("divide the logits by the temperature (logits / T): multiplying sharpens when it should flatten.",
            _temperature_times),
    Mistake("temperature divides the logits, before any softmax: return logits / T, not probabilities.",
            _temperature_after_softmax),
    Mistake("a temperature <= 0 has no meaning (logits / 0 is inf): raise ValueError mentioning the temperature.",
            _temperature_unchecked),
    Mistake("a temperature <= 0 must raise ValueError mentioning the temperature (the docstring's rule), not return "
            "the logits unchanged: check it before dividing (sample_next handles temperature=0 as greedy).",
            _temperature_divide_if_positive, id="divide-only-when-positive"),
]

APPLY_TEMPERATURE = register(Exercise(
    name="apply_temperature", chapter="08", points=1, hidden_points=1,
    solution=solutions.apply_temperature, make_cases=temperature_cases, mistakes=TEMPERATURE_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# top_k_filter
# --------------------------------------------------------------------------------------------------------------
FILTERED = -1e9  # a filtered logit may be -inf or any value <= -1e9 (chapter 05's mask uses -1e10): both count as -inf


def canonical(got):
    """The learner's filtered logits with every value <= -1e9 read as -inf (the course's convention)."""
    if isinstance(got, np.ndarray) and got.dtype.kind == "f":
        return np.where(got <= FILTERED, -np.inf, got).astype(got.dtype)
    return got


def _compare_top_k(got, want, case) -> str | None:
    return compare_values(canonical(got), want, case)


def top_k_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_vocab = int(rng.integers(8, 13)) if hidden else 8
    k = int(rng.integers(2, n_vocab - 2)) if hidden else 3
    logits = _distinct_logits(rng, n_vocab)
    tied = np.round(_distinct_logits(rng, n_vocab, scale=1.5)).astype(np.float32)
    order = np.argsort(tied)[::-1]
    tied[order[k]] = tied[order[k - 1]]  # the k-th and the (k+1)-th largest are equal
    with_inf = _distinct_logits(rng, n_vocab)
    with_inf[rng.choice(n_vocab, size=2, replace=False)] = -np.inf
    batch = _distinct_logits(rng, 3, n_vocab)
    same = {"compare": _compare_top_k, **FILTERED_TOL}
    return [
        Case(f"k={k} of {n_vocab} distinct logits: the {k} largest stay, the others become -inf", (logits, k),
             **same),
        Case("k=1 keeps only the largest", (logits, 1), **same),
        Case("a tie at the k-th largest: every logit equal to it stays (Hugging Face's rule)", (tied, k), **same),
        Case("-inf entries (already filtered) stay -inf", (with_inf, k), **same),
        Case(f"k = n_vocab = {n_vocab} keeps everything", (logits, n_vocab), **same),
        Case(f"k = {n_vocab + 5} > n_vocab keeps everything", (logits, n_vocab + 5), **same,
             hint="with k larger than the vocabulary there is no k-th largest: use min(k, n_vocab)."),
        Case(f"a batch [3, {n_vocab}]: each row keeps its own {k} largest", (batch, k), **same,
             hint="sort along the last axis (axis=-1) and compare every row with its own k-th largest, "
                  "np.sort(logits, axis=-1)[..., -k, None]."),
        Case("k=0 must raise ValueError", (logits, 0), raises=ValueError, message=r"\bk\b|top.k"),
    ]


def _top_k_smallest(logits, k):
    kth_smallest = np.sort(logits, axis=-1)[..., k - 1, None]
    return np.where(logits > kth_smallest, -np.inf, logits).astype(logits.dtype)


def _top_k_plus_one(logits, k):
    kth = np.sort(logits, axis=-1)[..., max(-k - 1, -logits.shape[-1]), None]
    return np.where(logits < kth, -np.inf, logits).astype(logits.dtype)


def _top_k_minus_one(logits, k):
    kth = np.sort(logits, axis=-1)[..., -min(k, logits.shape[-1]), None]
    return np.where(logits <= kth, -np.inf, logits).astype(logits.dtype)


def _top_k_exactly_k(logits, k):
    keep = np.argsort(logits, axis=-1)[..., -min(k, logits.shape[-1]):]
    out = np.full_like(logits, -np.inf)
    np.put_along_axis(out, keep, np.take_along_axis(logits, keep, axis=-1), axis=-1)
    return out


def _top_k_zero(logits, k):
    kth = np.sort(logits, axis=-1)[..., -min(k, logits.shape[-1]), None]
    return np.where(logits < kth, 0, logits).astype(logits.dtype)


def _top_k_no_min(logits, k):
    kth = np.sort(logits, axis=-1)[..., -k, None]
    return np.where(logits < kth, -np.inf, logits).astype(logits.dtype)


def _top_k_axis0(logits, k):
    kth = np.sort(logits, axis=0)[-min(k, logits.shape[0])]
    return np.where(logits < kth, -np.inf, logits).astype(logits.dtype)


TOP_K_MISTAKES = [
    Mistake("you kept the k SMALLEST logits: keep the k largest, i.e. every logit >= the k-th largest, "
            "np.sort(logits, axis=-1)[..., -k].", _top_k_smallest),
    Mistake("one token too many survives: the k-th largest is np.sort(logits, axis=-1)[..., -k], and everything "
            "below it becomes -inf.", _top_k_plus_one),
    Mistake("one token too few survives: the k-th largest itself stays — remove only logits strictly below it "
            "(logits < kth).", _top_k_minus_one),
    Mistake("on a tie at the k-th largest, Hugging Face keeps every tied logit: compare with the k-th largest value "
            "(logits < kth -> -inf) instead of keeping exactly k indices.", _top_k_exactly_k),
    Mistake("removed tokens must become -inf (or any value <= -1e9, such as -1e10), so that their probability "
            "after the softmax is 0 — not 0.", _top_k_zero),
    Mistake("with k larger than the vocabulary there is no k-th largest: use min(k, n_vocab), which keeps "
            "everything.", _top_k_no_min),
    Mistake("you sorted along axis 0: each row (position) keeps its own k largest, so sort along axis=-1.",
            _top_k_axis0),
]

TOP_K_FILTER = register(Exercise(
    name="top_k_filter", chapter="08", points=2, hidden_points=1,
    solution=solutions.top_k_filter, make_cases=top_k_cases, mistakes=TOP_K_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# top_p_filter
# --------------------------------------------------------------------------------------------------------------
def _compare_filtered(got, want, case) -> str | None:
    """Exact, except which of several EQUAL logits straddling the cut is kept (Hugging Face leaves that to an
    unstable sort): per row, as many kept as the reference, and any difference only among tokens of one value.
    Filtered entries may be -inf or any value <= -1e9."""
    got = canonical(got)
    problem = compare_values(got, want, case)
    if problem is None or not isinstance(got, np.ndarray) or got.shape != want.shape or got.dtype != want.dtype:
        return problem
    logits = np.asarray(case.args[0])
    kept, kept_want = got > -np.inf, want > -np.inf
    if np.any(got[kept] != logits[kept]) or np.any(np.isfinite(got) & ~kept):
        return problem  # kept logits changed, or removed ones not -inf
    for row in np.ndindex(logits.shape[:-1]):
        a, b = kept[row], kept_want[row]
        if a.sum() != b.sum() or len(set(logits[row][a != b])) > 1:
            return problem
    return None


def top_p_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # probabilities such as [0.5, 0.3, 0.15, 0.05]: p between two cumulative sums shows whether the crossing token
    # is kept; a uniform row has exact cumulative sums (0.25, 0.5, 0.75, 1) for the boundary p = 0.5.
    if hidden:
        n_vocab = int(rng.integers(5, 9))
        probs = np.sort(rng.dirichlet(np.ones(n_vocab) * 0.7))[::-1]
        probs = np.clip(probs, 0.02, None) + np.arange(n_vocab, 0, -1) * 1e-3  # no ties: the order stays strict
        probs = probs / probs.sum()
    else:
        probs = np.array([0.5, 0.3, 0.12, 0.05, 0.03])
    n_vocab = len(probs)
    cum = np.cumsum(probs)
    j = int(rng.integers(1, n_vocab - 1)) if hidden else 1
    p_between = float(cum[j - 1] + (cum[j] - cum[j - 1]) * (rng.uniform(0.3, 0.7) if hidden else 0.5))
    p_small = float(probs[0] * (rng.uniform(0.2, 0.8) if hidden else 0.6))
    logits = rng.permutation(np.log(probs)).astype(np.float32)
    uniform = np.zeros(4, dtype=np.float32)
    with_inf = np.concatenate([logits, np.full(2, -np.inf, dtype=np.float32)])
    batch = np.stack([_distinct_logits(rng, n_vocab, scale=s) for s in (1.0, 2.0, 4.0)])
    p_batch = float(rng.uniform(0.4, 0.9)) if hidden else 0.7
    return [
        Case(f"p={p_between:.3g} falls between two cumulative sums: the token that crosses p is kept",
             (logits, p_between), compare=_compare_filtered, **FILTERED_TOL),
        Case(f"p={p_small:.3g} below the largest probability: only the most likely token stays",
             (logits, p_small), compare=_compare_filtered, **FILTERED_TOL),
        Case("p=0: at least one token (the most likely) always stays", (logits, 0.0), compare=_compare_filtered,
             **FILTERED_TOL),
        Case("p=1 keeps every token", (logits, 1.0), compare=_compare_filtered, **FILTERED_TOL),
        Case("four equal logits, p=0.5: cumulative 0.25, 0.5 reach p, so 2 tokens stay (any 2)", (uniform, 0.5),
             compare=_compare_filtered, **FILTERED_TOL,
             hint="keep the smallest set of most likely tokens whose probabilities add up to p or more: with four "
                  "tokens of 0.25 and p=0.5 that is two of them."),
        Case("-inf entries (already filtered) stay -inf and count as probability 0", (with_inf, p_between),
             compare=_compare_filtered, **FILTERED_TOL),
        Case(f"a batch [3, {n_vocab}]: each row has its own nucleus", (batch, p_batch), compare=_compare_filtered,
             **FILTERED_TOL, hint="sort, softmax and cumulate each row along the last axis (axis=-1)."),
        Case("p=1.5 must raise ValueError", (logits, 1.5), raises=ValueError, message=r"\bp\b|top.p"),
    ]


def _nucleus(logits, p, keep_crossing=True, at_least_one=True, inclusive=True, on_logits=False):
    """Variations of the nucleus rule, computed in descending order (a learner's way of writing it)."""
    order = np.argsort(-logits, axis=-1, kind="stable")
    sorted_logits = np.take_along_axis(logits, order, axis=-1)
    probs = sorted_logits if on_logits else _softmax(sorted_logits.astype(np.float64))
    cum = np.cumsum(probs, axis=-1)
    before = cum - probs  # mass of the tokens ranked above
    if keep_crossing:
        keep = before < p if inclusive else before <= p
    else:
        keep = cum <= p
    if at_least_one:
        keep[..., 0] = True
    mask = np.empty_like(keep)
    np.put_along_axis(mask, order, keep, axis=-1)
    return np.where(mask, logits, -np.inf).astype(logits.dtype)


def _top_p_drop_crossing(logits, p):
    return _nucleus(logits, p, keep_crossing=False)


def _top_p_none(logits, p):
    return _nucleus(logits, p, at_least_one=False)


def _top_p_boundary(logits, p):
    return _nucleus(logits, p, inclusive=False)


def _top_p_on_logits(logits, p):
    return _nucleus(logits, p, on_logits=True)


def _top_p_least_likely(logits, p):
    order = np.argsort(logits, axis=-1, kind="stable")  # ascending, then kept from the start: the wrong end
    probs = _softmax(np.take_along_axis(logits, order, axis=-1).astype(np.float64))
    keep = np.cumsum(probs, axis=-1) <= p
    keep[..., 0] |= ~keep.any(axis=-1)
    mask = np.empty_like(keep)
    np.put_along_axis(mask, order, keep, axis=-1)
    return np.where(mask, logits, -np.inf).astype(logits.dtype)


def _top_p_ties_by_value(logits, p):
    """The right nucleus, then every logit >= the smallest kept one: all logits tied at the cut stay."""
    kept = _nucleus(logits, p)
    smallest = np.min(np.where(kept > -np.inf, kept, np.inf), axis=-1, keepdims=True)
    return np.where(logits >= smallest, logits, -np.inf).astype(logits.dtype)


_CROSSING = ("the token whose probability takes the total past p must stay: keep every token whose "
             "more-likely tokens add up to less than p (Hugging Face removes cumulative <= 1 - p counted from the "
             "least likely).")
TOP_P_MISTAKES = [
    Mistake(_CROSSING, _top_p_drop_crossing),
    Mistake("no token survived: always keep at least the most likely token (for p=0 too).", _top_p_none),
    Mistake("at the boundary a set that reaches p exactly is enough: with four tokens of 0.25 and p=0.5, two "
            "stay — remove a token when the mass above it is >= p.", _top_p_boundary),
    Mistake("with equal logits at the cut you kept all of them (a threshold on the logit's value): top-p keeps the "
            "smallest SET of tokens that reaches p, counted token by token in sorted order — with four tokens of "
            "0.25 and p=0.5, exactly two stay.", _top_p_ties_by_value, id="top-p-keeps-all-ties"),
    Mistake("top-p adds up probabilities, not logits: take the softmax of the (sorted) logits before the "
            "cumulative sum.", _top_p_on_logits),
    Mistake("you kept the least likely tokens: sort from the most likely down (or, like Hugging Face, remove from "
            "the least likely up while the cumulative sum is <= 1 - p).", _top_p_least_likely),
]

TOP_P_FILTER = register(Exercise(
    name="top_p_filter", chapter="08", points=2, hidden_points=1,
    solution=solutions.top_p_filter, make_cases=top_p_cases, mistakes=TOP_P_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# sample_next
# --------------------------------------------------------------------------------------------------------------
def sampling_probs(logits, temperature=1.0, top_k=None, top_p=None) -> np.ndarray:
    """The distribution sample_next must draw from.  # [..., n_vocab] -> [n_vocab] float64"""
    logits = solutions.apply_temperature(last_row(np.asarray(logits)), temperature)
    if top_k is not None:
        logits = solutions.top_k_filter(logits, top_k)
    if top_p is not None:
        logits = solutions.top_p_filter(logits, top_p)
    return _softmax(logits.astype(np.float64))


def chi_square(counts: np.ndarray, probs: np.ndarray) -> tuple[float, int]:
    """Pearson's statistic over the tokens with probability > 0, and its degrees of freedom."""
    support = probs > 0
    expected = counts.sum() * probs[support]
    return float(np.sum((counts[support] - expected) ** 2 / expected)), int(support.sum() - 1)


def _compare_counts(got, want, case) -> str | None:
    problem = compare_values(got, want, case)
    if problem is None or not isinstance(got, np.ndarray) or got.shape != want.shape:
        return problem
    logits, _, n_draws = case.args
    probs = sampling_probs(logits, **case.kwargs)
    banned = np.flatnonzero((probs == 0) & (got > 0))
    if banned.size:
        return (f"token(s) {banned.tolist()} were drawn {int(got[banned].sum())} times, but the filters give them "
                "probability 0")
    stat, df = chi_square(got, probs)
    critical = CHI2_CRITICAL[min(df, max(CHI2_CRITICAL))]
    if df > 0 and stat > critical:
        freq = np.round(got / n_draws, 3)
        return (f"the frequencies of {n_draws} draws don't follow the filtered softmax: chi-square = {stat:.1f} > "
                f"{critical} (df {df}, p < 0.001)\nexpected {np.round(probs, 3)}\ngot      {freq}")
    return None  # other draws than the reference's, from the right distribution (the reproducibility case says so)


def sample_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_vocab = int(rng.integers(6, 10)) if hidden else 6
    logits = _distinct_logits(rng, n_vocab, scale=1.5)
    two_d = np.stack([_distinct_logits(rng, n_vocab, scale=1.5), logits])
    seed = int(rng.integers(2**31))
    cold = float(rng.uniform(0.3, 0.7)) if hidden else 0.5
    k = int(rng.integers(2, n_vocab - 1)) if hidden else 3
    top_p = float(rng.uniform(0.6, 0.9)) if hidden else 0.8
    n = 2000
    # a p between the top token's probability at temperature 1 and at `cold`: the nucleus depends on the order
    p_cold = float(np.mean([sampling_probs(logits, t).max() for t in (1.0, cold)]))
    # top_k=2 then top_p: renormalised over the two survivors, the top token alone reaches p (a / (a + b) >= p);
    # top_p first would keep both (a < p), so the order of the filters decides between one token and two
    a = float(rng.uniform(0.25, 0.4)) if hidden else 0.3
    b = a * (float(rng.uniform(0.6, 0.9)) if hidden else 0.8)
    rest = rng.dirichlet(np.ones(n_vocab - 2)) * (1 - a - b)
    rest = np.clip(rest, 0.001, b * 0.9)
    order_probs = np.concatenate([[a, b], rest])
    order_logits = rng.permutation(np.log(order_probs / order_probs.sum())).astype(np.float32)
    top2 = np.sort(sampling_probs(order_logits))[::-1][:2]
    p_order = float((top2[0] + top2[0] / top2.sum()) / 2)
    return [
        Case("50 draws from one seeded generator equal the reference's draws", (logits, seed, 50),
             probe=probe_draws,
             hint="draw with rng.choice(len(probs), p=probs) — exactly one call per token, probs = softmax of the "
                  "filtered logits — so the same seed gives the same tokens as the reference."),
        Case(f"temperature={cold:.3g}", (logits, seed + 1, 50), {"temperature": cold}, probe=probe_draws),
        Case(f"top_k={k}", (logits, seed + 2, 50), {"top_k": k}, probe=probe_draws),
        Case(f"top_p={top_p:.3g}", (logits, seed + 3, 50), {"top_p": top_p}, probe=probe_draws),
        Case(f"temperature 1.5, top_k={k + 1}, top_p=0.9 together (in that order)", (logits, seed + 4, 50),
             {"temperature": 1.5, "top_k": k + 1, "top_p": 0.9}, probe=probe_draws),
        Case(f"top_k=2 and top_p={p_order:.3g}: top-k first, so of the two survivors the top token alone "
             "reaches p", (order_logits, seed + 9, 50), {"top_k": 2, "top_p": p_order}, probe=probe_draws),
        Case(f"temperature {cold:.3g} then top_p={p_cold:.3g}: cooled, the top token alone reaches p", (logits,
             seed + 8, 50), {"temperature": cold, "top_p": p_cold}, probe=probe_draws),
        Case(f"logits [2, {n_vocab}]: draw from the last position", (two_d, seed + 5, 50), probe=probe_draws),
        Case(f"{n} draws at temperature {cold:.3g}: frequencies follow the softmax (chi-square test)",
             (logits, seed + 6, n), {"temperature": cold}, probe=probe_counts, compare=_compare_counts),
        Case(f"{n} draws with top_k={k} and top_p={top_p:.3g}: filtered tokens never drawn, the others in "
             "proportion (chi-square)", (logits, seed + 7, n), {"top_k": k, "top_p": top_p}, probe=probe_counts,
             compare=_compare_counts),
        Case("temperature=0 means greedy: the most likely token", (two_d, np.random.default_rng(seed)),
             {"temperature": 0}),
    ]


def _sample_from_logits(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = last_row(logits)
    return int(rng.choice(len(logits), p=logits))


def _sample_exp_unnormalised(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = last_row(logits).astype(np.float64)
    return int(rng.choice(len(logits), p=np.exp(logits / (temperature or 1))))


def _sample_temperature_after_softmax(logits, rng, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return solutions.greedy(logits)
    return solutions.sample_next(logits, rng, 1.0, top_k, top_p)


def _temperature_after_filters(logits, rng, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return solutions.greedy(logits)
    logits = last_row(logits)
    if top_k is not None:
        logits = solutions.top_k_filter(logits, top_k)
    if top_p is not None:
        logits = solutions.top_p_filter(logits, top_p)
    probs = _softmax(logits.astype(np.float64) / temperature)
    return int(rng.choice(len(probs), p=probs))


def _top_p_before_top_k(logits, rng, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return solutions.greedy(logits)
    logits = solutions.apply_temperature(last_row(logits), temperature)
    if top_p is not None:
        logits = solutions.top_p_filter(logits, top_p)
    if top_k is not None:
        logits = solutions.top_k_filter(logits, top_k)
    probs = _softmax(logits.astype(np.float64))
    return int(rng.choice(len(probs), p=probs))


def _filters_ignored(logits, rng, temperature=1.0, top_k=None, top_p=None):
    return solutions.sample_next(logits, rng, temperature)


def _sample_first_position(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = np.asarray(logits)
    return solutions.sample_next(logits[0] if logits.ndim == 2 else logits, rng, temperature, top_k, top_p)


def _sample_always_greedy(logits, rng, temperature=1.0, top_k=None, top_p=None):
    return solutions.greedy(logits)


def _sample_multinomial(logits, rng, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return solutions.greedy(logits)
    return int(np.argmax(rng.multinomial(1, sampling_probs(logits, temperature, top_k, top_p))))


SAMPLE_MISTAKES = [
    Mistake("rng.choice needs probabilities, but you passed it the logits: turn the (filtered) logits into "
            "probabilities with a softmax first, probs = softmax(logits), then rng.choice(len(probs), p=probs).",
            _sample_from_logits),
    Mistake("np.exp(logits) are not probabilities until divided by their sum: use probs = softmax(logits) (subtract "
            "the max, exponentiate, normalise), then rng.choice(len(probs), p=probs).", _sample_exp_unnormalised),
    Mistake("the temperature has no effect: it must divide the logits BEFORE the softmax (dividing probabilities "
            "and renormalising gives them back unchanged).", _sample_temperature_after_softmax,
            id="temperature_after_softmax"),
    Mistake("apply the temperature first, then top-k, then top-p (Hugging Face's order): the nucleus depends on "
            "the temperature.", _temperature_after_filters),
    Mistake("top-k comes before top-p (Hugging Face's order: temperature, then top-k, then top-p): top-p measures "
            "the probabilities renormalised over the tokens top-k kept, so the other order keeps a different "
            "nucleus.", _top_p_before_top_k, id="top-p-before-top-k"),
    Mistake("top_k and top_p are ignored: filter the logits with top_k_filter and top_p_filter (when they are not "
            "None) before the softmax.", _filters_ignored),
    Mistake("you sampled from the first position: the next token follows the LAST position, logits[-1].",
            _sample_first_position),
    Mistake("sample_next must draw at random from the distribution (rng.choice), not take the argmax.",
            _sample_always_greedy),
    Mistake("right distribution, other draws: use rng.choice(len(probs), p=probs), one call per token, so a seed "
            "gives the same tokens as the reference.", _sample_multinomial),
]

SAMPLE_NEXT = register(Exercise(
    name="sample_next", chapter="08", points=2, hidden_points=1,
    solution=solutions.sample_next, make_cases=sample_cases, mistakes=SAMPLE_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# generate and generate_cached
# --------------------------------------------------------------------------------------------------------------
def _model(rng: np.random.Generator, hidden: bool):
    """A tiny GPT-2 with random weights large enough that greedy decoding moves between tokens, and a prompt whose
    greedy continuation has a token that first appears after a few steps (the end-of-text id of the stop case)."""
    for _ in range(50):
        n_head = int(rng.integers(1, 4)) if hidden else 2
        hparams = {"n_vocab": int(rng.integers(30, 60)) if hidden else 40, "n_ctx": 24,
                   "n_embd": n_head * int(rng.integers(3, 7)) if hidden else 12, "n_head": n_head,
                   "n_layer": int(rng.integers(1, 3)) if hidden else 2}
        params = solutions.init_params(hparams, seed=int(rng.integers(2**31)), std=0.4)
        prompt = rng.integers(0, hparams["n_vocab"], size=int(rng.integers(3, 7)) if hidden else 4).tolist()
        ids = solutions.generate(prompt, params, n_head, 10, eos_id=None)
        firsts = [j for j in range(2, 8) if ids[j] not in ids[:j]]
        if len(set(ids)) >= 3 and firsts:
            return hparams, params, prompt, ids[firsts[0]]
    raise RuntimeError("no lively test model found")


def names_n_ctx(n_ctx: int):
    """A message predicate: the error names the context — the word (n_ctx, context, too long) or its size."""

    def says(message: str) -> bool:
        return bool(re.search(r"n_ctx|context|long", message, re.IGNORECASE)) or str(n_ctx) in re.findall(r"\d+",
                                                                                                         message)

    return says


def _big_vocab_model(rng: np.random.Generator):
    """A tiny GPT-2 with more than 256 tokens, and a prompt whose greedy continuation reaches a token id >= 257 after
    a step or more: Python caches the ints up to 256, so `token is eos_id` works below that and fails above it."""
    for _ in range(200):
        hparams = {"n_vocab": int(rng.integers(300, 341)), "n_ctx": 16, "n_embd": 8, "n_head": 2, "n_layer": 1}
        params = solutions.init_params(hparams, seed=int(rng.integers(2**31)), std=0.4)
        prompt = rng.integers(0, hparams["n_vocab"], size=3).tolist()
        ids = solutions.generate(prompt, params, 2, 8, eos_id=None)
        firsts = [j for j in range(1, 7) if ids[j] >= 257 and ids[j] not in ids[:j]]
        if firsts:
            return params, prompt, ids[firsts[0]]
    raise RuntimeError("no test model with a large vocabulary found")


def generate_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    hparams, params, prompt, stop = _model(rng, hidden)
    n_head, n_ctx = hparams["n_head"], hparams["n_ctx"]
    seed = int(rng.integers(2**31))
    sampling = {"temperature": 0.9, "top_k": 8, "top_p": 0.95}
    big_params, big_prompt, big_stop = _big_vocab_model(rng)
    n_fill = int(rng.integers(2, 5)) if hidden else 3
    filler = rng.integers(0, hparams["n_vocab"], size=n_ctx).tolist()
    return [
        Case("greedy, 10 new tokens, no end-of-text id: only the new tokens come back",
             (prompt, params, n_head, 10), {"eos_id": None}, probe=probe_generate,
             hint="run gpt2 on the prompt plus the tokens generated so far, take greedy() of the logits, append, "
                  "repeat n_new times; return only the new tokens."),
        Case(f"eos_id={stop}, a token greedy decoding reaches after a few steps: stop right after emitting it, "
             "and keep it", (prompt, params, n_head, 10), {"eos_id": stop}, probe=probe_generate),
        Case("n_new=0 returns []", (prompt, params, n_head, 0), {"eos_id": None}, probe=probe_generate),
        Case("a prompt of one token", (prompt[:1], params, n_head, 6), {"eos_id": None}, probe=probe_generate),
        Case("sampling with rng=default_rng(seed), temperature 0.9, top_k 8, top_p 0.95: the reference's tokens",
             (prompt, params, n_head, 10, seed), {"eos_id": None, **sampling}, probe=probe_generate,
             hint="with an rng, pick each token with sample_next(logits, rng, temperature, top_k, top_p): one call "
                  "per new token, in order."),
        Case("the caller's prompt list is left unchanged", (prompt, params, n_head, 5), {"eos_id": None},
             probe=probe_generate_prompt),
        Case(f"a vocabulary of {len(big_params['wte'])} tokens, eos_id={big_stop} (> 256): stop right after it",
             (big_prompt, big_params, 2, 8), {"eos_id": big_stop}, probe=probe_generate),
        Case(f"a prompt of {n_ctx - n_fill} tokens + n_new={n_fill} fills n_ctx={n_ctx} exactly: allowed",
             (filler[:n_ctx - n_fill], params, n_head, n_fill), {"eos_id": None}, probe=probe_generate),
        Case(f"a prompt of n_ctx={n_ctx} tokens and n_new=0 fits: returns []", (filler, params, n_head, 0),
             {"eos_id": None}, probe=probe_generate),
        Case(f"prompt + n_new > n_ctx={n_ctx} must raise ValueError", (prompt, params, n_head, n_ctx),
             {"eos_id": None}, probe=probe_generate, raises=ValueError, message=names_n_ctx(n_ctx)),
        Case(f"prompt + n_new > n_ctx={n_ctx} must raise ValueError before generating, even though eos_id={stop} "
             "would stop it early", (prompt, params, n_head, n_ctx), {"eos_id": stop}, probe=probe_generate,
             raises=ValueError, message=names_n_ctx(n_ctx)),
    ]


def _generate_variant(stop=True, keep_eos=True, with_prompt=False, use_rng=True, position=-1, cached=False,
                      extend=True, room="upfront", alias=False, stop_is=False, refeed=False, crop=False):
    """generate (or generate_cached) with one mistake. room: "upfront" (right), "exact" (refuses a request that
    fills n_ctx exactly), "late" (no check of its own: only the model's error stops a request that does not fit),
    "none" (with crop: nanoGPT's and LLMs-from-scratch's loops, which feed only the last n_ctx tokens)."""

    def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=ENDOFTEXT_ID):
        seq = ids if alias and isinstance(ids, list) else [int(i) for i in ids]
        n_prompt, new, cache = len(seq), [], None
        n_ctx = params["wpe"].shape[0]
        if room == "upfront" and n_prompt + n_new > n_ctx or room == "exact" and n_prompt + n_new >= n_ctx:
            raise ValueError(f"{n_prompt + n_new} tokens do not fit in the context n_ctx={n_ctx}")
        if room == "assert":
            assert n_prompt + n_new < n_ctx
        for step in range(n_new):
            if cached:
                feed = seq if step == 0 else seq[-1:]
                logits, new_cache = solutions.gpt2_cached(feed, params, n_head, cache)
                cache = new_cache if extend or cache is None else cache
                if refeed and step == 0:  # the last prompt token fed again, before the first new token
                    logits, cache = solutions.gpt2_cached(seq[-1:], params, n_head, cache)
            else:
                logits = solutions.gpt2(seq[-n_ctx:] if crop else seq, **params, n_head=n_head)
            row = logits[position]
            if rng is not None and use_rng:
                token = solutions.sample_next(row, rng, temperature, top_k, top_p)
            else:
                token = solutions.greedy(row)
            ends = token is eos_id if stop_is else token == eos_id
            if ends and stop and not keep_eos:
                break
            seq.append(token)
            new.append(token)
            if ends and stop:
                break
        return seq[:n_prompt] + new if with_prompt else new

    return generate


_NO_STOP = ("generation must stop as soon as eos_id (<|endoftext|>) is emitted: append it, then break out of the "
            "loop.")
_KEEP_EOS = "keep the end-of-text token as the last one you return (Hugging Face does), then stop."
_WITH_PROMPT = "return only the new tokens, not the prompt followed by them."
_IGNORES_RNG = ("with an rng, sample each token with sample_next(logits, rng, temperature, top_k, top_p); without "
                "one, use greedy().")
_FIRST_POSITION = "the next token follows the LAST position's logits (logits[-1]), not the first's."
_STOP_IS = ("`token is eos_id` compares objects, not values: Python reuses the int objects up to 256 only, so with "
            "GPT-2's <|endoftext|> = 50256 (a new int object every step) it does not stop — compare with ==.")
_EXACT = ("a prompt plus n_new that fills n_ctx exactly fits (the last token is generated from n_ctx - 1 tokens): "
          "raise only when len(prompt) + n_new > n_ctx.")
_LATE = ("check that the prompt plus n_new fits in n_ctx BEFORE running the model, and raise ValueError: a request "
         "that cannot fit must fail even when eos_id would have stopped it early (today only the model's own "
         "error stops it, after the work is done).")
_ALIAS = ("you appended to the caller's prompt list: copy it first (seq = list(ids)) and leave the arguments "
          "unchanged.")
GENERATE_MISTAKES = [
    Mistake(_STOP_IS, _generate_variant(stop_is=True), id="stops-on-is"),
    Mistake(_NO_STOP, _generate_variant(stop=False), id="no-stop-at-eos"),
    Mistake(_KEEP_EOS, _generate_variant(keep_eos=False), id="eos-dropped"),
    Mistake(_WITH_PROMPT, _generate_variant(with_prompt=True), id="returns-prompt"),
    Mistake(_IGNORES_RNG, _generate_variant(use_rng=False), id="ignores-rng"),
    Mistake(_FIRST_POSITION, _generate_variant(position=0), id="first-position"),
    Mistake(_EXACT, _generate_variant(room="exact"), id="refuses-exact-fit"),
    Mistake(_LATE, _generate_variant(room="late"), id="length-checked-late"),
    Mistake(_ALIAS, _generate_variant(alias=True), id="appends-to-prompt"),
    Mistake("picoGPT's check, assert len(ids) + n_new < n_ctx, is not the contract: it refuses a request that fills "
            "n_ctx exactly, and with an AssertionError — raise ValueError naming n_ctx when len(ids) + n_new > n_ctx.",
            _generate_variant(room="assert"), id="picogpt-assert"),
    Mistake("you crop the sequence to its last n_ctx tokens (as nanoGPT's and LLMs-from-scratch's loops do): here "
            "a request that does not fit must raise ValueError naming n_ctx, checked before generating.",
            _generate_variant(room="none", crop=True), id="crops-to-context"),
]

GENERATE = register(Exercise(
    name="generate", chapter="08", points=2, hidden_points=1,
    solution=solutions.generate, make_cases=generate_cases, mistakes=GENERATE_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# gpt2_cached
# --------------------------------------------------------------------------------------------------------------
_RESTART = ("a new token sits at position len(cache), not 0: its position embedding is wpe[n_past + i] — "
            "positions must carry on from the cached ones.")


# Cached logits are compared relative to the logits' scale (their largest |value| in the case): float32 rounding grows
# with the size of the logits and the number of steps. Measured over the visible cases and the hidden cases of 30 seeds
# (tests/alternatives/ch08_decoding.py): correct alternatives (einsum, torch SDPA, one head at a time) land at most
# 2.5e-6 × scale from the reference; the nearest wrong logits (no mask) at 1.5 × scale.
CACHED_TOL = 5e-5


def _scaled(params, n_head, ids) -> dict:
    scale = float(np.max(np.abs(solutions.gpt2(ids, **params, n_head=n_head))))
    return {"atol": CACHED_TOL * scale, "rtol": CACHED_TOL}


def gpt2_cached_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    hparams, params, prompt, _ = _model(rng, hidden)
    n_head, n_ctx = hparams["n_head"], hparams["n_ctx"]
    ids = rng.integers(0, hparams["n_vocab"], size=n_ctx).astype(np.int64)
    n_prompt = len(prompt)

    def tol(n):
        return _scaled(params, n_head, ids[:n])

    return [
        Case(f"a prompt of {n_prompt} tokens without a cache: the logits of gpt2, and a cache of {n_prompt} positions",
             (ids[:n_prompt], params, n_head, [n_prompt]), probe=probe_cached, **tol(n_prompt),
             hint="with no cache, gpt2_cached is gpt2 that also returns each block's keys and values, "
                  "[(k, v) per block], each [n_head, n_seq, d_head]."),
        Case("the prompt, then 5 tokens one at a time: the same logits as gpt2 on the whole sequence",
             (ids[:n_prompt + 5], params, n_head, [n_prompt, 1, 1, 1, 1, 1]), probe=probe_cached,
             **tol(n_prompt + 5)),
        Case("the prompt, then a chunk of 3 tokens at once, then one more", (ids[:n_prompt + 4], params, n_head,
                                                                              [n_prompt, 3, 1]),
             probe=probe_cached, **tol(n_prompt + 4)),
        Case(f"one token at a time up to the full context n_ctx={n_ctx}", (ids, params, n_head, [1] * n_ctx),
             probe=probe_cached, **tol(n_ctx)),
        Case(f"a full cache of n_ctx={n_ctx} positions plus one token must raise ValueError",
             (np.concatenate([ids, ids[:1]]), params, n_head, [n_ctx, 1]), probe=probe_cached, raises=ValueError,
             message=names_n_ctx(n_ctx)),
    ]


def _cached_variant(restart=False, extend=True, only_new=False, square_mask=False, no_mask=False, in_place=False,
                    concat_axis=1):
    def gpt2_cached(ids, params, n_head, cache=None):
        from solutions import ffn, layer_norm, linear, merge_heads, split_heads

        wte, wpe = params["wte"], params["wpe"]
        n_past = 0 if cache is None else cache[0][0].shape[1]
        start = 0 if restart else n_past
        if n_past + len(ids) > wpe.shape[0]:
            raise ValueError(f"{n_past} + {len(ids)} tokens is longer than the context n_ctx={wpe.shape[0]}")
        x = wte[np.asarray(ids)] + wpe[start:start + len(ids)]
        new_cache = []
        for i, block in enumerate(params["blocks"]):
            h = layer_norm(x, **block["ln_1"])
            q, k, v = (split_heads(t, n_head) for t in np.split(linear(h, **block["attn"]["c_attn"]), 3, axis=-1))
            k_new, v_new = k, v
            if cache is not None:
                k = np.concatenate([cache[i][0], k], axis=concat_axis)
                v = np.concatenate([cache[i][1], v], axis=concat_axis)
            n_new, n_total = x.shape[0], k.shape[1]
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(np.float32(q.shape[-1])).astype(x.dtype)
            if square_mask:
                scores = scores + solutions.causal_mask(n_new, dtype=x.dtype.type)
            elif not no_mask:
                scores = scores + np.triu(np.full((n_new, n_total), -1e10, dtype=x.dtype), k=n_total - n_new + 1)
            x = x + linear(merge_heads(_softmax(scores) @ v), **block["attn"]["c_proj"])
            x = x + ffn(layer_norm(x, **block["ln_2"]), **block["mlp"])
            if in_place and cache is not None:
                cache[i] = (k, v)
            if only_new:
                new_cache.append((k_new, v_new))
            elif extend or cache is None:
                new_cache.append((k, v))
            else:
                new_cache.append(cache[i])
        return layer_norm(x, **params["ln_f"]) @ wte.T, (cache if in_place and cache is not None else new_cache)

    return gpt2_cached


GPT2_CACHED_MISTAKES = [
    Mistake(_RESTART, _cached_variant(restart=True), id="positions-restart"),
    Mistake("the cache is not extended: return, for every block, the cached keys and values with the new ones "
            "appended along the positions axis (np.concatenate([k_past, k_new], axis=1)).",
            _cached_variant(extend=False), id="cache-not-extended"),
    Mistake("the returned cache holds only the new positions: concatenate the cached keys and values with the new "
            "ones (axis=1, the positions axis) and return all of them.", _cached_variant(only_new=True),
            id="cache-only-new"),
    Mistake("with a cache, the mask is [n_new, n_past + n_new]: query i (at position n_past + i) may see keys "
            "0 .. n_past + i — a square causal_mask(n_new) no longer fits.", _cached_variant(square_mask=True),
            id="square-mask"),
    Mistake("the new positions must not see each other's future: add a causal mask of shape "
            "[n_new, n_past + n_new] (query i sees keys 0 .. n_past + i).", _cached_variant(no_mask=True),
            id="no-mask"),
    Mistake("you changed the cache you were given: build and return a new list, so that a caller can still use "
            "the old cache.", _cached_variant(in_place=True), id="cache-modified"),
    Mistake("concatenate the cached and new keys along the positions axis (axis=1 of [n_head, n_seq, d_head]), "
            "not the heads axis.", _cached_variant(concat_axis=0), id="concat-heads-axis"),
]

GPT2_CACHED = register(Exercise(
    name="gpt2_cached", chapter="08", points=3, hidden_points=1,
    solution=solutions.gpt2_cached, make_cases=gpt2_cached_cases, mistakes=GPT2_CACHED_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# generate_cached
# --------------------------------------------------------------------------------------------------------------
def generate_cached_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # generate's cases, judged against the uncached loop (an independent oracle): the cache changes no token
    return [c if c.raises else dataclasses.replace(c, label=c.label + " (the same ids as generate)",
                                                   oracle=solutions.generate)
            for c in generate_cases(rng, hidden)]


_NOT_EXTENDED = ("each step must continue from the cache gpt2_cached returns (logits, cache = gpt2_cached([token], "
                 "params, n_head, cache)): a cache that is not updated forgets every generated token.")
_REFEED = ("after the prompt, feed only the token you just generated: the previous token's keys and values are "
           "already in the cache, so feeding it again stores it twice and shifts every later position.")
GENERATE_CACHED_MISTAKES = [
    Mistake(_REFEED, _generate_variant(cached=True, refeed=True), id="refeeds-previous-token"),
    Mistake(_NOT_EXTENDED, _generate_variant(cached=True, extend=False), id="cache-not-updated"),
    Mistake(_STOP_IS, _generate_variant(cached=True, stop_is=True), id="stops-on-is"),
    Mistake(_NO_STOP, _generate_variant(cached=True, stop=False), id="no-stop-at-eos"),
    Mistake(_KEEP_EOS, _generate_variant(cached=True, keep_eos=False), id="eos-dropped"),
    Mistake(_WITH_PROMPT, _generate_variant(cached=True, with_prompt=True), id="returns-prompt"),
    Mistake(_IGNORES_RNG, _generate_variant(cached=True, use_rng=False), id="ignores-rng"),
    Mistake(_FIRST_POSITION, _generate_variant(cached=True, position=0), id="first-position"),
    Mistake(_EXACT, _generate_variant(cached=True, room="exact"), id="refuses-exact-fit"),
    Mistake(_LATE, _generate_variant(cached=True, room="late"), id="length-checked-late"),
    Mistake(_ALIAS, _generate_variant(cached=True, alias=True), id="appends-to-prompt"),
]

GENERATE_CACHED = register(Exercise(
    name="generate_cached", chapter="08", points=2, hidden_points=1,
    solution=solutions.generate_cached, make_cases=generate_cached_cases, mistakes=GENERATE_CACHED_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# --------------------------------------------------------------------------------------------------------------
def edit(source: str, *edits: tuple[str, str]) -> str:
    """`source` with each (old, new) edit applied; every edit must change something."""
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


# Learners' correct versions, which the mutants below break in one place each. They import this chapter's other
# exercises inside the function, so that a mutant put into a solved notebook leaves that notebook's functions alone.
GEN_SRC = '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    from solutions import greedy, sample_next  # inside: a notebook's own greedy and sample_next stay untouched
    ids = [int(i) for i in ids]
    n_ctx = params["wpe"].shape[0]
    if len(ids) + n_new > n_ctx:
        raise ValueError(f"{len(ids)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}")
    new = []
    for _ in range(n_new):
        logits = gpt2(ids + new, **params, n_head=n_head)
        if rng is None:
            token = greedy(logits)
        else:
            token = sample_next(logits, rng, temperature, top_k, top_p)
        new.append(token)
        if token == eos_id:
            break
    return new
'''

GEN_CACHED_SRC = '''
def generate_cached(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None,
                    eos_id=50256):
    from solutions import gpt2_cached, greedy, sample_next
    ids = [int(i) for i in ids]
    n_ctx = params["wpe"].shape[0]
    if len(ids) + n_new > n_ctx:
        raise ValueError(f"{len(ids)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}")
    new = []
    if n_new == 0:
        return new
    logits, cache = gpt2_cached(ids, params, n_head)
    while True:
        token = greedy(logits) if rng is None else sample_next(logits, rng, temperature, top_k, top_p)
        new.append(token)
        if token == eos_id or len(new) == n_new:
            return new
        logits, cache = gpt2_cached([token], params, n_head, cache)
'''

GPT2_CACHED_SRC = '''
from solutions import ffn, layer_norm, linear, merge_heads, softmax, split_heads


def gpt2_cached(ids, params, n_head, cache=None):
    wte, wpe = params["wte"], params["wpe"]
    n_past = 0 if cache is None else cache[0][0].shape[1]
    if n_past + len(ids) > len(wpe):
        raise ValueError(f"{n_past} cached + {len(ids)} new tokens is longer than the context n_ctx={len(wpe)}")
    x = wte[ids] + wpe[n_past:n_past + len(ids)]
    new_cache = []
    for i, block in enumerate(params["blocks"]):
        h = layer_norm(x, **block["ln_1"])
        q, k, v = np.split(linear(h, **block["attn"]["c_attn"]), 3, axis=-1)
        q, k, v = split_heads(q, n_head), split_heads(k, n_head), split_heads(v, n_head)
        if cache is not None:
            k = np.concatenate([cache[i][0], k], axis=1)
            v = np.concatenate([cache[i][1], v], axis=1)
        new_cache.append((k, v))
        n_new, n_total = q.shape[1], k.shape[1]
        mask = np.triu(np.full((n_new, n_total), -1e10, dtype=x.dtype), k=n_total - n_new + 1)
        att = softmax(q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1]) + mask) @ v
        x = x + linear(merge_heads(att), **block["attn"]["c_proj"])
        x = x + ffn(layer_norm(x, **block["ln_2"]), **block["mlp"])
    return layer_norm(x, **params["ln_f"]) @ wte.T, new_cache
'''

TOP_P = '''
def top_p_filter(logits, p):
    if not 0 <= p <= 1:
        raise ValueError(f"top_p must lie in [0, 1], got {p}")
    order = np.argsort(-logits, axis=-1)
    sorted_logits = np.take_along_axis(logits, order, axis=-1)
    probs = np.exp(sorted_logits - sorted_logits[..., :1])
    probs = probs / probs.sum(axis=-1, keepdims=True)
    cum = np.cumsum(probs, axis=-1)
    keep_sorted = cum - probs < p
    keep_sorted[..., 0] = True
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return np.where(keep, logits, -np.inf).astype(logits.dtype)
'''

TOP_K = '''
def top_k_filter(logits, k):
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    k = min(k, logits.shape[-1])
    kth = np.sort(logits, axis=-1)[..., -k, None]
    return np.where(logits < kth, -np.inf, logits)
'''

SAMPLE = '''
from solutions import softmax


def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    from solutions import apply_temperature, greedy, top_k_filter, top_p_filter
    logits = np.asarray(logits)
    if logits.ndim == 2:
        logits = logits[-1]
    if temperature == 0:
        return greedy(logits)
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = softmax(logits.astype(np.float64))
    return int(rng.choice(len(probs), p=probs))
'''

ROOM = ("    if len(ids) + n_new > n_ctx:\n"
        "        raise ValueError(f\"{len(ids)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}\")\n")
STOP = "        if token == eos_id:\n            break\n"
CACHE_STEP = "        logits, cache = gpt2_cached([token], params, n_head, cache)"

# The first mutant is the one the notebook tests put into an otherwise solved chapter: generate, which no other
# exercise calls, written without this chapter's other exercises (a notebook importing those from `solutions` would
# lose their points).
MUTANTS = [
    Mutant("generate", "returns the prompt with the new tokens", "returns-prompt", '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    seq = list(ids)
    if len(seq) + n_new > len(params["wpe"]):
        raise ValueError(f"too long for the context n_ctx={len(params['wpe'])}")
    for _ in range(n_new):
        z = gpt2(seq, **params, n_head=n_head)[-1]
        if rng is None:
            token = int(np.argmax(z))
        else:
            p = np.exp((z - z.max()) / temperature)
            token = int(rng.choice(len(p), p=p / p.sum()))
        seq.append(token)
        if token == eos_id:
            break
    return seq
'''),
    Mutant("generate", "does not stop at <|endoftext|>", "no-stop-at-eos",
           edit(GEN_SRC, (STOP, ""))),
    Mutant("generate", "stops before emitting <|endoftext|>", "eos-dropped",
           edit(GEN_SRC, ("        new.append(token)\n" + STOP, "        if token == eos_id:\n            break\n"
                                                                 "        new.append(token)\n"))),
    Mutant("generate", "always greedy", "ignores-rng",
           edit(GEN_SRC, ("        if rng is None:\n            token = greedy(logits)\n        else:\n"
                           "            token = sample_next(logits, rng, temperature, top_k, top_p)\n",
                           "        token = greedy(logits)\n"))),
    Mutant("generate", "next token from the first position", "first-position",
           edit(GEN_SRC, ("token = greedy(logits)", "token = greedy(logits[0])"),
                ("token = sample_next(logits, rng", "token = sample_next(logits[0], rng"))),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("greedy", "argmax of the flattened array", "greedy_flat", '''
def greedy(logits):
    return int(np.argmax(logits))
'''),
    Mutant("greedy", "argmax of the first position", "greedy_first_row", '''
def greedy(logits):
    if logits.ndim == 2:
        logits = logits[0]
    return int(logits.argmax())
'''),
    Mutant("greedy", "argmax over the wrong axis", "greedy_axis0", '''
def greedy(logits):
    return np.argmax(logits, axis=0)
'''),
    Mutant("greedy", "argmin", "greedy_argmin", '''
def greedy(logits):
    return int(np.argmin(np.atleast_2d(logits)[-1]))
'''),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("apply_temperature", "multiplies", "temperature_times", '''
def apply_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    return logits * temperature
'''),
    Mutant("apply_temperature", "temperature after softmax", "temperature_after_softmax", '''
def apply_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = probs / probs.sum(axis=-1, keepdims=True)
    return probs / temperature
'''),
    Mutant("apply_temperature", "no check of the temperature", "temperature_unchecked", '''
def apply_temperature(logits, temperature):
    return logits / temperature
'''),
    Mutant("apply_temperature", "divides in place", "mutated-input", '''
def apply_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    logits /= temperature
    return logits
'''),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("top_k_filter", "keeps the k smallest", "top_k_smallest", edit(
        TOP_K, ("kth = np.sort(logits, axis=-1)[..., -k, None]", "kth = np.sort(logits, axis=-1)[..., k - 1, None]"),
        ("np.where(logits < kth", "np.where(logits > kth"))),
    Mutant("top_k_filter", "keeps k+1", "top_k_plus_one", edit(
        TOP_K, ("k = min(k, logits.shape[-1])", "k = min(k + 1, logits.shape[-1])"))),
    Mutant("top_k_filter", "keeps k-1", "top_k_minus_one", edit(TOP_K, ("logits < kth", "logits <= kth"))),
    Mutant("top_k_filter", "exactly k indices, ties dropped", "top_k_exactly_k", '''
def top_k_filter(logits, k):
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    idx = np.argsort(logits, axis=-1)[..., -k:]
    out = np.full_like(logits, -np.inf)
    np.put_along_axis(out, idx, np.take_along_axis(logits, idx, axis=-1), axis=-1)
    return out
'''),
    Mutant("top_k_filter", "removed tokens set to 0", "top_k_zero",
           edit(TOP_K, ("-np.inf, logits", "0.0, logits"))),
    Mutant("top_k_filter", "k larger than the vocabulary", "top_k_no_min",
           edit(TOP_K, ("    k = min(k, logits.shape[-1])\n", ""))),
    Mutant("top_k_filter", "sorted along axis 0", "top_k_axis0", '''
def top_k_filter(logits, k):
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    kth = np.sort(logits, axis=0)[-min(k, len(logits))]
    return np.where(logits < kth, -np.inf, logits)
'''),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("top_p_filter", "drops the token that crosses p", "top_p_drop_crossing",
           edit(TOP_P, ("cum - probs < p", "cum <= p"))),
    Mutant("top_p_filter", "drops the crossing token and may keep none", "top_p_drop_crossing",
           edit(TOP_P, ("cum - probs < p", "cum <= p"), ("    keep_sorted[..., 0] = True\n", ""))),
    Mutant("top_p_filter", "keeps none for p=0", "top_p_none",
           edit(TOP_P, ("    keep_sorted[..., 0] = True\n", ""))),
    Mutant("top_p_filter", "boundary: a set reaching p exactly is not enough", "top_p_boundary",
           edit(TOP_P, ("cum - probs < p", "cum - probs <= p"))),
    Mutant("top_p_filter", "cumulative sum of logits", "top_p_on_logits",
           edit(TOP_P, ("    cum = np.cumsum(probs, axis=-1)\n    keep_sorted = cum - probs < p\n",
                        "    cum = np.cumsum(sorted_logits, axis=-1)\n    keep_sorted = cum - sorted_logits < p\n"))),
    Mutant("top_p_filter", "keeps the least likely tokens", "top_p_least_likely",
           edit(TOP_P, ("order = np.argsort(-logits, axis=-1)", "order = np.argsort(logits, axis=-1)"),
                ("probs = np.exp(sorted_logits - sorted_logits[..., :1])",
                 "probs = np.exp(sorted_logits - sorted_logits.max(axis=-1, keepdims=True))"),
                ("keep_sorted = cum - probs < p\n    keep_sorted[..., 0] = True",
                 "keep_sorted = cum <= p\n    keep_sorted[..., 0] |= ~keep_sorted.any(axis=-1)"))),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("sample_next", "samples from the logits", "sample_from_logits",
           edit(SAMPLE, ("    probs = softmax(logits.astype(np.float64))\n"
                         "    return int(rng.choice(len(probs), p=probs))",
                         "    return int(rng.choice(len(logits), p=logits))"))),
    Mutant("sample_next", "np.exp of the logits, not normalised", "sample_exp_unnormalised",
           edit(SAMPLE, ("    probs = softmax(logits.astype(np.float64))\n",
                         "    probs = np.exp(logits.astype(np.float64))\n"))),
    Mutant("sample_next", "temperature after the softmax", "temperature_after_softmax",
           edit(SAMPLE, ("    logits = apply_temperature(logits, temperature)\n", ""),
                ("    probs = softmax(logits.astype(np.float64))\n",
                 "    probs = softmax(logits.astype(np.float64)) / temperature\n    probs = probs / probs.sum()\n"))),
    Mutant("sample_next", "temperature after the filters", "temperature_after_filters",
           edit(SAMPLE, ("    logits = apply_temperature(logits, temperature)\n", ""),
                ("    probs = softmax(logits.astype(np.float64))\n",
                 "    probs = softmax(apply_temperature(logits, temperature).astype(np.float64))\n"))),
    Mutant("sample_next", "filters ignored", "filters_ignored",
           edit(SAMPLE, ("    if top_k is not None:\n        logits = top_k_filter(logits, top_k)\n"
                         "    if top_p is not None:\n        logits = top_p_filter(logits, top_p)\n", ""))),
    Mutant("sample_next", "first position", "sample_first_position",
           edit(SAMPLE, ("logits = logits[-1]", "logits = logits[0]"))),
    Mutant("sample_next", "argmax instead of a draw", "sample_always_greedy",
           edit(SAMPLE, ("return int(rng.choice(len(probs), p=probs))", "return int(np.argmax(probs))"))),
    Mutant("sample_next", "another way to draw", "sample_multinomial",
           edit(SAMPLE, ("return int(rng.choice(len(probs), p=probs))",
                         "return int(rng.multinomial(1, probs).argmax())"))),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("gpt2_cached", "positions restart at 0", "positions-restart",
           edit(GPT2_CACHED_SRC, ("wpe[n_past:n_past + len(ids)]", "wpe[:len(ids)]"))),
    Mutant("gpt2_cached", "cache not extended: keeps only the new positions", "cache-only-new",
           edit(GPT2_CACHED_SRC, ('''        if cache is not None:
            k = np.concatenate([cache[i][0], k], axis=1)
            v = np.concatenate([cache[i][1], v], axis=1)
        new_cache.append((k, v))
''', '''        new_cache.append((k, v))
        if cache is not None:
            k = np.concatenate([cache[i][0], k], axis=1)
            v = np.concatenate([cache[i][1], v], axis=1)
'''))),
    Mutant("gpt2_cached", "cache not extended: returns the cache it was given", "cache-not-extended",
           edit(GPT2_CACHED_SRC, ("return layer_norm(x, **params[\"ln_f\"]) @ wte.T, new_cache",
                              "return layer_norm(x, **params[\"ln_f\"]) @ wte.T, cache if cache else new_cache"))),
    Mutant("gpt2_cached", "square causal mask", "square-mask",
           edit(GPT2_CACHED_SRC, ("        mask = np.triu(np.full((n_new, n_total), -1e10, dtype=x.dtype), "
                              "k=n_total - n_new + 1)\n",
                              "        mask = causal_mask(n_new)\n"),
                ("from solutions import ffn,", "from solutions import causal_mask, ffn,"))),
    Mutant("gpt2_cached", "no mask", "no-mask",
           edit(GPT2_CACHED_SRC, (" + mask)", ")"))),
    Mutant("gpt2_cached", "modifies the cache it is given", "cache-modified",
           edit(GPT2_CACHED_SRC, ("    new_cache = []\n", "    new_cache = cache if cache is not None else []\n"),
                ("        new_cache.append((k, v))\n",
                 "        if cache is None:\n            new_cache.append((k, v))\n"
                 "        else:\n            new_cache[i] = (k, v)\n"))),
    Mutant("gpt2_cached", "concatenates along the heads axis", "concat-heads-axis",
           edit(GPT2_CACHED_SRC, ("[cache[i][0], k], axis=1", "[cache[i][0], k], axis=0"),
                ("[cache[i][1], v], axis=1", "[cache[i][1], v], axis=0"))),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("generate_cached", "cache not extended", "cache-not-updated",
           edit(GEN_CACHED_SRC, (CACHE_STEP, "        logits, _ = gpt2_cached([token], params, n_head, cache)"))),
    Mutant("generate_cached", "does not stop at <|endoftext|>", "no-stop-at-eos",
           edit(GEN_CACHED_SRC, ("if token == eos_id or len(new) == n_new:", "if len(new) == n_new:"))),
    Mutant("generate_cached", "returns the prompt with the new tokens", "returns-prompt",
           edit(GEN_CACHED_SRC, ("            return new\n", "            return ids + new\n"))),
    Mutant("generate_cached", "always greedy", "ignores-rng",
           edit(GEN_CACHED_SRC, ("token = greedy(logits) if rng is None else sample_next(logits, rng, temperature, "
                                  "top_k, top_p)", "token = greedy(logits)"))),
    # ---------------------------------------------------------------------------------------------------------
    # mistakes that passed before (issue 11)
    Mutant("greedy", "argmax of logits[-1] even for 1-D logits", "last-entry-of-1d", '''
def greedy(logits):
    return int(np.argmax(logits[-1]))
'''),
    Mutant("apply_temperature", "divides only when T > 0", "divide-only-when-positive", '''
def apply_temperature(logits, temperature):
    if temperature > 0:
        return logits / temperature
    return logits
'''),
    Mutant("top_p_filter", "a threshold on the value keeps every tied logit", "top-p-keeps-all-ties",
           edit(TOP_P, ("    keep = np.zeros_like(keep_sorted)\n"
                        "    np.put_along_axis(keep, order, keep_sorted, axis=-1)\n",
                        "    cut = np.min(np.where(keep_sorted, sorted_logits, np.inf), axis=-1, keepdims=True)\n"
                        "    keep = logits >= cut\n"))),
    Mutant("sample_next", "top-p before top-k", "top-p-before-top-k",
           edit(SAMPLE, ("    if top_k is not None:\n        logits = top_k_filter(logits, top_k)\n"
                         "    if top_p is not None:\n        logits = top_p_filter(logits, top_p)\n",
                         "    if top_p is not None:\n        logits = top_p_filter(logits, top_p)\n"
                         "    if top_k is not None:\n        logits = top_k_filter(logits, top_k)\n"))),
    Mutant("generate", "stops on `token is eos_id`", "stops-on-is",
           edit(GEN_SRC, ("        if token == eos_id:\n", "        if token is eos_id:\n"))),
    Mutant("generate", "refuses a request that fills n_ctx exactly", "refuses-exact-fit",
           edit(GEN_SRC, ("if len(ids) + n_new > n_ctx:", "if len(ids) + n_new >= n_ctx:"))),
    Mutant("generate", "no length check of its own (the model's error comes late)", "length-checked-late",
           edit(GEN_SRC, (ROOM, ""))),
    Mutant("generate", "checks the length inside the loop, after running the model", "length-checked-late",
           edit(GEN_SRC, (ROOM, ""),
                ("        new.append(token)\n", "        new.append(token)\n        if len(ids) + len(new) > n_ctx:\n"
                 "            raise ValueError(f\"longer than n_ctx={n_ctx}\")\n"))),
    Mutant("generate", "picoGPT's assert", "picogpt-assert",
           edit(GEN_SRC, (ROOM, '    assert len(ids) + n_new < n_ctx, "prompt too long"\n'))),
    Mutant("generate", "crops to the last n_ctx tokens (nanoGPT)", "crops-to-context",
           edit(GEN_SRC, (ROOM, ""),
                ("logits = gpt2(ids + new, **params", "logits = gpt2((ids + new)[-n_ctx:], **params"))),
    Mutant("generate", "appends to the caller's list", "appends-to-prompt", '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    from solutions import greedy, sample_next
    n_ctx = params["wpe"].shape[0]
    if len(ids) + n_new > n_ctx:
        raise ValueError(f"{len(ids)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}")
    n_prompt = len(ids)
    for _ in range(n_new):
        logits = gpt2(ids, **params, n_head=n_head)
        token = greedy(logits) if rng is None else sample_next(logits, rng, temperature, top_k, top_p)
        ids.append(token)
        if token == eos_id:
            break
    return ids[n_prompt:]
'''),
    Mutant("generate_cached", "stops before emitting <|endoftext|>", "eos-dropped",
           edit(GEN_CACHED_SRC, ("        new.append(token)\n        if token == eos_id or len(new) == n_new:\n",
                                  "        if token == eos_id:\n            return new\n        new.append(token)\n"
                                  "        if len(new) == n_new:\n"))),
    Mutant("generate_cached", "next token from the first position", "first-position",
           edit(GEN_CACHED_SRC, ("token = greedy(logits) if rng is None else sample_next(logits, rng,",
                                  "token = greedy(logits[0]) if rng is None else sample_next(logits[0], rng,"))),
    Mutant("generate_cached", "re-feeds the last prompt token", "refeeds-previous-token", '''
def generate_cached(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None,
                    eos_id=50256):
    from solutions import gpt2_cached, greedy, sample_next
    seq = [int(i) for i in ids]
    n_ctx = params["wpe"].shape[0]
    if len(seq) + n_new > n_ctx:
        raise ValueError(f"{len(seq)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}")
    new = []
    if n_new == 0:
        return new
    _, cache = gpt2_cached(seq, params, n_head)
    for _ in range(n_new):
        logits, cache = gpt2_cached(seq[-1:], params, n_head, cache)
        token = greedy(logits) if rng is None else sample_next(logits, rng, temperature, top_k, top_p)
        seq.append(token)
        new.append(token)
        if token == eos_id:
            break
    return new
'''),
    Mutant("generate_cached", "stops on `token is eos_id`", "stops-on-is",
           edit(GEN_CACHED_SRC, ("if token == eos_id or len(new) == n_new:",
                                  "if token is eos_id or len(new) == n_new:"))),
    Mutant("generate_cached", "refuses a request that fills n_ctx exactly", "refuses-exact-fit",
           edit(GEN_CACHED_SRC, ("if len(ids) + n_new > n_ctx:", "if len(ids) + n_new >= n_ctx:"))),
    Mutant("generate_cached", "no length check of its own", "length-checked-late",
           edit(GEN_CACHED_SRC, (ROOM, ""))),
    Mutant("generate_cached", "appends to the caller's list", "appends-to-prompt",
           edit(GEN_CACHED_SRC, ("    ids = [int(i) for i in ids]\n", ""),
                ("        new.append(token)\n", "        new.append(token)\n        ids.append(token)\n"))),
]

register_mutants(MUTANTS)
