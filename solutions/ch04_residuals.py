"""Chapter 04 — residual connections: why shortcuts keep gradients alive, and GPT-2's pre-norm sub-layer."""

from __future__ import annotations

import numpy as np
from torch import nn

from .ch02_layer_norm import layer_norm


class DeepMLP(nn.Module):
    """A stack of Linear + GELU layers, optionally with shortcuts.

    layer_sizes = [d_0, d_1, ..., d_L]: layer i maps d_i -> d_{i+1}.
    forward(x): x [batch, d_0] -> [batch, d_L].
    Name the parts exactly like this, so the check can load its weights:
        self.layers = nn.ModuleList of L layers, where
        self.layers[i] = nn.Sequential(nn.Linear(d_i, d_{i+1}), nn.GELU())
    With use_shortcut=True each layer computes x + layer(x); when a layer
    changes the width, raise a ValueError that names both shapes.
    Hint: in forward, compare layer(x).shape with x.shape before adding.
    """

    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Linear(d_in, d_out), nn.GELU()) for d_in, d_out in zip(layer_sizes, layer_sizes[1:])
        )

    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:
                if out.shape != x.shape:
                    raise ValueError(f"cannot add a shortcut from shape {tuple(x.shape)} to {tuple(out.shape)}")
                x = x + out
            else:
                x = out
        return x


def layer_gradients(model, x, target):
    """Mean |gradient| of each layer's weight after one backward pass of the
    mean squared error between model(x) and target.

    model: a DeepMLP; x [batch, d_0] and target [batch, d_L]: torch tensors.
    Returns a list of floats, one per layer, first layer first (no biases).
    Hint: .grad accumulates over backward passes: clear it with
    model.zero_grad() before computing the loss.
    """
    model.zero_grad()
    loss = nn.functional.mse_loss(model(x), target)
    loss.backward()
    return [
        param.grad.abs().mean().item()
        for name, param in model.named_parameters()
        if name.endswith("weight")
    ]


def residual(x, fn):
    """The shortcut around a sub-layer: x + fn(x).

    x: [..., n_seq, n_embd] (any leading shape); fn: a function that must
    return x's shape; returns x's shape and dtype. Call fn once (it may be
    random, like dropout). When fn's output has another shape — even with
    as many entries — raise a ValueError that names both shapes.
    Hint: NumPy would broadcast a [n_seq, 1] or [1, n_embd] output against
    x without complaint, so compare the shapes yourself.
    """
    out = fn(x)
    if np.shape(out) != np.shape(x):
        raise ValueError(f"residual: fn changed the shape from {np.shape(x)} to {np.shape(out)}; "
                         "x + fn(x) needs equal shapes")
    return x + out


def pre_norm(x, ln, fn):
    """GPT-2's pre-norm sub-layer: x + fn(layer_norm(x)).

    x: [..., n_seq, n_embd] (any leading shape, e.g. a batch
    [batch, n_seq, n_embd]); ln = {"g": [n_embd], "b": [n_embd]};
    fn: a function that must keep the shape; returns x's shape and dtype.
    Call fn once (it may be random, like dropout). When fn's output has
    another shape, raise a ValueError that names both shapes (as residual).
    Hint: call your residual with a small function (a lambda will do) that
    normalises its input and then applies fn.
    """
    return residual(x, lambda h: fn(layer_norm(h, **ln)))
