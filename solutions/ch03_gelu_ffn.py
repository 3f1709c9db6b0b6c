"""Chapter 03 — the GELU feed-forward network."""

import math

import numpy as np


def gelu(x):
    """GPT-2's GELU, elementwise:
    0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))).

    x: any shape; returns the same shape and dtype (float32 in, float32 out).
    Hint: write √(2/π) with math.sqrt: a plain Python float keeps float32
    arrays float32 (np.sqrt would give a float64 scalar).
    """
    # math.sqrt, not np.sqrt: a NumPy float64 scalar would promote float32 inputs to float64.
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def linear(x, w, b):
    """A linear layer in GPT-2's layout: x's last axis mapped by w, plus b.

    x: [..., n_in] (any leading shape); w: [n_in, n_out] (stored [in, out],
    GPT-2's Conv1D layout); b: [n_out]; returns [..., n_out], in x's dtype
    (float32 in, float32 out).
    Hint: write the shapes of x and w side by side: the axis that must match
    is already where `@` wants it.
    """
    return x @ w + b


def ffn(x, c_fc, c_proj):
    """GPT-2's MLP: expand with c_fc, apply GELU, contract with c_proj.

    x: [..., n_embd], any leading shape: [n_seq, n_embd], or a batch
       [batch, n_seq, n_embd]
    c_fc = {"w": [n_embd, 4*n_embd], "b": [4*n_embd]}
    c_proj = {"w": [4*n_embd, n_embd], "b": [n_embd]}
    returns x's shape and dtype (float32 in, float32 out).
    Hint: reuse your linear and gelu; linear(x, **c_fc) passes the dict's
    "w" and "b" as the arguments w and b.
    """
    a = gelu(linear(x, **c_fc))
    return linear(a, **c_proj)
