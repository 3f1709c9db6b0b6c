"""Correct gelu, linear and ffn implementations of different shapes, and the measured tolerance margins."""

from . import Alternative

_PICO_GELU = '''
def gelu(x):
    # picoGPT's, with math.sqrt instead of np.sqrt (a float64 NumPy scalar would turn float32 inputs into float64)
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
'''

_PICO_LINEAR = '''
def linear(x, w, b):  # [m, in], [in, out], [out] -> [m, out]
    return x @ w + b
'''

ALTERNATIVES = [
    # ---- gelu
    Alternative("gelu", "LLMs-from-scratch's GELU module (√(2/π) computed in float32)", "LLMs-from-scratch", '''
import torch

def gelu(x):
    x = torch.from_numpy(x)
    return (0.5 * x * (1 + torch.tanh(
        torch.sqrt(torch.tensor(2.0 / torch.pi)) *
        (x + 0.044715 * torch.pow(x, 3))
    ))).numpy()
'''),
    Alternative("gelu", "the 7-digit constant 0.7978846", "independent", '''
def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978846 * (x + 0.044715 * x * x * x)))
'''),
    Alternative("gelu", "x·sigmoid(2·√(2/π)·(x + 0.044715·x³)), the tanh form without tanh", "independent", '''
def gelu(x):
    z = 2 * math.sqrt(2 / math.pi) * (x + 0.044715 * np.power(x, 3))
    with np.errstate(over="ignore"):
        return x / (1 + np.exp(-z))
'''),
    Alternative("gelu", "torch F.gelu(approximate='tanh'), back to NumPy", "PyTorch", '''
import torch
import torch.nn.functional as F

def gelu(x):
    return F.gelu(torch.as_tensor(x), approximate="tanh").numpy()
'''),
    Alternative("gelu", "float64 computation, cast back to x's dtype", "independent", '''
def gelu(x):
    x64 = np.asarray(x, dtype=np.float64)
    c = np.sqrt(2.0 / np.pi)
    y = 0.5 * x64 * (1.0 + np.tanh(c * (x64 + 0.044715 * x64 ** 3)))
    return y.astype(x.dtype)
'''),
    # ---- linear
    Alternative("linear", "picoGPT's", "picoGPT", _PICO_LINEAR),
    Alternative("linear", "einsum over the last axis", "independent", '''
def linear(x, w, b):
    return np.einsum("...i,io->...o", x, w) + b
'''),
    Alternative("linear", "np.tensordot", "independent", '''
def linear(x, w, b):
    return np.tensordot(x, w, axes=([-1], [0])) + b
'''),
    Alternative("linear", "np.dot", "independent", '''
def linear(x, w, b):
    return np.dot(x, w) + b
'''),
    Alternative("linear", "torch F.linear with the weight transposed to [out, in]", "PyTorch", '''
import torch

def linear(x, w, b):
    return torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w).T, torch.from_numpy(b)).numpy()
'''),
    # ---- ffn
    Alternative("ffn", "picoGPT's", "picoGPT", _PICO_GELU + _PICO_LINEAR + '''
def ffn(x, c_fc, c_proj):  # [n_seq, n_embd] -> [n_seq, n_embd]
    # project up
    a = gelu(linear(x, **c_fc))  # [n_seq, n_embd] -> [n_seq, 4*n_embd]

    # project back down
    x = linear(a, **c_proj)  # [n_seq, 4*n_embd] -> [n_seq, n_embd]

    return x
'''),
    Alternative("ffn", "einsum, the 7-digit constant", "independent", '''
def ffn(x, c_fc, c_proj):
    h = np.einsum("...e,eh->...h", x, c_fc["w"]) + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(0.7978846 * (h + 0.044715 * h**3)))
    return np.einsum("...h,he->...e", h, c_proj["w"]) + c_proj["b"]
'''),
    Alternative("ffn", "PyTorch: LLMs-from-scratch's FeedForward with GPT-2's weights", "LLMs-from-scratch", '''
import torch
from torch import nn

class GELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1 + torch.tanh(
            torch.sqrt(torch.tensor(2.0 / torch.pi)) *
            (x + 0.044715 * torch.pow(x, 3))
        ))

def ffn(x, c_fc, c_proj):
    w1, b1, w2, b2 = (torch.from_numpy(a) for a in (c_fc["w"], c_fc["b"], c_proj["w"], c_proj["b"]))
    layers = nn.Sequential(nn.Linear(*w1.shape), GELU(), nn.Linear(*w2.shape)).to(w1.dtype)
    with torch.no_grad():
        layers[0].weight.copy_(w1.T)
        layers[0].bias.copy_(b1)
        layers[2].weight.copy_(w2.T)
        layers[2].bias.copy_(b2)
        return layers(torch.from_numpy(x)).numpy()
'''),
    Alternative("ffn", "float64 hidden layer, output cast back", "independent", '''
def ffn(x, c_fc, c_proj):
    h = x.astype(np.float64) @ c_fc["w"].astype(np.float64) + c_fc["b"]
    h = h * 0.5 * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * h * (1.0 + 0.044715 * h * h)))
    return (h @ c_proj["w"].astype(np.float64) + c_proj["b"]).astype(x.dtype)
'''),
]

# (worst alternative, nearest known mistake) in units of the tolerance; see the tolerances in
# autograder/exercises/ch03_gelu_ffn.py. gelu: the 7-digit constant and LLMs-from-scratch's float32 √(2/π) vs the cubic
# coefficient 0.0447 (float64 cases); ffn: the 7-digit constant vs the same coefficient written inside ffn.
MEASURED = {
    "gelu": (0.059, 42),
    "linear": (0.033, 2.5e9),
    "ffn": (0.057, 17),
}
