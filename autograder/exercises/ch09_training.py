"""Chapter 09 — training: get_batch, cross_entropy, lr_at, train_step and deep-ml's gpt2_generate on the course
model: cases and known mistakes.

get_batch is checked exactly (the docstring fixes how the window starts are drawn, so the same rng gives the same
batch); cross_entropy against torch.nn.functional.cross_entropy as well as the reference, with huge logits; lr_at
at the schedule's landmarks and over a whole run; train_step in a probe that trains a tiny GPT-2-shaped model built
in autograder/probes.py (never the reference) for two steps and compares the parameters; gpt2_generate on the
shipped course model (data/course_model), greedily, text for text.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import solutions

from ..engine import Case, Exercise, Mistake, Mutant, compare_values, register, register_mutants
from ..probes import probe_get_batch, probe_schedule, probe_train_step

# --------------------------------------------------------------------------------------------------------------
# get_batch
# --------------------------------------------------------------------------------------------------------------
RNG_HINT = ("draw the window starts from the rng you are given, in one call: starts = rng.integers(0, len(tokens) - "
            "n_ctx, size=batch_size) (the check replays the same draws; np.random's global functions or torch's "
            "ignore the rng).")


def _tokens(rng, n, n_vocab=50257):
    return rng.integers(0, n_vocab, size=n).astype(np.uint16)  # as tokenize_works stores them


def get_batch_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_tokens = int(rng.integers(40, 80)) if hidden else 50
    batch_size, n_ctx = (int(rng.integers(3, 7)), int(rng.integers(5, 10))) if hidden else (4, 8)
    tokens = _tokens(rng, n_tokens)
    short = _tokens(rng, n_ctx + 3)
    seeds = [_calm_seed(rng, n_tokens, n_ctx, batch_size), _calm_seed(rng, n_tokens, n_ctx, batch_size + 2),
             *(int(s) for s in rng.integers(0, 2**31, size=2))]
    return [
        Case(f"{batch_size} windows of n_ctx={n_ctx} from {n_tokens} tokens (uint16, as tokenize_works stores them)",
             (tokens, batch_size, n_ctx, seeds[0]), probe=probe_get_batch, hint=RNG_HINT, hint_id="use-the-rng"),
        Case("another seed: other windows", (tokens, batch_size + 2, n_ctx, seeds[1]), probe=probe_get_batch,
             hint=RNG_HINT, hint_id="use-the-rng"),
        Case(f"only n_ctx + 3 = {n_ctx + 3} tokens: every window, and the token after it, must fit",
             (short, 16, n_ctx, seeds[2]), probe=probe_get_batch,
             hint="a window needs n_ctx + 1 tokens (x and the token after it): the last start is "
                  "len(tokens) - n_ctx - 1, so draw from rng.integers(0, len(tokens) - n_ctx)."),
        Case("exactly n_ctx + 1 tokens: one possible window", (short[: n_ctx + 1], 3, n_ctx, seeds[3]),
             probe=probe_get_batch),
        Case("a batch of one window of length 1", (tokens, 1, 1, seeds[3]), probe=probe_get_batch),
        Case("fewer than n_ctx + 1 tokens must raise ValueError", (short[:n_ctx], 2, n_ctx, seeds[0]),
             probe=probe_get_batch, raises=ValueError),
    ]


def _calm_seed(rng, n_tokens, n_ctx, batch_size):
    """A seed whose starts stay clear of the end (s + 2 n_ctx < n_tokens), also when drawn with a wrong upper end:
    on the first two cases every known mistake then returns a batch instead of failing on a short window, so its
    hint is named by its values (a window past the end only shows on the short cases)."""
    while True:
        seed = int(rng.integers(0, 2**31))
        if all(np.random.default_rng(seed).integers(0, high, size=batch_size).max() + 2 * n_ctx < n_tokens
               for high in (n_tokens - n_ctx, n_tokens - n_ctx + 1)):
            return seed


def _batch(tokens, batch_size, n_ctx, rng, high=None, length=None):
    high = len(tokens) - n_ctx if high is None else high
    starts = rng.integers(0, high, size=batch_size)
    return np.stack([tokens[s:s + (n_ctx + 1 if length is None else length)] for s in starts]).astype(np.int64)


def _check_length(tokens, n_ctx):
    if len(tokens) < n_ctx + 1:
        raise ValueError(f"{len(tokens)} tokens are too few for windows of n_ctx + 1 = {n_ctx + 1}")


def _batch_not_shifted(tokens, batch_size, n_ctx, rng):
    _check_length(tokens, n_ctx)
    w = _batch(tokens, batch_size, n_ctx, rng)
    return w[:, :-1], w[:, :-1]


def _batch_shifted_back(tokens, batch_size, n_ctx, rng):
    _check_length(tokens, n_ctx)
    w = _batch(tokens, batch_size, n_ctx, rng)
    return w[:, 1:], w[:, :-1]


def _batch_past_end(tokens, batch_size, n_ctx, rng):
    _check_length(tokens, n_ctx)
    w = _batch(tokens, batch_size, n_ctx, rng, high=len(tokens) - n_ctx + 1)
    return w[:, :-1], w[:, 1:]


def _batch_y_is_next_window(tokens, batch_size, n_ctx, rng):
    _check_length(tokens, n_ctx)
    starts = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    x = np.stack([tokens[s:s + n_ctx] for s in starts]).astype(np.int64)
    return x, np.stack([tokens[s + n_ctx:s + 2 * n_ctx] for s in starts]).astype(np.int64)


def _batch_uint16(tokens, batch_size, n_ctx, rng):
    _check_length(tokens, n_ctx)
    w = _batch(tokens, batch_size, n_ctx, rng).astype(tokens.dtype)
    return w[:, :-1], w[:, 1:]


def _batch_no_check(tokens, batch_size, n_ctx, rng):
    w = _batch(tokens, batch_size, n_ctx, rng, high=max(1, len(tokens) - n_ctx))
    return w[:, :-1], w[:, 1:]


def _batch_transposed(tokens, batch_size, n_ctx, rng):
    _check_length(tokens, n_ctx)
    w = _batch(tokens, batch_size, n_ctx, rng)
    return w[:, :-1].T.copy(), w[:, 1:].T.copy()


GET_BATCH_MISTAKES = [
    Mistake("y is x itself: the target at position t is the NEXT token, so take windows of n_ctx + 1 tokens and "
            "split them into x = w[:, :-1] and y = w[:, 1:].", _batch_not_shifted, id="y-not-shifted"),
    Mistake("x and y are swapped (y is x shifted the wrong way): x = w[:, :-1] is the input, y = w[:, 1:] the "
            "tokens that follow.", _batch_shifted_back, id="shifted-the-wrong-way"),
    Mistake("y must be x shifted by ONE token (y[b, t] = x[b, t + 1]), not the next window: take n_ctx + 1 tokens "
            "from each start.", _batch_y_is_next_window, id="y-next-window"),
    Mistake("a window can run past the end: a start s needs s + n_ctx + 1 <= len(tokens), so draw the starts from "
            "rng.integers(0, len(tokens) - n_ctx), whose upper end is exclusive.", _batch_past_end,
            id="runs-past-the-end"),
    Mistake("x and y must be int64 (torch's embedding and cross-entropy want int64 ids): convert the uint16 "
            "windows with .astype(np.int64).", _batch_uint16, id="wrong-dtype"),
    Mistake("with fewer than n_ctx + 1 tokens there is no window at all: raise ValueError instead of returning "
            "shorter ones.", _batch_no_check, id="no-length-check"),
    Mistake("x and y are [batch_size, n_ctx], one window per ROW: stack the windows, don't transpose.",
            _batch_transposed, id="transposed"),
]

GET_BATCH = register(Exercise(
    name="get_batch", chapter="09", points=2, hidden_points=1,
    solution=solutions.get_batch, make_cases=get_batch_cases, mistakes=GET_BATCH_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# cross_entropy
# --------------------------------------------------------------------------------------------------------------
# Tolerance (measured; see MEASURED in tests/alternatives/ch09_training.py): correct implementations land at most
# 0.004 of it from the reference (torch in float32 on the float32 case; float64 ones agree to ~1e-15), while every
# known mistake is off by a factor (log2, a sum, a missing minus), by whole nats, or gives inf / NaN.
LOSS_TOL = {"atol": 1e-6, "rtol": 1e-5}


def _torch_cross_entropy(logits, targets):
    """The oracle: torch.nn.functional.cross_entropy (mean over positions) in float64."""
    import torch
    from torch.nn import functional as F

    logits = torch.from_numpy(np.asarray(logits, dtype=np.float64))
    targets = torch.from_numpy(np.asarray(targets, dtype=np.int64))
    return float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)))


def _compare_loss(got, want, case) -> str | None:
    """A float within the tolerance; NaN or inf only ever matches the same NaN or inf (a known mistake's)."""
    if isinstance(want, (float, np.floating)) and isinstance(got, (float, np.floating)) and not math.isfinite(want):
        return None if (math.isnan(want) and math.isnan(got)) or got == want else f"expected {want!r}, got {got!r}"
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind == "f":
        return (f"expected a float, got a 0-d array ({got!r}): return float(...)")
    return compare_values(got, want, case)


def cross_entropy_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    n_seq, n_vocab = (int(rng.integers(4, 8)), int(rng.integers(9, 20))) if hidden else (5, 11)
    batch = int(rng.integers(2, 4)) if hidden else 2

    def logits_of(*shape, scale=2.0, dtype=np.float64):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    def targets_of(*shape):
        return rng.integers(0, n_vocab, size=shape).astype(np.int64)

    logits = logits_of(n_seq, n_vocab)
    targets = targets_of(n_seq)
    # huge logits: each row's largest is +1e4 and the target is sometimes that one, sometimes one 1e4 below it
    huge = logits_of(n_seq, n_vocab) + 1e4 * (rng.random((n_seq, n_vocab)) < 0.3)
    huge_targets = targets_of(n_seq)
    top = np.argmax(huge, axis=-1)
    huge_targets[::2] = top[::2]
    low = logits_of(n_seq, n_vocab, scale=1.0)
    low[np.arange(n_seq), targets] = -1e4  # the target is 1e4 below the rest: its probability underflows to 0
    uniform = np.full((n_seq, n_vocab), float(rng.uniform(-3, 3)))
    return [
        Case(f"logits [{n_seq}, {n_vocab}] and targets [{n_seq}]", (logits, targets), oracle=_torch_cross_entropy,
             **LOSS_TOL),
        Case(f"a batch: logits [{batch}, {n_seq}, {n_vocab}], targets [{batch}, {n_seq}]: the mean over every "
             "position", (logits_of(batch, n_seq, n_vocab), targets_of(batch, n_seq)), oracle=_torch_cross_entropy,
             **LOSS_TOL),
        Case(f"all logits equal: a uniform guess costs ln(n_vocab) = ln {n_vocab} = {math.log(n_vocab):.4f}",
             (uniform, targets), **LOSS_TOL,
             hint="with all logits equal every token has probability 1/n_vocab: the loss is ln(n_vocab)."),
        Case("the same logits + 1e4 (every row shifted): softmax ignores a shift, so the loss must not change",
             (logits + 1e4, targets), compare=_compare_loss, **LOSS_TOL,
             hint="exp(1e4) overflows to inf: compute log p = x - max - log(sum(exp(x - max))) (log-sum-exp), "
                  "without ever forming exp(x) of the raw logits."),
        Case("a target 1e4 below the other logits: its loss is about 1e4, not inf", (low, targets),
             oracle=_torch_cross_entropy, compare=_compare_loss, **LOSS_TOL,
             hint="a probability of e^-10000 underflows to 0 and log(0) = -inf: compute log p directly as "
                  "x - logsumexp(x) instead of log(softmax(x))."),
        Case("huge logits: some +1e4, some not, in every row", (huge, huge_targets),
             oracle=_torch_cross_entropy, compare=_compare_loss, **LOSS_TOL,
             hint="exp(1e4) overflows to inf: compute log p = x - max - log(sum(exp(x - max))) (log-sum-exp), "
                  "without ever forming exp(x) of the raw logits."),
        Case("float32 logits", (logits_of(n_seq, n_vocab, dtype=np.float32), targets), oracle=_torch_cross_entropy,
             **LOSS_TOL),
        Case("a single position [1, n_vocab]", (logits[:1], targets[:1]), **LOSS_TOL),
    ]


def _log_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _pick(logp, targets):
    return np.take_along_axis(logp, np.asarray(targets)[..., None], axis=-1)[..., 0]


def _ce_no_max(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    return float(-np.mean(_pick(x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True)), targets)))


def _ce_naive_softmax(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    p = np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
    return float(-np.mean(np.log(_pick(p, targets))))


def _ce_log_of_softmax(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return float(-np.mean(np.log(_pick(e / e.sum(axis=-1, keepdims=True), targets))))


def _ce_sum(logits, targets):
    return float(-np.sum(_pick(_log_softmax(np.asarray(logits, dtype=np.float64)), targets)))


def _ce_log2(logits, targets):
    return float(-np.mean(_pick(_log_softmax(np.asarray(logits, dtype=np.float64)), targets)) / math.log(2))


def _ce_no_minus(logits, targets):
    return float(np.mean(_pick(_log_softmax(np.asarray(logits, dtype=np.float64)), targets)))


def _ce_mean_over_vocab(logits, targets):
    return float(-np.mean(_log_softmax(np.asarray(logits, dtype=np.float64))))


def _ce_softmax_axis0(logits, targets):
    return float(-np.mean(_pick(_log_softmax(np.asarray(logits, dtype=np.float64), axis=0), targets)))


def _ce_wrong_axis(logits, targets):
    logp = _log_softmax(np.asarray(logits, dtype=np.float64)).reshape(-1, np.shape(logits)[-1])
    return float(-np.mean(logp[:, np.asarray(targets).reshape(-1)]))


def _ce_shifted(logits, targets):
    logp = _log_softmax(np.asarray(logits, dtype=np.float64))
    return float(-np.mean(_pick(logp[..., :-1, :], np.asarray(targets)[..., 1:])))


def _ce_logits_not_logp(logits, targets):
    return float(-np.mean(_pick(np.asarray(logits, dtype=np.float64), targets)))


CROSS_ENTROPY_MISTAKES = [
    Mistake("np.exp of the raw logits overflows (exp(1e4) = inf): subtract each row's max first, log p = "
            "x - max - log(sum(exp(x - max))).", _ce_no_max, id="no-max-subtraction"),
    Mistake("log(softmax(x)) turns a probability that underflows to 0 into -inf: compute log p directly, "
            "x - logsumexp(x) (log-sum-exp).", _ce_log_of_softmax, id="log-of-softmax"),
    Mistake("softmax from exp of the raw logits is inf / inf = NaN for huge logits: work with log-probabilities, "
            "x - max - log(sum(exp(x - max))), never exp(x) itself.", _ce_naive_softmax, id="naive-softmax"),
    Mistake("you summed the losses of the positions: the loss is their MEAN (np.mean), so it does not grow with "
            "the batch.", _ce_sum, id="sum-not-mean"),
    Mistake("you measured in bits (log base 2): the loss is in nats, the natural log (np.log), like torch's.",
            _ce_log2, id="log2"),
    Mistake("your loss is negative: cross-entropy is MINUS the mean log-probability of the targets.", _ce_no_minus,
            id="no-minus"),
    Mistake("you averaged -log p over every token of the vocabulary: take only each position's target, "
            "np.take_along_axis(logp, targets[..., None], axis=-1).", _ce_mean_over_vocab, id="mean-over-vocab"),
    Mistake("normalise over the vocabulary, the last axis (axis=-1), not over the positions (axis 0).",
            _ce_softmax_axis0, id="softmax-axis-0"),
    Mistake("logp[:, targets] picks every target for every position (an [n, n] matrix): pick one entry per "
            "position, logp[np.arange(n), targets] or np.take_along_axis.", _ce_wrong_axis, id="wrong-target-axis"),
    Mistake("the targets are already the next tokens (get_batch shifted them): pair logits[..., t, :] with "
            "targets[..., t], without shifting again.", _ce_shifted, id="off-by-one-targets"),
    Mistake("the logits are not log-probabilities: subtract logsumexp(x) before picking the targets' entries.",
            _ce_logits_not_logp, id="logits-not-log-probabilities"),
]

CROSS_ENTROPY = register(Exercise(
    name="cross_entropy", chapter="09", points=2, hidden_points=1,
    solution=solutions.cross_entropy, make_cases=cross_entropy_cases, mistakes=CROSS_ENTROPY_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# lr_at
# --------------------------------------------------------------------------------------------------------------
LR_TOL = {"atol": 1e-12, "rtol": 1e-9}  # the formula in float64: correct forms agree to ~1e-16 relative


def lr_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if hidden:
        warmup, max_steps = int(rng.integers(5, 30)), int(rng.integers(60, 300))
        max_lr, min_lr = float(rng.uniform(1e-4, 6e-3)), 0.0
        min_lr = max_lr * float(rng.uniform(0.05, 0.2))
    else:
        warmup, max_steps, max_lr, min_lr = 10, 100, 3e-3, 3e-4
    schedule = (max_lr, min_lr, warmup, max_steps)
    middle = warmup + (max_steps - warmup) // 2
    return [
        Case(f"warm-up: steps 0 .. {warmup} (warmup_steps={warmup}) rise linearly, (step + 1) / warmup_steps "
             "* max_lr", (range(0, warmup + 1), *schedule), probe=probe_schedule, **LR_TOL),
        Case(f"the cosine: max_lr at step warmup_steps={warmup}, (max_lr + min_lr) / 2 half-way, min_lr at "
             f"max_steps={max_steps}", ([warmup, middle, max_steps - 1, max_steps], *schedule),
             probe=probe_schedule, **LR_TOL),
        Case(f"after max_steps={max_steps}: min_lr, for ever", ([max_steps + 1, max_steps + 7, 2 * max_steps,
                                                                  3 * max_steps], *schedule),
             probe=probe_schedule, **LR_TOL),
        Case("every step of a whole run", (range(0, max_steps + 5), *schedule), probe=probe_schedule, **LR_TOL),
        Case("warmup_steps=0: the cosine starts at step 0 with max_lr", (range(0, max_steps + 2), max_lr, min_lr, 0,
                                                                          max_steps), probe=probe_schedule,
             **LR_TOL),
    ]


def _cosine(step, max_lr, min_lr, warmup_steps, max_steps):
    progress = (step - warmup_steps) / max(1, max_steps - warmup_steps)
    return min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (max_lr - min_lr)


def _lr_no_warmup(step, max_lr, min_lr, warmup_steps, max_steps):
    if step >= max_steps:
        return min_lr
    return _cosine(step, max_lr, min_lr, 0, max_steps)


def _lr_warmup_from_zero(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    return solutions.lr_at(step, max_lr, min_lr, warmup_steps, max_steps)


def _lr_warmup_plus_one(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    return solutions.lr_at(step, max_lr, min_lr, warmup_steps, max_steps)


def _lr_linear_decay(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / max(1, max_steps - warmup_steps)
    return max_lr - progress * (max_lr - min_lr)


def _lr_to_zero(step, max_lr, min_lr, warmup_steps, max_steps):
    return solutions.lr_at(step, max_lr, 0.0, warmup_steps, max_steps) if step < max_steps else min_lr


def _lr_restarts(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    return _cosine(step, max_lr, min_lr, warmup_steps, max_steps)


def _lr_progress_over_max_steps(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    return min_lr + 0.5 * (1 + math.cos(math.pi * step / max_steps)) * (max_lr - min_lr)


def _lr_cos_without_half(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / max(1, max_steps - warmup_steps)
    return min_lr + math.cos(0.5 * math.pi * progress) * (max_lr - min_lr)


LR_MISTAKES = [
    Mistake("there is no warm-up: for step < warmup_steps the rate rises linearly, max_lr * (step + 1) / "
            "warmup_steps, and the cosine starts at warmup_steps.", _lr_no_warmup, id="no-warmup"),
    Mistake("the warm-up starts at 0 (step / warmup_steps): the course's starts at max_lr / warmup_steps, "
            "max_lr * (step + 1) / warmup_steps, so no step is wasted at rate 0.", _lr_warmup_from_zero,
            id="warmup-from-zero"),
    Mistake("you divided the warm-up by warmup_steps + 1 (nanoGPT's train.py): the course reaches max_lr at the "
            "last warm-up step, max_lr * (step + 1) / warmup_steps.", _lr_warmup_plus_one, id="warmup-plus-one"),
    Mistake("the decay is linear: after the warm-up it follows half a cosine, min_lr + 0.5 * (1 + cos(pi * "
            "progress)) * (max_lr - min_lr).", _lr_linear_decay, id="linear-decay"),
    Mistake("the cosine ends at 0, below min_lr: it goes from max_lr down to min_lr, min_lr + 0.5 * (1 + "
            "cos(pi * progress)) * (max_lr - min_lr).", _lr_to_zero, id="below-min-lr"),
    Mistake("after max_steps the cosine climbs again (a restart): from max_steps on, return min_lr.",
            _lr_restarts, id="restarts-after-max-steps"),
    Mistake("the cosine's progress counts from the end of the warm-up: progress = (step - warmup_steps) / "
            "(max_steps - warmup_steps), which is 0 at warmup_steps and 1 at max_steps.",
            _lr_progress_over_max_steps, id="progress-from-step-0"),
    Mistake("that is a quarter cosine: the schedule is 0.5 * (1 + cos(pi * progress)), which falls slowly at both "
            "ends.", _lr_cos_without_half, id="quarter-cosine"),
]

LR_AT = register(Exercise(
    name="lr_at", chapter="09", points=1, hidden_points=1,
    solution=solutions.lr_at, make_cases=lr_cases, mistakes=LR_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# train_step
# --------------------------------------------------------------------------------------------------------------
# Tolerance (measured; see MEASURED in tests/alternatives/ch09_training.py): correct train steps that compute the loss
# or the clipping another way (a hand-written log-softmax, their own norm) land at most 0.008 of it from the
# reference after two steps, while every known mistake lands at least 700x the tolerance away on some case.
TRAIN_TOL = {"atol": 1e-4, "rtol": 1e-3}


def _tiny_weights(rng, config):
    import torch

    from ..probes import tiny_lm

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(0, 2**31)))
        model = tiny_lm(**config)
    return {name: (t.detach().numpy() * (3.0 if name.endswith("weight") and t.dim() == 2 else 1.0)).copy()
            for name, t in model.state_dict().items()}


def _train_batches(rng, config, batch, n_seq, n):
    out = []
    for _ in range(n):
        w = rng.integers(0, config["n_vocab"], size=(batch, n_seq + 1)).astype(np.int64)
        out.append((w[:, :-1].copy(), w[:, 1:].copy()))
    return out


def train_step_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    config = {"n_vocab": int(rng.integers(17, 30)) if hidden else 23, "n_ctx": 12, "n_embd": 16, "n_head": 2,
              "drop": 0.0}
    dropout = {**config, "drop": 0.2}
    batch, n_seq = (int(rng.integers(2, 4)), int(rng.integers(5, 9))) if hidden else (3, 6)
    weights, weights_d = _tiny_weights(rng, config), _tiny_weights(rng, dropout)
    batches = _train_batches(rng, config, batch, n_seq, 2)
    return [
        Case("two steps with SGD (momentum 0.9), clip=1e9 (no clipping): the losses and the parameters after",
             (config, weights, batches, "sgd", 0.2, 1e9), probe=probe_train_step, **TRAIN_TOL),
        Case("two steps with SGD, clip=0.05: the gradients are rescaled to norm 0.05 before each step",
             (config, weights, batches, "sgd", 0.5, 0.05), probe=probe_train_step, **TRAIN_TOL),
        Case("two steps with AdamW (weight decay 0.1), clip=1.0", (config, weights, batches, "adamw", 0.01, 1.0),
             probe=probe_train_step, **TRAIN_TOL),
        Case("a model with dropout (p=0.2), handed over in eval mode: train_step must switch it to training",
             (dropout, weights_d, batches, "sgd", 0.2, 1e9), probe=probe_train_step, **TRAIN_TOL,
             hint="call model.train() first: after an evaluation the model is in eval mode, where dropout is off."),
    ]


def _ts_loss(model, x, y):
    from torch.nn import functional as F

    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _ts_no_zero_grad(model, optimizer, x, y, clip=1.0):
    import torch

    model.train()
    loss = _ts_loss(model, x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def _ts_no_clip(model, optimizer, x, y, clip=1.0):
    model.train()
    optimizer.zero_grad()
    loss = _ts_loss(model, x, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _ts_clip_value(model, optimizer, x, y, clip=1.0):
    import torch

    model.train()
    optimizer.zero_grad()
    loss = _ts_loss(model, x, y)
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def _ts_tensor(model, optimizer, x, y, clip=1.0):
    import torch

    model.train()
    optimizer.zero_grad()
    loss = _ts_loss(model, x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss


def _ts_step_before_backward(model, optimizer, x, y, clip=1.0):
    import torch

    model.train()
    optimizer.zero_grad()
    loss = _ts_loss(model, x, y)
    optimizer.step()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    return loss.item()


def _ts_no_train_mode(model, optimizer, x, y, clip=1.0):
    import torch

    optimizer.zero_grad()
    loss = _ts_loss(model, x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def _ts_loss_after(model, optimizer, x, y, clip=1.0):
    import torch

    model.train()
    optimizer.zero_grad()
    loss = _ts_loss(model, x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    with torch.no_grad():
        return _ts_loss(model, x, y).item()


TRAIN_STEP_MISTAKES = [
    Mistake("the gradients of the previous step are still in .grad: backward() ADDS to them. Call "
            "optimizer.zero_grad() before loss.backward().", _ts_no_zero_grad, id="no-zero-grad"),
    Mistake("the step used unclipped gradients: call torch.nn.utils.clip_grad_norm_(model.parameters(), clip) "
            "between loss.backward() and optimizer.step() (clipping after the step is too late: the step has "
            "already used the full gradients).", _ts_no_clip, id="no-clipping"),
    Mistake("clip_grad_value_ clips each entry; GPT-2 rescales the whole gradient to a total norm of at most clip: "
            "torch.nn.utils.clip_grad_norm_(model.parameters(), clip).", _ts_clip_value, id="clip-by-value"),
    Mistake("optimizer.step() ran before loss.backward(), with no gradients to use: the order is zero_grad, "
            "forward, backward, clip, step.", _ts_step_before_backward, id="step-before-backward"),
    Mistake("return the loss as a Python float, loss.item(): a tensor keeps the whole graph of the step alive.",
            _ts_tensor, id="loss-not-a-float"),
    Mistake("return the loss of the batch BEFORE the step (the one you called backward() on), not a loss "
            "recomputed after it.", _ts_loss_after, id="loss-after-the-step"),
    Mistake("call model.train() first: the model may come from an evaluation in eval mode, where dropout is off.",
            _ts_no_train_mode, id="no-train-mode"),
]

TRAIN_STEP = register(Exercise(
    name="train_step", chapter="09", points=2, hidden_points=1,
    solution=solutions.train_step, make_cases=train_step_cases, mistakes=TRAIN_STEP_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# gpt2_generate (deep-ml's end-to-end function) on the course model
# --------------------------------------------------------------------------------------------------------------
# Prompts whose greedy continuations on the course model have no near-tie between the two most likely tokens over
# their first 12 tokens (tests/test_ch09_training.py checks the margins), so every correct implementation — NumPy,
# torch, Hugging Face — writes the same text.
PROMPTS = (
    "ROMEO.\n", "JULIET.\n", "To be, or not to be", "KING.\nMy lords,", "Now is the winter of our discontent",
    "HAMLET.\n", "What light through yonder window breaks?", "FIRST CITIZEN.\n", "O, ", "The king is dead",
    "Good morrow, ", "My lord, I", "Enter ", "LADY MACBETH.\n", "All the world's a stage",
)


def gpt2_generate_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if hidden:
        picks = [PROMPTS[i] for i in rng.choice(len(PROMPTS), size=3, replace=False)]
        lengths = [int(n) for n in rng.integers(3, 9, size=3)]
    else:
        picks, lengths = ["ROMEO.\n", "To be, or not to be", "KING.\nMy lords,"], [8, 6, 5]
    return [Case(f"{prompt!r}, {n} tokens: the greedy continuation's text, without the prompt", (prompt, n))
            for prompt, n in zip(picks, lengths)]


@functools.lru_cache(maxsize=64)
def _gen_ids(prompt, n, model_dir):
    """The greedy ids (a tuple) the reference generates: the known mistakes below are built on them, computed once."""
    from solutions import encode, generate, load_gpt2_params

    hparams, params = load_gpt2_params(model_dir)
    return tuple(generate(encode(prompt), params, hparams["n_head"], n))


def _ids(prompt, n):
    return list(_gen_ids(prompt, n, str(solutions.course_model_dir())))


def _gg_with_prompt(prompt, n_tokens_to_generate=40):
    return prompt + solutions.decode(_ids(prompt, n_tokens_to_generate))


def _gg_ids(prompt, n_tokens_to_generate=40):
    return _ids(prompt, n_tokens_to_generate)


def _gg_one_less(prompt, n_tokens_to_generate=40):
    return solutions.decode(_ids(prompt, n_tokens_to_generate)[:-1])


def _gg_one_more(prompt, n_tokens_to_generate=40):
    return solutions.decode(_ids(prompt, n_tokens_to_generate + 1))


def _gg_joined(prompt, n_tokens_to_generate=40):
    return " ".join(solutions.decode([t]) for t in _ids(prompt, n_tokens_to_generate))


GPT2_GENERATE_MISTAKES = [
    Mistake("return only the new text: decode the generated ids (chapter 08's generate returns only those), "
            "without the prompt in front.", _gg_with_prompt, id="prompt-included"),
    Mistake("return text, not token ids: decode(new_ids) with chapter 01's decode.", _gg_ids, id="ids-not-text"),
    Mistake("one token short: generate exactly n_tokens_to_generate new tokens.", _gg_one_less, id="one-token-short"),
    Mistake("one token too many: generate exactly n_tokens_to_generate new tokens.", _gg_one_more,
            id="one-token-too-many"),
    Mistake("decode all the new ids at once, decode(new_ids): joining tokens decoded one by one with spaces adds "
            "spaces that are not in the text (GPT-2's tokens carry their own).", _gg_joined, id="joined-with-spaces"),
]

GPT2_GENERATE = register(Exercise(
    name="gpt2_generate", chapter="09", points=1, hidden_points=1,
    solution=solutions.gpt2_generate, make_cases=gpt2_generate_cases, mistakes=GPT2_GENERATE_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# Chapter 09's mutants: wrong batches, unstable or mis-averaged losses, schedules with the wrong shape, train steps
# in the wrong order, and end-to-end generation that returns the wrong text.
# --------------------------------------------------------------------------------------------------------------
MUTANTS = [
    # get_batch --------------------------------------------------------------------------------------------------
    Mutant("get_batch", "y not shifted", "y-not-shifted", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    ix = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    x = np.stack([tokens[i:i + n_ctx] for i in ix]).astype(np.int64)
    return x, x.copy()
'''),
    Mutant("get_batch", "shifted the wrong way", "shifted-the-wrong-way", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    ix = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    y = np.stack([tokens[i:i + n_ctx] for i in ix]).astype(np.int64)
    x = np.stack([tokens[i + 1:i + 1 + n_ctx] for i in ix]).astype(np.int64)
    return x, y
'''),
    Mutant("get_batch", "y is the next window", "y-next-window", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    ix = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    x = np.array([tokens[i:i + n_ctx] for i in ix], dtype=np.int64)
    y = [tokens[i + n_ctx:i + 2 * n_ctx] for i in ix]
    return x, np.array(y, dtype=np.int64)
'''),
    Mutant("get_batch", "windows run past the end", "runs-past-the-end", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    starts = rng.integers(0, len(tokens) - n_ctx + 1, size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts]).astype(np.int64)
    return w[:, :-1], w[:, 1:]
'''),
    Mutant("get_batch", "uint16 kept", "wrong-dtype", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    starts = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts])
    return w[:, :-1], w[:, 1:]
'''),
    Mutant("get_batch", "no length check", "no-length-check", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    starts = rng.integers(0, max(1, len(tokens) - n_ctx), size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts]).astype(np.int64)
    return w[:, :-1], w[:, 1:]
'''),
    Mutant("get_batch", "transposed", "transposed", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    starts = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts], axis=1).astype(np.int64)
    return w[:-1], w[1:]
'''),
    Mutant("get_batch", "np.random's global state", "use-the-rng", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    starts = np.random.randint(0, len(tokens) - n_ctx, size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts]).astype(np.int64)
    return w[:, :-1], w[:, 1:]
'''),
    Mutant("get_batch", "torch.randint (nanoGPT unadapted)", "use-the-rng", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    import torch
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    ix = torch.randint(len(tokens) - n_ctx, (batch_size,))
    x = np.stack([tokens[i:i + n_ctx] for i in ix.tolist()]).astype(np.int64)
    y = np.stack([tokens[i + 1:i + 1 + n_ctx] for i in ix.tolist()]).astype(np.int64)
    return x, y
'''),
    # cross_entropy ----------------------------------------------------------------------------------------------
    Mutant("cross_entropy", "no max subtraction", "no-max-subtraction", '''
def cross_entropy(logits, targets):
    logits = np.asarray(logits, dtype=np.float64)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., None], axis=-1).mean())
'''),
    Mutant("cross_entropy", "naive softmax then log", "naive-softmax", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    probs = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    p = np.take_along_axis(probs, targets[..., None], axis=-1)
    return float(np.mean(-np.log(p)))
'''),
    Mutant("cross_entropy", "log of a stable softmax", "log-of-softmax", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    e = np.exp(x - x.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    flat = probs.reshape(-1, probs.shape[-1])
    return float(-np.log(flat[np.arange(len(flat)), targets.reshape(-1)]).mean())
'''),
    Mutant("cross_entropy", "sum instead of mean", "sum-not-mean", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., None], -1).sum())
'''),
    Mutant("cross_entropy", "bits", "log2", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(-1, keepdims=True)
    logp = (x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))) / np.log(2)
    return float(-np.take_along_axis(logp, targets[..., None], -1).mean())
'''),
    Mutant("cross_entropy", "no minus sign", "no-minus", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return float(np.take_along_axis(logp, targets[..., None], -1).mean())
'''),
    Mutant("cross_entropy", "mean over the whole vocabulary", "mean-over-vocab", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(-1, keepdims=True)
    return float(-(x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))).mean())
'''),
    Mutant("cross_entropy", "softmax over axis 0", "softmax-axis-0", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(0, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(0, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., None], -1).mean())
'''),
    Mutant("cross_entropy", "logp[:, targets]", "wrong-target-axis", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64).reshape(-1, np.shape(logits)[-1])
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return float(-logp[:, targets.reshape(-1)].mean())
'''),
    Mutant("cross_entropy", "targets shifted again", "off-by-one-targets", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)[..., :-1, :]
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., 1:, None], -1).mean())
'''),
    Mutant("cross_entropy", "logits used as log-probabilities", "logits-not-log-probabilities", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    return float(-np.take_along_axis(x, targets[..., None], -1).mean())
'''),
    # lr_at ------------------------------------------------------------------------------------------------------
    Mutant("lr_at", "no warm-up", "no-warmup", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step >= max_steps:
        return min_lr
    return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * step / max_steps))
'''),
    Mutant("lr_at", "warm-up from zero", "warmup-from-zero", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    if step > max_steps:
        return min_lr
    ratio = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)
'''),
    Mutant("lr_at", "nanoGPT's (it + 1) / (warmup + 1)", "warmup-plus-one", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    if step > max_steps:
        return min_lr
    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (max_lr - min_lr)
'''),
    Mutant("lr_at", "linear decay", "linear-decay", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    frac = (step - warmup_steps) / (max_steps - warmup_steps)
    return max_lr + frac * (min_lr - max_lr)
'''),
    Mutant("lr_at", "cosine down to zero", "below-min-lr", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return 0.5 * max_lr * (1 + math.cos(math.pi * progress))
'''),
    Mutant("lr_at", "cosine restarts after max_steps", "restarts-after-max-steps", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (max_lr - min_lr)
'''),
    Mutant("lr_at", "progress counted from step 0", "progress-from-step-0", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    return min_lr + 0.5 * (1 + math.cos(math.pi * step / max_steps)) * (max_lr - min_lr)
'''),
    Mutant("lr_at", "quarter cosine", "quarter-cosine", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) * math.cos(math.pi / 2 * progress)
'''),
    # train_step -------------------------------------------------------------------------------------------------
    Mutant("train_step", "no zero_grad", "no-zero-grad", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    Mutant("train_step", "clip after the step", "no-clipping", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
    loss.backward()
    optimizer.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    return loss.item()
'''),
    Mutant("train_step", "no clipping", "no-clipping", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
    Mutant("train_step", "clip by value", "clip-by-value", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    Mutant("train_step", "step before backward", "step-before-backward", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    optimizer.step()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    return loss.item()
'''),
    Mutant("train_step", "returns the loss tensor", "loss-not-a-float", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss
'''),
    Mutant("train_step", "loss recomputed after the step", "loss-after-the-step", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    with torch.no_grad():
        logits = model(x)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1)).item()
'''),
    Mutant("train_step", "no model.train()", "no-train-mode", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    # gpt2_generate ----------------------------------------------------------------------------------------------
    Mutant("gpt2_generate", "prompt included", "prompt-included", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import decode, encode, generate, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    ids = encode(prompt)
    new = generate(ids, params, hparams["n_head"], n_tokens_to_generate)
    return decode(ids + new)
'''),
    Mutant("gpt2_generate", "ids returned", "ids-not-text", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import encode, generate, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    return generate(encode(prompt), params, hparams["n_head"], n_tokens_to_generate)
'''),
    Mutant("gpt2_generate", "one token short", "one-token-short", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import decode, encode, gpt2, greedy, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    ids = encode(prompt)
    for _ in range(n_tokens_to_generate - 1):
        ids.append(greedy(gpt2(ids, **params, n_head=hparams["n_head"])))
    return decode(ids[len(encode(prompt)):])
'''),
    Mutant("gpt2_generate", "one token too many", "one-token-too-many", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import decode, encode, gpt2, greedy, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    ids = encode(prompt)
    n = len(ids)
    for _ in range(n_tokens_to_generate + 1):
        ids.append(greedy(gpt2(ids, **params, n_head=hparams["n_head"])))
    return decode(ids[n:])
'''),
    Mutant("gpt2_generate", "tokens joined with spaces", "joined-with-spaces", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import decode, encode, generate, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    new = generate(encode(prompt), params, hparams["n_head"], n_tokens_to_generate)
    return " ".join(decode([t]) for t in new)
'''),
]

register_mutants(MUTANTS)
