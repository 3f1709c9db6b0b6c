"""Chapter 02 — layer normalisation."""

import numpy as np


def layer_norm(x, g, b, eps=1e-5):
    """Normalise each vector along the last axis to mean 0 and variance 1, then scale by g and shift by b.

    x: [..., n_embd] (any number of leading axes); g, b: [n_embd]; returns [..., n_embd], same dtype as x.
    eps: added to the variance inside the square root (use the argument, default 1e-5).
    Hint: compute the mean and the variance over axis=-1 with keepdims=True so they broadcast against x.
    """
    mean = np.mean(x, axis=-1, keepdims=True)
    variance = np.var(x, axis=-1, keepdims=True)
    return g * (x - mean) / np.sqrt(variance + eps) + b
