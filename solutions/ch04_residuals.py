"""Chapter 04 — residual connections: why shortcuts keep gradients alive, and GPT-2's pre-norm sub-layer."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .ch02_layer_norm import layer_norm


class DeepMLP(nn.Module):
    """A stack of Linear+GELU layers of equal width, optionally with a shortcut around each.

    layer_sizes = [d_0, d_1, ..., d_L]; layer i maps d_i -> d_{i+1}.  # [batch, d_0] -> [batch, d_L]
    """

    def __init__(self, layer_sizes: list[int], use_shortcut: bool):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Linear(d_in, d_out), nn.GELU()) for d_in, d_out in zip(layer_sizes, layer_sizes[1:])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:
                if out.shape != x.shape:
                    raise ValueError(f"cannot add a shortcut from shape {tuple(x.shape)} to {tuple(out.shape)}")
                x = x + out
            else:
                x = out
        return x


def layer_gradients(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> list[float]:
    """Mean |grad| of each layer's weight after one backward pass of the MSE loss.  # -> [n_layers]"""
    model.zero_grad()
    loss = nn.functional.mse_loss(model(x), target)
    loss.backward()
    return [
        param.grad.abs().mean().item()
        for name, param in model.named_parameters()
        if name.endswith("weight")
    ]


def residual(x: np.ndarray, fn) -> np.ndarray:
    """The shortcut: x + fn(x), fn called once; ValueError naming both shapes when fn changes the shape.
    # [..., n_seq, n_embd] -> [..., n_seq, n_embd]"""
    out = fn(x)
    if np.shape(out) != np.shape(x):
        raise ValueError(f"residual: fn changed the shape from {np.shape(x)} to {np.shape(out)}; "
                         "x + fn(x) needs equal shapes")
    return x + out


def pre_norm(x: np.ndarray, ln: dict, fn) -> np.ndarray:
    """GPT-2's pre-norm sub-layer: x + fn(layer_norm(x)); ValueError (from residual) when fn changes the shape.
    # [..., n_seq, n_embd] -> [..., n_seq, n_embd]"""
    return residual(x, lambda h: fn(layer_norm(h, **ln)))
