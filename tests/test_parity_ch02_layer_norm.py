"""Chapter 02 against an independent oracle: the reference `layer_norm` is torch's F.layer_norm (eps=1e-5), in float32,
on shifted, scaled rows and a constant row."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

import solutions as S


def test_layer_norm_matches_torch():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(3, 5, 64)) * 3 + 10).astype(np.float32)
    x[0, 0] = 7.0  # a constant row
    g, b = rng.normal(size=64).astype(np.float32), rng.normal(size=64).astype(np.float32)
    ours = S.layer_norm(x, g, b)
    assert ours.dtype == np.float32
    expected = F.layer_norm(torch.tensor(x), (64,), torch.tensor(g), torch.tensor(b), eps=1e-5).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5, rtol=0)
