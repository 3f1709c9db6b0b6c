"""Chapter 05 — attention: softmax, the causal mask, scaled dot-product and multi-head attention."""

import math

import numpy as np

from .ch03_gelu_ffn import linear


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along `axis`.  # [...] -> [...] (each slice along axis sums to 1)"""
    exp_x = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exp_x / np.sum(exp_x, axis=axis, keepdims=True)


def causal_mask(n_seq: int, dtype=np.float32) -> np.ndarray:
    """Additive mask: 0 where a position may attend (itself and the past), -1e10 on the future.  # -> [n_seq, n_seq]

    Any value <= -1e9 (or -inf) hides a position just as well; this one follows picoGPT.
    """
    return (1 - np.tri(n_seq, dtype=dtype)) * dtype(-1e10)


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scaled dot-product attention.  # q [n_q, d_k], k [n_k, d_k], v [n_k, d_v], mask [n_q, n_k] -> [n_q, d_v]

    The mask is added to the scores: 0 where a query may look, -1e10 or -inf (any value <= -1e9) where it may not.
    """
    scores = q @ k.T / math.sqrt(q.shape[-1]) + mask
    return softmax(scores) @ v


def split_heads(x: np.ndarray, n_head: int) -> np.ndarray:
    """# [n_seq, n_embd] -> [n_head, n_seq, n_embd/n_head]"""
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd // n_head).transpose(1, 0, 2)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """# [n_head, n_seq, d_head] -> [n_seq, n_head*d_head]"""
    n_head, n_seq, d_head = x.shape
    return x.transpose(1, 0, 2).reshape(n_seq, n_head * d_head)


def mha(x: np.ndarray, c_attn: dict, c_proj: dict, n_head: int) -> np.ndarray:
    """Causal multi-head self-attention.  # [n_seq, n_embd] -> [n_seq, n_embd]"""
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)  # [n_seq, 3*n_embd] -> 3 x [n_seq, n_embd]
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))  # -> 3 x [n_head, n_seq, d_head]
    mask = causal_mask(x.shape[0], dtype=x.dtype.type)
    heads = np.stack([attention(qh, kh, vh, mask) for qh, kh, vh in zip(q, k, v)])
    return linear(merge_heads(heads), **c_proj)  # [n_head, n_seq, d_head] -> [n_seq, n_embd]
