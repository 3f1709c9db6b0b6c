from . import Mutant

# A DeepMLP mutant comes first: the notebook tests put the chapter's first mutant into an otherwise solved notebook
# and expect only its exercise to lose points (layer_gradients is checked on the reference DeepMLP, so it still
# passes; pre_norm may call the learner's residual, so a residual mutant would also fail pre_norm).

_INIT = '''
import torch
from torch import nn

class DeepMLP(nn.Module):
    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList([
            nn.Sequential(nn.Linear(layer_sizes[i], layer_sizes[i + 1]), nn.GELU())
            for i in range(len(layer_sizes) - 1)
        ])
'''

_CHECK = '''
                if out.shape != x.shape:
                    raise ValueError(f"cannot add {tuple(out.shape)} to {tuple(x.shape)}")
'''


_RIGHT = '''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:''' + _CHECK + '''
                out = x + out
            x = out
        return x
'''


def _mlp(forward: str, init: str = _INIT) -> str:
    return init + forward


MUTANTS = [
    Mutant("DeepMLP", "shortcut replaces instead of adding", "shortcut-replaces", _mlp('''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:''' + _CHECK + '''
            x = out
        return x
''')),
    Mutant("DeepMLP", "shortcut even when use_shortcut=False", "shortcut-always",
           _mlp('''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if out.shape != x.shape:
                raise ValueError(f"cannot add {tuple(out.shape)} to {tuple(x.shape)}")
            x = x + out
        return x
''')),
    Mutant("DeepMLP", "shortcut skipped silently when shapes differ", "shortcut-skipped-silently", _mlp('''
    def forward(self, x):
        for layer in self.layers:
            layer_output = layer(x)
            if self.use_shortcut and x.shape == layer_output.shape:
                x = x + layer_output
            else:
                x = layer_output
        return x
''')),
    Mutant("DeepMLP", "no shape check: broadcasts or crashes", "shortcut-no-shape-check",
           _mlp('''
    def forward(self, x):
        for layer in self.layers:
            x = x + layer(x) if self.use_shortcut else layer(x)
        return x
''')),
    Mutant("DeepMLP", "ValueError without the shapes", "shape-error-message", _mlp('''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:
                if out.shape != x.shape:
                    raise ValueError("the shapes differ")
                out = x + out
            x = out
        return x
''')),
    Mutant("DeepMLP", "shortcut added before the activation", "shortcut-before-activation", _mlp('''
    def forward(self, x):
        for linear, act in self.layers:
            out = linear(x)
            if self.use_shortcut:''' + _CHECK + '''
                out = x + out
            x = act(out)
        return x
''')),
    Mutant("DeepMLP", "one shortcut around the whole stack", "whole_stack_shortcut", _mlp('''
    def forward(self, x):
        out = x
        for layer in self.layers:
            out = layer(out)
        if self.use_shortcut:
            if out.shape != x.shape:
                raise ValueError(f"shape {tuple(x.shape)} != {tuple(out.shape)}")
            out = out + x
        return out
''')),
    Mutant("DeepMLP", "ReLU instead of GELU", "relu-activation",
           _mlp(_RIGHT, _INIT.replace("nn.GELU()", "nn.ReLU()"))),
    Mutant("DeepMLP", "tanh GELU", "tanh-gelu",
           _mlp(_RIGHT, _INIT.replace("nn.GELU()", 'nn.GELU(approximate="tanh")'))),
    Mutant("DeepMLP", "no activation", "no-activation", _mlp(_RIGHT, _INIT.replace(
        "nn.Linear(layer_sizes[i], layer_sizes[i + 1]), nn.GELU()", "nn.Linear(layer_sizes[i], layer_sizes[i + 1])"))),
    Mutant("DeepMLP", "different parameter names", "parameter-names", '''
import torch
from torch import nn
import torch.nn.functional as F

class DeepMLP(nn.Module):
    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(layer_sizes, layer_sizes[1:]))

    def forward(self, x):
        for linear in self.layers:
            out = F.gelu(linear(x))
            if self.use_shortcut:
                if out.shape != x.shape:
                    raise ValueError(f"{x.shape} vs {out.shape}")
                out = out + x
            x = out
        return x
'''),
    Mutant("DeepMLP", "one width for every layer", "layer-widths", '''
import torch
from torch import nn

class DeepMLP(nn.Module):
    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        d = layer_sizes[0]
        self.layers = nn.ModuleList([nn.Sequential(nn.Linear(d, d), nn.GELU()) for _ in layer_sizes[1:]])

    def forward(self, x):
        for layer in self.layers:
            x = x + layer(x) if self.use_shortcut else layer(x)
        return x
'''),
    Mutant("DeepMLP", "adds in place", "mutated-input", _mlp('''
    def forward(self, x):
        for layer in self.layers:
            out = layer(x)
            if self.use_shortcut:''' + _CHECK + '''
                x += out
            else:
                x = out
        return x
''')),
    # ---- layer_gradients
    Mutant("layer_gradients", "gradients not zeroed between calls", "grads-not-zeroed", '''
import torch

def layer_gradients(model, x, target):
    loss = torch.nn.functional.mse_loss(model(x), target)
    loss.backward()
    return [layer[0].weight.grad.abs().mean().item() for layer in model.layers]
'''),
    Mutant("layer_gradients", "gradients read before backward", "grads-read-before-backward", '''
import torch

def layer_gradients(model, x, target):
    grads = [p.grad.abs().mean().item() for n, p in model.named_parameters() if "weight" in n]
    loss = torch.nn.functional.mse_loss(model(x), target)
    loss.backward()
    return grads
'''),
    Mutant("layer_gradients", "biases included", "biases-included", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [p.grad.abs().mean().item() for p in model.parameters()]
'''),
    Mutant("layer_gradients", "sum of |grad|", "sum-abs", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [float(torch.sum(torch.abs(layer[0].weight.grad))) for layer in model.layers]
'''),
    Mutant("layer_gradients", "signed mean", "plain-mean", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [layer[0].weight.grad.mean().item() for layer in model.layers]
'''),
    Mutant("layer_gradients", "abs of the mean", "abs-of-mean", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [abs(layer[0].weight.grad.mean().item()) for layer in model.layers]
'''),
    Mutant("layer_gradients", "summed squared error", "summed-loss", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    loss = ((model(x) - target) ** 2).sum()
    loss.backward()
    return [layer[0].weight.grad.abs().mean().item() for layer in model.layers]
'''),
    Mutant("layer_gradients", "last layer first", "last-layer-first", '''
import torch

def layer_gradients(model, x, target):
    model.zero_grad()
    torch.nn.functional.mse_loss(model(x), target).backward()
    return [layer[0].weight.grad.abs().mean().item() for layer in reversed(model.layers)]
'''),
    # ---- residual
    Mutant("residual", "replaces instead of adding", "residual_replace", '''
def residual(x, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"fn changed the shape: {x.shape} -> {out.shape}")
    return out
'''),
    Mutant("residual", "no shape check", "residual_no_check", '''
def residual(x, fn):
    return x + fn(x)
'''),
    Mutant("residual", "checks only the last axis", "residual_last_axis_only", '''
def residual(x, fn):
    out = fn(x)
    if out.shape[-1] != x.shape[-1]:
        raise ValueError(f"width {out.shape[-1]} != {x.shape[-1]}")
    return x + out
'''),
    Mutant("residual", "ValueError without the shapes", "shape-error-message", '''
def residual(x, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError("fn must keep the shape")
    return x + out
'''),
    Mutant("residual", "assert instead of ValueError", "shape-error-message", '''
def residual(x, fn):
    out = fn(x)
    assert out.shape == x.shape, f"{x.shape} != {out.shape}"
    return x + out
'''),
    Mutant("residual", "adds in place", "mutated-input", '''
def residual(x, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"fn changed the shape: {x.shape} -> {out.shape}")
    x += out
    return x
'''),
    Mutant("residual", "compares sizes and reshapes fn's output", "residual_reshape", '''
def residual(x, fn):
    out = fn(x)
    if out.size != x.size:
        raise ValueError(f"fn returned {out.shape}, expected {x.shape}")
    return x + out.reshape(x.shape)
'''),
    Mutant("residual", "np.reshape after comparing the number of entries", "residual_reshape", '''
def residual(x, fn):
    out = np.asarray(fn(x))
    if np.prod(out.shape) != np.prod(x.shape):
        raise ValueError(f"shape mismatch: {x.shape} vs {out.shape}")
    return x + np.reshape(out, np.shape(x))
'''),
    Mutant("residual", "calls fn twice (check, then sum)", "residual_calls_twice", '''
def residual(x, fn):
    if fn(x).shape != x.shape:
        raise ValueError(f"fn changed the shape: {x.shape} -> {fn(x).shape}")
    return x + fn(x)
'''),
    Mutant("residual", "calls fn twice (sum first, then a check)", "call-fn-once", '''
def residual(x, fn):
    out = x + fn(x)
    if fn(x).shape != x.shape:
        raise ValueError(f"fn changed the shape: {x.shape} -> {fn(x).shape}")
    return out
'''),
    # ---- pre_norm
    Mutant("pre_norm", "post-norm", "pre_norm_post_norm", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return layer_norm(x + out, ln["g"], ln["b"])
'''),
    Mutant("pre_norm", "no shortcut", "pre_norm_no_shortcut", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    return fn(layer_norm(x, **ln))
'''),
    Mutant("pre_norm", "shortcut from the normalised x", "pre_norm_normalised_shortcut", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    x = layer_norm(x, **ln)
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return x + out
'''),
    Mutant("pre_norm", "norm after fn", "pre_norm_norm_after", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return x + layer_norm(out, **ln)
'''),
    Mutant("pre_norm", "no LayerNorm", "pre_norm_no_norm", '''
def pre_norm(x, ln, fn):
    out = fn(x)
    if out.shape != x.shape:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return x + out
'''),
    Mutant("pre_norm", "no shape check", "pre_norm_no_check", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    return x + fn(layer_norm(x, **ln))
'''),
    Mutant("pre_norm", "compares sizes and reshapes fn's output", "pre_norm_reshape", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    out = fn(layer_norm(x, **ln))
    if out.size != x.size:
        raise ValueError(f"{x.shape} vs {out.shape}")
    return x + out.reshape(x.shape)
'''),
    Mutant("pre_norm", "calls fn twice", "pre_norm_calls_twice", '''
from solutions import layer_norm

def pre_norm(x, ln, fn):
    h = layer_norm(x, **ln)
    if fn(h).shape != x.shape:
        raise ValueError(f"{x.shape} vs {fn(h).shape}")
    return x + fn(h)
'''),
    Mutant("pre_norm", "the learner's own residual, which reshapes, inside pre_norm", "fix-first:residual", '''
from solutions import layer_norm

def residual(x, fn):
    out = fn(x)
    if out.size != x.size:
        raise ValueError(f"fn returned {out.shape}, expected {x.shape}")
    return x + out.reshape(x.shape)

def pre_norm(x, ln, fn):
    return residual(x, lambda h: fn(layer_norm(h, **ln)))
'''),
]
