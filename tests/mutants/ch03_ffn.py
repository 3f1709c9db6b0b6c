from . import Mutant

# An ffn mutant comes first: the notebook tests put the chapter's first mutant into an otherwise solved notebook
# and expect only its exercise to lose points (a wrong gelu or linear would also fail ffn, which calls them).
# The ffn mutants don't import from `solutions`: in a notebook that would replace the learner's gelu and linear.
MUTANTS = [
    Mutant("ffn", "GELU after the second projection", "GELU comes after the second projection", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    out = h @ c_proj["w"] + c_proj["b"]
    return 0.5 * out * (1 + np.tanh(math.sqrt(2 / math.pi) * (out + 0.044715 * out**3)))
'''),
    Mutant("ffn", "GELU on both projections", "GELU is applied twice", '''
def _gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

def ffn(x, c_fc, c_proj):
    h = _gelu(x @ c_fc["w"] + c_fc["b"])
    return _gelu(h @ c_proj["w"] + c_proj["b"])
'''),
    Mutant("ffn", "no activation", "no GELU between the two projections", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "GELU on the input", "GELU is applied to the input", '''
def ffn(x, c_fc, c_proj):
    x = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return (x @ c_fc["w"] + c_fc["b"]) @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "c_fc and c_proj swapped", "the shapes don't chain", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_proj["w"] + c_proj["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_fc["w"] + c_fc["b"]
'''),
    Mutant("ffn", "weights transposed inside ffn", "the shapes don't chain", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"].T + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_proj["w"].T + c_proj["b"]
'''),
    Mutant("ffn", "exact (erf) GELU inside ffn", "your ffn uses the exact (erf) GELU", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "ReLU inside ffn", "your ffn uses ReLU", '''
def ffn(x, c_fc, c_proj):
    h = np.maximum(0, x @ c_fc["w"] + c_fc["b"])
    return h @ c_proj["w"] + c_proj["b"]
'''),
    # ---- gelu
    Mutant("gelu", "exact erf GELU", "this is the exact GELU", '''
def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))
'''),
    Mutant("gelu", "torch's default (erf) GELU", "this is the exact GELU", '''
def gelu(x):
    import torch
    return torch.nn.functional.gelu(torch.from_numpy(np.asarray(x))).numpy()
'''),
    Mutant("gelu", "ReLU", "this is ReLU", '''
def gelu(x):
    return np.where(x > 0, x, 0)
'''),
    Mutant("gelu", "x * sigmoid(1.702 x)", "x·sigmoid(1.702·x) is another approximation", '''
def gelu(x):
    return x * (1 / (1 + np.exp(-1.702 * x)))
'''),
    Mutant("gelu", "cubic coefficient 0.0447", "the cubic coefficient is wrong", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.0447 * x**3)))
'''),
    Mutant("gelu", "cubic coefficient 0.44715", "the cubic coefficient is wrong", '''
def gelu(x):
    c = math.sqrt(2 / math.pi)
    return 0.5 * x * (1 + np.tanh(c * (x + 0.44715 * x * x * x)))
'''),
    Mutant("gelu", "x squared instead of cubed", "x cubed (x**3), not squared", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**2)))
'''),
    Mutant("gelu", "no sqrt(2/pi) scale", "scaled by √(2/π)", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(x + 0.044715 * x**3))
'''),
    Mutant("gelu", "sqrt(2 pi) instead of sqrt(2/pi)", "not √(2π)", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 * math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "missing 0.5", "the factor 0.5 in front is missing", '''
def gelu(x):
    return x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "1 - tanh", "the sign is flipped", '''
def gelu(x):
    return 0.5 * x * (1 - np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "np.sqrt(2/np.pi) promotes float32", "np.sqrt(2 / np.pi) is a float64", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * np.power(x, 3))))
'''),
    Mutant("gelu", "computes in place", "changed the caller's array in place", '''
def gelu(x):
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    x *= 0.5 * (1 + np.tanh(inner))
    return x
'''),
    # ---- linear
    Mutant("linear", "weight used transposed", "the product is x @ w, not x @ w.T", '''
def linear(x, w, b):
    return x @ w.T + b
'''),
    Mutant("linear", "nn.Linear habit: (w @ x.T).T", "the product is x @ w, not x @ w.T", '''
def linear(x, w, b):
    return (w @ x.T).T + b
'''),
    Mutant("linear", "bias dropped", "the bias is missing", '''
def linear(x, w, b):
    return np.dot(x, w)
'''),
    Mutant("linear", "einsum only for 2-D", "works for any number of leading axes", '''
def linear(x, w, b):
    return np.einsum("ij,jk->ik", x, w) + b
'''),
    Mutant("linear", "promotes to float64", "came back as float64", '''
def linear(x, w, b):
    return x.astype(np.float64) @ w + b
'''),
]
