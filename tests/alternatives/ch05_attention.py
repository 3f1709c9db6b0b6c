"""Correct softmax, causal_mask, attention, split_heads, merge_heads and mha of different shapes.

Peers' code is adapted with the smallest faithful change, named in the alternative's comment. Two changes recur:
picoGPT's `np.sqrt(q.shape[-1])` becomes `math.sqrt` (under NumPy 2 the float64 scalar turns float32 scores into
float64, which the docstrings forbid), and helpers an alternative defines for itself get a leading underscore, so
that in a whole notebook they don't replace the learner's own `softmax` or `attention`.
"""

from . import Alternative

SOFTMAX = [
    Alternative("softmax", "log-sum-exp", "independent", '''
def softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    log_z = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return np.exp(x - log_z)
'''),
    Alternative("softmax", "torch.softmax", "PyTorch", '''
import torch

def softmax(x, axis=-1):
    return torch.softmax(torch.from_numpy(np.ascontiguousarray(x)), dim=axis).numpy()
'''),
    Alternative("softmax", "picoGPT's", "picoGPT", '''
def softmax(x, axis=-1):  # picoGPT's softmax(x), with its hard-coded axis=-1 made the argument
    exp_x = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exp_x / np.sum(exp_x, axis=axis, keepdims=True)
'''),
    Alternative("softmax", "moves the axis last and loops over rows", "independent", '''
def softmax(x, axis=-1):
    rows = np.moveaxis(x, axis, -1)
    out = np.empty_like(rows)
    for index in np.ndindex(rows.shape[:-1]):
        row = rows[index]
        e = np.exp(row - row.max())
        out[index] = e / e.sum()
    return np.moveaxis(out, -1, axis)
'''),
]

CAUSAL_MASK = [
    Alternative("causal_mask", "np.triu of a -1e10 matrix", "independent", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.full((n_seq, n_seq), -1e10, dtype=dtype), k=1)
'''),
    Alternative("causal_mask", "np.where(tril, 0, -inf)", "independent", '''
def causal_mask(n_seq, dtype=np.float32):
    allowed = np.tril(np.ones((n_seq, n_seq), dtype=bool))
    return np.where(allowed, 0, -np.inf).astype(dtype)
'''),
    Alternative("causal_mask", "picoGPT's (1 - tri) * -1e10", "picoGPT", '''
def causal_mask(n_seq, dtype=np.float32):  # picoGPT builds it inline in mha, with dtype=x.dtype
    return (1 - np.tri(n_seq, dtype=dtype)) * -1e10
'''),
    Alternative("causal_mask", "the dtype's most negative number (nanoGPT's masked_fill, in NumPy)", "nanoGPT", '''
def causal_mask(n_seq, dtype=np.float32):
    mask = np.zeros((n_seq, n_seq), dtype=dtype)
    mask[np.triu_indices(n_seq, k=1)] = np.finfo(dtype).min
    return mask
'''),
]

ATTENTION = [
    Alternative("attention", "picoGPT's", "picoGPT", '''
def _softmax(x):
    exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)

def attention(q, k, v, mask):  # [n_q, d_k], [n_k, d_k], [n_k, d_v], [n_q, n_k] -> [n_q, d_v]
    return _softmax(q @ k.T / math.sqrt(q.shape[-1]) + mask) @ v  # picoGPT: np.sqrt
'''),
    Alternative("attention", "einsum", "independent", '''
def attention(q, k, v, mask):
    scores = np.einsum("qd,kd->qk", q, k) / math.sqrt(q.shape[-1]) + mask
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return np.einsum("qk,kd->qd", weights, v)
'''),
    Alternative("attention", "torch scaled_dot_product_attention with the float mask", "PyTorch", '''
import torch
import torch.nn.functional as F

def attention(q, k, v, mask):
    tq, tk, tv = (torch.from_numpy(np.ascontiguousarray(a)) for a in (q, k, v))
    bias = torch.from_numpy(np.ascontiguousarray(mask)).to(tq.dtype)
    return F.scaled_dot_product_attention(tq, tk, tv, attn_mask=bias).numpy()
'''),
    Alternative("attention", "one query at a time", "independent", '''
def attention(q, k, v, mask):
    out = np.empty((q.shape[0], v.shape[1]), dtype=q.dtype)
    for i in range(q.shape[0]):
        s = k @ q[i] / math.sqrt(q.shape[1]) + mask[i]
        w = np.exp(s - s.max())
        out[i] = (w / w.sum()) @ v
    return out
'''),
]

SPLIT_HEADS = [
    Alternative("split_heads", "picoGPT's np.split, stacked", "picoGPT", '''
def split_heads(x, n_head):  # picoGPT keeps the list of np.split; the docstring asks for one array
    return np.stack(np.split(x, n_head, axis=-1))
'''),
    Alternative("split_heads", "slices in a loop", "independent", '''
def split_heads(x, n_head):
    d_head = x.shape[1] // n_head
    return np.stack([x[:, h * d_head:(h + 1) * d_head] for h in range(n_head)])
'''),
    Alternative("split_heads", "torch view + transpose (minGPT/nanoGPT)", "nanoGPT", '''
import torch

def split_heads(x, n_head):
    t = torch.from_numpy(x)
    n_seq, n_embd = t.shape
    return t.view(n_seq, n_head, n_embd // n_head).transpose(0, 1).numpy()
'''),
    Alternative("split_heads", "through x.T", "independent", '''
def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    return x.T.reshape(n_head, n_embd // n_head, n_seq).transpose(0, 2, 1)
'''),
]

MERGE_HEADS = [
    Alternative("merge_heads", "picoGPT's np.hstack", "picoGPT", '''
def merge_heads(x):  # picoGPT: np.hstack(out_heads), the heads given as one array
    return np.hstack(x)
'''),
    Alternative("merge_heads", "np.concatenate along the features", "independent", '''
def merge_heads(x):
    return np.concatenate(list(x), axis=-1)
'''),
    Alternative("merge_heads", "einsum, then reshape", "independent", '''
def merge_heads(x):
    n_head, n_seq, d_head = x.shape
    return np.einsum("hsd->shd", x).reshape(n_seq, n_head * d_head)
'''),
    Alternative("merge_heads", "torch transpose + contiguous().view (nanoGPT)", "nanoGPT", '''
import torch

def merge_heads(x):
    t = torch.from_numpy(x)
    n_head, n_seq, d_head = t.shape
    return t.transpose(0, 1).contiguous().view(n_seq, n_head * d_head).numpy()
'''),
]

MHA = [
    Alternative("mha", "picoGPT's (np.split heads, np.hstack)", "picoGPT", '''
from solutions import linear

def _softmax(x):
    exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)

def _attention(q, k, v, mask):
    return _softmax(q @ k.T / math.sqrt(q.shape[-1]) + mask) @ v  # picoGPT: np.sqrt

def mha(x, c_attn, c_proj, n_head):
    x = linear(x, **c_attn)
    qkv = np.split(x, 3, axis=-1)
    qkv_heads = list(map(lambda x: np.split(x, n_head, axis=-1), qkv))
    causal_mask = (1 - np.tri(x.shape[0], dtype=x.dtype)) * -1e10
    out_heads = [_attention(q, k, v, causal_mask) for q, k, v in zip(*qkv_heads)]
    x = np.hstack(out_heads)
    x = linear(x, **c_proj)
    return x
'''),
    Alternative("mha", "einsum over all heads at once, -inf mask", "independent", '''
def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd // n_head
    qkv = (x @ c_attn["w"] + c_attn["b"]).reshape(n_seq, 3, n_head, d_head)
    q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]  # [n_seq, n_head, d_head]
    scores = np.einsum("qhd,khd->hqk", q, k) / math.sqrt(d_head)
    scores = np.where(np.tri(n_seq, dtype=bool), scores, -np.inf)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True)
    out = np.einsum("hqk,khd->qhd", w, v).reshape(n_seq, n_embd)
    return out @ c_proj["w"] + c_proj["b"]
'''),
    Alternative("mha", "nanoGPT's CausalSelfAttention forward, in torch", "nanoGPT", '''
import torch
import torch.nn.functional as F

def mha(x, c_attn, c_proj, n_head):
    t = torch.from_numpy(x)[None]  # nanoGPT works on [B, T, C]
    B, T, C = t.size()
    q, k, v = (t @ torch.from_numpy(c_attn["w"]) + torch.from_numpy(c_attn["b"])).split(C, dim=2)
    k = k.view(B, T, n_head, C // n_head).transpose(1, 2)  # (B, nh, T, hs)
    q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
    v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    bias = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
    att = att.masked_fill(bias[:, :, :T, :T] == 0, float("-inf"))
    att = F.softmax(att, dim=-1)
    y = att @ v  # (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)
    y = y.transpose(1, 2).contiguous().view(B, T, C)
    y = y @ torch.from_numpy(c_proj["w"]) + torch.from_numpy(c_proj["b"])
    return y[0].numpy()
'''),
    Alternative("mha", "minGPT-style reshape + transpose in NumPy, finfo.min mask", "minGPT", '''
def mha(x, c_attn, c_proj, n_head):
    T, C = x.shape
    q, k, v = np.split(x @ c_attn["w"] + c_attn["b"], 3, axis=1)
    q, k, v = (a.reshape(T, n_head, C // n_head).transpose(1, 0, 2) for a in (q, k, v))
    att = (q @ k.transpose(0, 2, 1)) * (1.0 / math.sqrt(k.shape[-1]))
    att = np.where(np.tril(np.ones((T, T))) == 0, np.finfo(x.dtype).min, att)
    att = np.exp(att - att.max(axis=-1, keepdims=True))
    att = att / att.sum(axis=-1, keepdims=True)
    y = (att @ v).transpose(1, 0, 2).reshape(T, C)
    return y @ c_proj["w"] + c_proj["b"]
'''),
]

ALTERNATIVES = SOFTMAX + CAUSAL_MASK + ATTENTION + SPLIT_HEADS + MERGE_HEADS + MHA

MEASURED = {  # (worst correct alternative, nearest known mistake) in units of the tolerance
    "softmax": (0.039, 9.4e+08),
    "causal_mask": (0, float("inf")),  # compared exactly after canonicalising (<= -1e9 -> -inf)
    "attention": (0.047, 9.9e+07),
    "split_heads": (0, 2.8e+12),
    "merge_heads": (0, 2.9e+12),
    "mha": (0.053, 1.1e+09),
}
