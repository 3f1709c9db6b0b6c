from . import Mutant

# An ffn mutant comes first: the notebook tests put the chapter's first mutant into an otherwise solved notebook
# and expect only its exercise to lose points (a wrong gelu or linear would also fail ffn, which calls them).
# The ffn mutants don't import from `solutions`: in a notebook that would replace the learner's gelu and linear.
MUTANTS = [
    Mutant("ffn", "GELU after the second projection", "ffn_gelu_last", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    out = h @ c_proj["w"] + c_proj["b"]
    return 0.5 * out * (1 + np.tanh(math.sqrt(2 / math.pi) * (out + 0.044715 * out**3)))
'''),
    Mutant("ffn", "GELU on both projections", "ffn_gelu_twice", '''
def _gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

def ffn(x, c_fc, c_proj):
    h = _gelu(x @ c_fc["w"] + c_fc["b"])
    return _gelu(h @ c_proj["w"] + c_proj["b"])
'''),
    Mutant("ffn", "no activation", "ffn_no_gelu", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "GELU on the input", "ffn_gelu_first", '''
def ffn(x, c_fc, c_proj):
    x = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return (x @ c_fc["w"] + c_fc["b"]) @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "c_fc and c_proj swapped", "ffn_swapped", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_proj["w"] + c_proj["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_fc["w"] + c_fc["b"]
'''),
    Mutant("ffn", "weights transposed inside ffn", "ffn_swapped", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"].T + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_proj["w"].T + c_proj["b"]
'''),
    Mutant("ffn", "exact (erf) GELU inside ffn", "ffn_erf", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "ReLU inside ffn", "ffn_relu", '''
def ffn(x, c_fc, c_proj):
    h = np.maximum(0, x @ c_fc["w"] + c_fc["b"])
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "GELU written inside ffn, coefficient 0.0447", "ffn_coefficient_0447", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.0447 * h**3)))
    return h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "only 2-D inputs (a loop over the rows of x)", "ffn-leading-axes", '''
def ffn(x, c_fc, c_proj):
    rows = []
    for row in x:
        h = row @ c_fc["w"] + c_fc["b"]
        h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
        rows.append(h @ c_proj["w"] + c_proj["b"])
    return np.array(rows).reshape(len(x), -1)
'''),
    Mutant("ffn", "residual added inside ffn", "ffn_residual", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return x + h @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "c_proj's bias missing", "ffn_no_proj_bias", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"] + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_proj["w"]
'''),
    Mutant("ffn", "c_fc's bias missing", "ffn_no_fc_bias", '''
def ffn(x, c_fc, c_proj):
    h = np.matmul(x, c_fc["w"])
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return np.matmul(h, c_proj["w"]) + c_proj["b"]
'''),
    Mutant("ffn", "both biases missing", "ffn_no_biases", '''
def ffn(x, c_fc, c_proj):
    h = x @ c_fc["w"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return h @ c_proj["w"]
'''),
    Mutant("ffn", "only 2-D inputs (einsum 'ij,jk->ik')", "ffn-2d-only", '''
def ffn(x, c_fc, c_proj):
    h = np.einsum("ij,jk->ik", x, c_fc["w"]) + c_fc["b"]
    h = 0.5 * h * (1 + np.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3)))
    return np.einsum("ij,jk->ik", h, c_proj["w"]) + c_proj["b"]
'''),
    # the learner's own helpers, defined in the same notebook: a wrong gelu (or linear) makes ffn fail, and the
    # check says to fix that helper first
    Mutant("ffn", "the learner's own gelu, with a wrong coefficient, inside ffn", "fix-first:gelu", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.0447 * x**3)))

def linear(x, w, b):
    return x @ w + b

def ffn(x, c_fc, c_proj):
    return linear(gelu(linear(x, **c_fc)), **c_proj)
'''),
    Mutant("ffn", "the learner's own gelu, exact erf form, inside ffn", "fix-first:gelu", '''
def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))

def ffn(x, c_fc, c_proj):
    return gelu(x @ c_fc["w"] + c_fc["b"]) @ c_proj["w"] + c_proj["b"]
'''),
    Mutant("ffn", "the learner's own linear, transposed, inside ffn", "fix-first:linear", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

def linear(x, w, b):
    return x @ w.T + b

def ffn(x, c_fc, c_proj):
    return linear(gelu(linear(x, c_fc["w"], c_fc["b"])), c_proj["w"], c_proj["b"])
'''),
    # ---- gelu
    Mutant("gelu", "exact erf GELU", "gelu_erf", '''
def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))
'''),
    Mutant("gelu", "torch's default (erf) GELU", "gelu_erf", '''
def gelu(x):
    import torch
    return torch.nn.functional.gelu(torch.from_numpy(np.asarray(x))).numpy()
'''),
    Mutant("gelu", "ReLU", "gelu_relu", '''
def gelu(x):
    return np.where(x > 0, x, 0)
'''),
    Mutant("gelu", "x * sigmoid(1.702 x)", "gelu_sigmoid", '''
def gelu(x):
    return x * (1 / (1 + np.exp(-1.702 * x)))
'''),
    Mutant("gelu", "cubic coefficient 0.0447", "gelu_coefficient_0447", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.0447 * x**3)))
'''),
    Mutant("gelu", "cubic coefficient 0.44715", "gelu_coefficient_44715", '''
def gelu(x):
    c = math.sqrt(2 / math.pi)
    return 0.5 * x * (1 + np.tanh(c * (x + 0.44715 * x * x * x)))
'''),
    Mutant("gelu", "cubic coefficient 0.04715", "gelu_coefficient_04715", '''
def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.04715 * x**3)))
'''),
    Mutant("gelu", "x squared instead of cubed", "gelu_square", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**2)))
'''),
    Mutant("gelu", "no sqrt(2/pi) scale", "gelu_no_scale", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(x + 0.044715 * x**3))
'''),
    Mutant("gelu", "sqrt(2 pi) instead of sqrt(2/pi)", "gelu_sqrt_2pi", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 * math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "missing 0.5", "gelu_no_half", '''
def gelu(x):
    return x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "1 - tanh", "gelu_minus", '''
def gelu(x):
    return 0.5 * x * (1 - np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
'''),
    Mutant("gelu", "np.sqrt(2/np.pi) promotes float32", "gelu_float64", '''
def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * np.power(x, 3))))
'''),
    Mutant("gelu", "computes in place", "mutated-input", '''
def gelu(x):
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    x *= 0.5 * (1 + np.tanh(inner))
    return x
'''),
    # ---- linear
    Mutant("linear", "weight used transposed", "linear_transposed", '''
def linear(x, w, b):
    return x @ w.T + b
'''),
    Mutant("linear", "nn.Linear habit: (w @ x.T).T", "linear_transposed", '''
def linear(x, w, b):
    return (w @ x.T).T + b
'''),
    Mutant("linear", "bias dropped", "linear_no_bias", '''
def linear(x, w, b):
    return np.dot(x, w)
'''),
    Mutant("linear", "einsum only for 2-D", "case:x-w-b-works-for-any", '''
def linear(x, w, b):
    return np.einsum("ij,jk->ik", x, w) + b
'''),
    Mutant("linear", "promotes to float64", "linear_float64", '''
def linear(x, w, b):
    return x.astype(np.float64) @ w + b
'''),
]
