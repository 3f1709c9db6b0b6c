"""Chapter 08 — decoding: from logits to the next token, the generation loop, and the KV cache.

Sampling follows Hugging Face transformers (5.23): temperature, then top-k, then top-p, then softmax and a draw.
`generate` returns only the new tokens; it stops after emitting <|endoftext|> and keeps that token in its output,
as Hugging Face's `generate` does.
"""

from __future__ import annotations

import math

import numpy as np

from .ch01_tokens_and_embeddings import embed
from .ch02_layer_norm import layer_norm
from .ch03_gelu_ffn import ffn, linear
from .ch05_attention import merge_heads, softmax, split_heads
from .ch06_transformer_block import gpt2

# ----------------------------------------------------------------------------------------------------------------
# Logits -> next token
# ----------------------------------------------------------------------------------------------------------------


def last_row(logits: np.ndarray) -> np.ndarray:
    """The next-token logits: the last position's.  # [n_seq, n_vocab] or [n_vocab] -> [n_vocab]"""
    logits = np.asarray(logits)
    if logits.ndim not in (1, 2):
        raise ValueError(f"logits must be [n_vocab] or [n_seq, n_vocab], got shape {logits.shape}")
    return logits[-1] if logits.ndim == 2 else logits


def greedy(logits):
    """The most likely next token.  # [n_seq, n_vocab] or [n_vocab] -> int

    The next token follows the LAST position: use its row, logits[-1], when
    logits is 2-D. On a tie the first (lowest) id wins, as np.argmax gives it.
    Return a Python int.
    Hint: np.argmax over the vocabulary axis of that one row.
    """
    return int(np.argmax(last_row(logits)))


def apply_temperature(logits, temperature):
    """The logits divided by the temperature.  # [...] -> [...], same dtype

    temperature < 1 sharpens the distribution, > 1 flattens it. A temperature
    <= 0 has no meaning (0 included: greedy() is the T -> 0 limit): raise
    ValueError with a message mentioning temperature.
    Hint: return a new array; don't divide the caller's array in place (no /=).
    """
    if not temperature > 0:  # also rejects NaN
        raise ValueError(f"temperature must be > 0, got {temperature} (for greedy decoding use greedy())")
    return np.asarray(logits) / temperature


def top_k_filter(logits, k):
    """Keep the k largest logits of each row; set every other one to -inf.

    # [..., n_vocab] -> [..., n_vocab] (same dtype)
    A filtered logit may be -inf or any value <= -1e9 (chapter 05's -1e10).
    Like Hugging Face: every logit >= the k-th largest stays (a tie at the k-th
    keeps more than k); k > n_vocab keeps everything; k < 1 raises ValueError
    mentioning top_k.
    Hint: the k-th largest of each row is np.sort(logits, axis=-1)[..., -k, None].
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"top_k must be a positive integer, got {k!r}")
    logits = np.asarray(logits)
    k = min(int(k), logits.shape[-1])
    kth_largest = np.sort(logits, axis=-1)[..., -k, None]  # [..., 1]
    return np.where(logits < kth_largest, -np.inf, logits).astype(logits.dtype)


def top_p_filter(logits, p):
    """Nucleus filter: keep the smallest set of most likely tokens whose
    probabilities add up to p or more; set every other logit to -inf (or any
    value <= -1e9, such as chapter 05's -1e10).

    # [..., n_vocab] -> [..., n_vocab] (same dtype); each row has its own nucleus
    A token stays when the tokens more likely than it add up to less than p: the
    token that crosses p stays, and so does the most likely one, always. p=1 keeps
    every token; p outside [0, 1] raises ValueError mentioning top_p. Which of
    several EQUAL logits at the cut stay is up to you (only how many is checked:
    Hugging Face's torch.sort is unstable there), but count tokens, not values.
    Hint: order = np.argsort(-logits, axis=-1); softmax and np.cumsum the sorted
    rows; put the decisions back in place with np.put_along_axis(mask, order, ...).
    """
    p = float(p)
    if not 0 <= p <= 1:
        raise ValueError(f"top_p must lie in [0, 1], got {p}")
    logits = np.asarray(logits)
    order = np.argsort(logits, axis=-1, kind="stable")  # ascending
    probs = softmax(np.take_along_axis(logits, order, axis=-1))
    # torch.cumsum accumulates float32 in float64 on CPU; doing the same makes the boundary decisions identical.
    cumulative = np.cumsum(probs, axis=-1, dtype=np.float64).astype(probs.dtype)
    remove_sorted = cumulative <= probs.dtype.type(1 - p)
    remove_sorted[..., -1] = False  # keep at least the most likely token
    remove = np.empty_like(remove_sorted)
    np.put_along_axis(remove, order, remove_sorted, axis=-1)  # back to vocabulary order
    return np.where(remove, -np.inf, logits).astype(logits.dtype)


def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    """Draw the next token as Hugging Face does.

    # [n_seq, n_vocab] or [n_vocab] -> int
    On the last position's logits: apply_temperature, then top_k_filter (unless
    top_k is None), then top_p_filter (unless top_p is None), then probs = softmax
    of the result as float64, then ONE draw: int(rng.choice(len(probs), p=probs)),
    exactly that call, so that a seed gives the reference's tokens.
    temperature=0 means greedy (no draw).
    Hint: reuse your greedy, apply_temperature, top_k_filter and top_p_filter.
    """
    logits = last_row(logits)
    if temperature == 0:
        return greedy(logits)
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, p=top_p)
    probs = softmax(logits.astype(np.float64))  # float64 so the probabilities sum to 1 as rng.choice demands
    return int(rng.choice(len(probs), p=probs))


def _next_token(logits, rng, temperature, top_k, top_p) -> int:
    """greedy() when there is no rng, else sample_next().  # [n_seq, n_vocab] -> int"""
    if rng is None:
        return greedy(logits)
    return sample_next(logits, rng, temperature=temperature, top_k=top_k, top_p=top_p)


def _check_room(n_prompt: int, n_new: int, n_ctx: int) -> None:
    """The prompt and the new tokens must all fit in the context window."""
    if n_prompt == 0:
        raise ValueError("the prompt is empty: GPT-2 needs at least one token to condition on")
    if n_new < 0:
        raise ValueError(f"n_new must be >= 0, got {n_new}")
    if n_prompt + n_new > n_ctx:
        raise ValueError(f"prompt of {n_prompt} tokens + {n_new} new tokens = {n_prompt + n_new} does not fit in "
                         f"the context window n_ctx={n_ctx}; shorten the prompt or ask for fewer tokens")


# ----------------------------------------------------------------------------------------------------------------
# The generation loop
# ----------------------------------------------------------------------------------------------------------------


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None,
             top_p=None, eos_id=50256):
    """Up to n_new tokens after the prompt ids, re-running gpt2 for each one.

    # [n_prompt] -> list[int] (at most n_new)
    Each step: logits = gpt2(prompt + new so far, **params, n_head=n_head); the
    next token is greedy(logits) when rng is None, else sample_next(logits, rng,
    temperature, top_k, top_p), one call per token. Stop after n_new tokens, or
    right after emitting a token equal to eos_id (keep it; eos_id=None never
    stops early). Return only the new tokens; leave the caller's ids unchanged.
    len(ids) + n_new may reach n_ctx (the rows of params["wpe"]) exactly; more
    raises ValueError naming n_ctx, checked before running the model.
    Hint: keep the new tokens in a list of their own, new, and call
    gpt2(prompt + new, ...).
    """
    prompt = [int(i) for i in ids]
    _check_room(len(prompt), n_new, n_ctx=params["wpe"].shape[0])
    new = []
    while len(new) < n_new:
        logits = gpt2(prompt + new, **params, n_head=n_head)  # [n_seq, n_vocab]
        next_id = _next_token(logits, rng, temperature, top_k, top_p)
        new.append(next_id)
        if next_id == eos_id:
            break
    return new


# ----------------------------------------------------------------------------------------------------------------
# The KV cache: keys and values of past positions never change, so compute them once
# ----------------------------------------------------------------------------------------------------------------


def cache_length(cache) -> int:
    """How many positions a cache holds (0 for None).  # cache [n_layer] x (k, v [n_head, n_past, d_head]) -> int"""
    return 0 if cache is None else cache[0][0].shape[1]


def embed_at(ids, wte: np.ndarray, wpe: np.ndarray, start: int) -> np.ndarray:
    """Token embedding plus the position embeddings of positions start, start+1, ...  # [n_new] -> [n_new, n_embd]"""
    n_ctx = wpe.shape[0]
    if start + len(ids) > n_ctx:
        raise ValueError(f"{start} cached + {len(ids)} new tokens is longer than the context n_ctx={n_ctx}")
    return embed(ids, wte, wpe[start:])  # embed counts positions from 0, so hand it the table from `start` on


def causal_mask_after(n_past: int, n_new: int, dtype=np.float32) -> np.ndarray:
    """Causal mask for n_new queries that follow n_past cached positions.  # -> [n_new, n_past + n_new]

    Query i sits at position n_past + i and may attend to keys 0 .. n_past + i; with n_past=0 this is causal_mask.
    """
    return np.triu(np.full((n_new, n_past + n_new), -1e10, dtype=dtype), k=n_past + 1)


def mha_cached(x: np.ndarray, c_attn: dict, c_proj: dict, n_head: int, kv):
    """Multi-head attention of the new positions over the cached and new ones.

    # x [n_new, n_embd], kv (k, v) [n_head, n_past, d_head] or None
    #   -> ([n_new, n_embd], (k, v) [n_head, n_past + n_new, d_head])
    """
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)  # [n_new, 3*n_embd] -> 3 x [n_new, n_embd]
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))  # -> 3 x [n_head, n_new, d_head]
    if kv is not None:
        k, v = np.concatenate([kv[0], k], axis=1), np.concatenate([kv[1], v], axis=1)  # prepend the past
    n_new, n_total = x.shape[0], k.shape[1]
    mask = causal_mask_after(n_total - n_new, n_new, dtype=x.dtype.type)
    # attention() of chapter 05, batched over heads: [n_head, n_new, d_head] @ [n_head, d_head, n_total]
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1]) + mask  # -> [n_head, n_new, n_total]
    heads = softmax(scores) @ v  # -> [n_head, n_new, d_head]
    return linear(merge_heads(heads), **c_proj), (k, v)


def gpt2_cached(ids, params, n_head, cache=None):
    """GPT-2's forward pass for new tokens, reusing the past keys and values.

    ([n_new] ids, params, n_head, cache) -> (logits [n_new, n_vocab], new cache)
    cache: None, or a list with one (k, v) tuple per block, each [n_head, n_past,
    d_head]. The new tokens sit at positions n_past, n_past+1, ...; query i may
    attend to keys 0 .. n_past + i. Return a NEW cache list holding n_past + n_new
    positions (leave the one passed in unchanged). More than n_ctx positions in
    all raise ValueError naming n_ctx. With cache=None this is gpt2(ids, **params,
    n_head=n_head) that also returns the cache.
    Hint: in each block, k = np.concatenate([k_past, k_new], axis=1) (and v), then
    attend with a mask of shape [n_new, n_past + n_new].
    """
    wte, wpe, blocks, ln_f = params["wte"], params["wpe"], params["blocks"], params["ln_f"]
    x = embed_at(ids, wte, wpe, start=cache_length(cache))  # -> [n_new, n_embd]
    new_cache = []
    for i, block in enumerate(blocks):
        attn_out, kv = mha_cached(layer_norm(x, **block["ln_1"]), **block["attn"], n_head=n_head,
                                  kv=None if cache is None else cache[i])
        x = x + attn_out
        x = x + ffn(layer_norm(x, **block["ln_2"]), **block["mlp"])
        new_cache.append(kv)
    return layer_norm(x, **ln_f) @ wte.T, new_cache  # -> [n_new, n_vocab]


def generate_cached(ids, params, n_head, n_new, *, rng=None, temperature=1.0,
                    top_k=None, top_p=None, eos_id=50256):
    """generate with a KV cache: the prompt runs once, then one token per step.

    # [n_prompt] -> list[int] (at most n_new)
    The same arguments, rules and output as generate: the very same token ids,
    and the same ValueError when len(ids) + n_new exceeds n_ctx.
    Hint: logits, cache = gpt2_cached(prompt, params, n_head) once, then for
    every new token logits, cache = gpt2_cached([token], params, n_head, cache).
    """
    prompt = [int(i) for i in ids]
    _check_room(len(prompt), n_new, n_ctx=params["wpe"].shape[0])
    new = []
    if n_new == 0:
        return new
    logits, cache = gpt2_cached(prompt, params, n_head)  # the whole prompt at once
    while True:
        next_id = _next_token(logits, rng, temperature, top_k, top_p)
        new.append(next_id)
        if next_id == eos_id or len(new) == n_new:
            return new
        logits, cache = gpt2_cached([next_id], params, n_head, cache)  # only the new token
