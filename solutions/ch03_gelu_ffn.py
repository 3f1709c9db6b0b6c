"""Chapter 03 — the GELU feed-forward network."""

import math

import numpy as np


def gelu(x: np.ndarray) -> np.ndarray:
    """GPT-2's tanh approximation of GELU, elementwise.  # [...] -> [...]"""
    # math.sqrt, not np.sqrt: a NumPy float64 scalar would promote float32 inputs to float64.
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Affine map with GPT-2's Conv1D layout, w stored [in, out].  # [..., n_in] -> [..., n_out]"""
    return x @ w + b


def ffn(x: np.ndarray, c_fc: dict, c_proj: dict) -> np.ndarray:
    """Expand, GELU, contract, over the last axis.  # [..., n_embd] -> [..., 4*n_embd] -> [..., n_embd]"""
    a = gelu(linear(x, **c_fc))
    return linear(a, **c_proj)
