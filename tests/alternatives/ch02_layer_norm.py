"""Correct layer_norm implementations of different shapes (the chapter engineer extends this bank)."""


from . import Alternative

ALTERNATIVES = [
    Alternative("layer_norm", "picoGPT's", "picoGPT", '''
def layer_norm(x, g, b, eps: float = 1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    variance = np.var(x, axis=-1, keepdims=True)
    x = (x - mean) / np.sqrt(variance + eps)  # normalize x to have mean=0 and var=1 over last axis
    return g * x + b  # scale and offset with gamma/beta params
'''),
]

MEASURED = {
    "layer_norm": (0.016, 6.7e5),
}
