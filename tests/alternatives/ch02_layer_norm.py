"""Correct layer_norm implementations of different shapes, graded like submissions."""


from . import Alternative

ALTERNATIVES = [
    Alternative("layer_norm", "picoGPT's", "picoGPT", '''
def layer_norm(x, g, b, eps: float = 1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    variance = np.var(x, axis=-1, keepdims=True)
    x = (x - mean) / np.sqrt(variance + eps)  # normalize x to have mean=0 and var=1 over last axis
    return g * x + b  # scale and offset with gamma/beta params
'''),
    Alternative("layer_norm", "torch.nn.functional.layer_norm", "independent", '''
def layer_norm(x, g, b, eps=1e-5):
    import torch
    import torch.nn.functional as F

    out = F.layer_norm(torch.as_tensor(x), (x.shape[-1],), torch.as_tensor(g), torch.as_tensor(b), eps)
    return out.numpy()
'''),
    Alternative("layer_norm", "LLMs-from-scratch's LayerNorm.forward (torch, unbiased=False)", "LLMs-from-scratch", '''
def layer_norm(x, g, b, eps=1e-5):
    import torch

    x, scale, shift = torch.as_tensor(x), torch.as_tensor(g), torch.as_tensor(b)
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True, unbiased=False)
    norm_x = (x - mean) / torch.sqrt(var + eps)
    return (scale * norm_x + shift).numpy()
'''),
    Alternative("layer_norm", "two-pass sums accumulated in float64, cast back", "independent", '''
def layer_norm(x, g, b, eps=1e-5):
    n = x.shape[-1]
    x64 = x.astype(np.float64)
    mean = x64.sum(axis=-1, keepdims=True) / n
    centred = x64 - mean
    variance = (centred * centred).sum(axis=-1, keepdims=True) / n
    y = centred / np.sqrt(variance + eps) * g.astype(np.float64) + b.astype(np.float64)
    return y.astype(x.dtype)
'''),
    Alternative("layer_norm", "a loop over the rows, einsum for the sums", "independent", '''
def layer_norm(x, g, b, eps=1e-5):
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty_like(rows)
    n = rows.shape[-1]
    for i, row in enumerate(rows):
        mu = np.einsum("i->", row) / n
        d = row - mu
        var = np.einsum("i,i->", d, d) / n
        out[i] = g * (d / math.sqrt(var + eps)) + b
    return out.reshape(x.shape)
'''),
]

MEASURED = {
    "layer_norm": (0.047, 1.4e10),  # worst: picoGPT on the float32 rows of mean 300; nearest: eps_ignored
}
