"""Chapter 05 — attention: softmax, the causal mask, scaled dot-product and multi-head attention."""

import math

import numpy as np

from .ch03_gelu_ffn import linear


def softmax(x, axis=-1):
    """Softmax along `axis`, computed so that huge inputs don't overflow.

    x: any shape, e.g. scores [n_q, n_k]; returns the same shape and dtype, every slice along `axis` summing to 1.
    Hint: subtract the maximum along `axis` (keepdims=True) before np.exp; the result is the same, and exp never
    sees a positive number.
    """
    exp_x = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exp_x / np.sum(exp_x, axis=axis, keepdims=True)


def causal_mask(n_seq, dtype=np.float32):
    """The additive causal mask: 0 where query i may look at key j (j <= i), -1e10 where j > i (the future).

    n_seq: int; returns [n_seq, n_seq] with the given dtype (a NumPy float type such as np.float32).
    The future may also be -np.inf: any value <= -1e9 counts as hidden.
    Hint: np.triu(a, k=1) keeps the entries of `a` strictly above the diagonal and zeroes the rest.
    """
    return (1 - np.tri(n_seq, dtype=dtype)) * dtype(-1e10)


def attention(q, k, v, mask):
    """Scaled dot-product attention: weights = softmax(scores + mask) with scores = q·k / sqrt(d_k); returns
    the weights times the values.

    q: [n_q, d_k], k: [n_k, d_k], v: [n_k, d_v], mask: [n_q, n_k], added to the scores (0 where a query may
    look, -1e10 or -inf where it may not); returns [n_q, d_v], same dtype as q. Use your softmax from above.
    Hint: scale with math.sqrt(d_k), a Python float: np.sqrt returns a float64 NumPy scalar, which would turn
    float32 scores into float64.
    """
    scores = q @ k.T / math.sqrt(q.shape[-1]) + mask
    return softmax(scores) @ v


def split_heads(x, n_head):
    """Cut the features into n_head heads of d_head = n_embd // n_head: head h gets features h*d_head to
    (h+1)*d_head - 1 of every position.

    x: [n_seq, n_embd]; returns [n_head, n_seq, d_head], same dtype as x.
    Hint: reshape to [n_seq, n_head, d_head] first, then move the head axis to the front.
    """
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd // n_head).transpose(1, 0, 2)


def merge_heads(x):
    """Put the heads side by side again: the inverse of split_heads.

    x: [n_head, n_seq, d_head]; returns [n_seq, n_head * d_head], same dtype as x.
    Hint: undo split_heads's two steps, in reverse order.
    """
    n_head, n_seq, d_head = x.shape
    return x.transpose(1, 0, 2).reshape(n_seq, n_head * d_head)


def mha(x, c_attn, c_proj, n_head):
    """Causal multi-head self-attention: project x with c_attn into q, k, v (in that order), split each into
    n_head heads, run your attention in every head with the causal mask, merge the heads, project with c_proj.

    x: [n_seq, n_embd]; c_attn = {"w": [n_embd, 3*n_embd], "b": [3*n_embd]};
    c_proj = {"w": [n_embd, n_embd], "b": [n_embd]}; returns [n_seq, n_embd], same dtype as x.
    Hint: build the mask with causal_mask(n_seq, dtype=x.dtype.type) so that float32 stays float32.
    """
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)  # [n_seq, 3*n_embd] -> 3 x [n_seq, n_embd]
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))  # -> 3 x [n_head, n_seq, d_head]
    mask = causal_mask(x.shape[0], dtype=x.dtype.type)
    heads = np.stack([attention(qh, kh, vh, mask) for qh, kh, vh in zip(q, k, v)])
    return linear(merge_heads(heads), **c_proj)  # [n_head, n_seq, d_head] -> [n_seq, n_embd]
