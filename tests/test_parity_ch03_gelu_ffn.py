"""Chapter 03 against an independent oracle: the reference `gelu` is torch's F.gelu(approximate="tanh") (GPT-2's form)
in float32 over [-10, 10] and at +-1e4, and measurably not the erf form."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

import solutions as S


def test_gelu_matches_torch_tanh_form():
    x = np.concatenate([np.linspace(-10, 10, 2001), [-1e4, 1e4, 0.0]]).astype(np.float32)
    ours = S.gelu(x)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, F.gelu(torch.tensor(x), approximate="tanh").numpy(), atol=1e-6, rtol=1e-6)
    # the erf form differs by up to 4.7e-4: our tolerance is far below that
    assert np.max(np.abs(ours - F.gelu(torch.tensor(x)).numpy())) > 1e-4
