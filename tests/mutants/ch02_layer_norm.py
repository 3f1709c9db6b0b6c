from . import Mutant

MUTANTS = [
    Mutant("layer_norm", "wrong axis (axis=0)", "axis_0", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = np.mean(x, axis=0, keepdims=True)
    sigma2 = np.var(x, axis=0, keepdims=True)
    return g * (x - mu) / np.sqrt(sigma2 + eps) + b
'''),
    Mutant("layer_norm", "axis=1 works only for 2-D", "axis_1", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(1, keepdims=True)
    var = ((x - mu) ** 2).mean(1, keepdims=True)
    return g * (x - mu) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "whole-matrix statistics", "whole_matrix", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean()
    var = x.var()
    return g * (x - mu) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "eps outside the square root", "eps_outside_sqrt", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return g * (x - mu) / (np.sqrt(var) + eps) + b
'''),
    Mutant("layer_norm", "std + eps", "eps_outside_sqrt", '''
def layer_norm(x, g, b, eps=1e-5):
    centred = x - x.mean(axis=-1, keepdims=True)
    return g * centred / (x.std(axis=-1, keepdims=True) + eps) + b
'''),
    Mutant("layer_norm", "no eps at all", "no_eps", '''
def layer_norm(x, g, b, eps=1e-5):
    centred = x - x.mean(axis=-1, keepdims=True)
    return g * centred / x.std(axis=-1, keepdims=True) + b
'''),
    Mutant("layer_norm", "unbiased variance", "unbiased", '''
def layer_norm(x, g, b, eps=1e-5):
    n = x.shape[-1]
    mu = x.sum(axis=-1, keepdims=True) / n
    var = ((x - mu) ** 2).sum(axis=-1, keepdims=True) / (n - 1)
    return g * (x - mu) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "gain and bias ignored", "no_gain_no_bias", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
'''),
    Mutant("layer_norm", "gain ignored", "no_gain", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) + b
'''),
    Mutant("layer_norm", "bias ignored", "no_bias", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
'''),
    Mutant("layer_norm", "eps argument ignored", "eps_ignored", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5) + b
'''),
    Mutant("layer_norm", "missing keepdims", "no_keepdims", '''
def layer_norm(x, g, b, eps=1e-5):
    return g * (x - np.mean(x, -1)) / np.sqrt(np.var(x, -1) + eps) + b
'''),
    Mutant("layer_norm", "promotes float32 to float64", "float64", '''
def layer_norm(x, g, b, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) + b
'''),
    Mutant("layer_norm", "normalises in place", "mutated-input", '''
def layer_norm(x, g, b, eps=1e-5):
    x -= x.mean(axis=-1, keepdims=True)
    x /= np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    return g * x + b
'''),
    Mutant("layer_norm", "one-pass variance E[x^2] - mean^2", "one-pass-variance", '''
def layer_norm(x, g, b, eps=1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean(x ** 2, axis=-1, keepdims=True) - mean ** 2
    return g * (x - mean) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "one-pass variance written with x * x", "one-pass-variance", '''
def layer_norm(x, g, b, eps=1e-5):
    n = x.shape[-1]
    s1 = x.sum(axis=-1, keepdims=True)
    s2 = (x * x).sum(axis=-1, keepdims=True)
    mu = s1 / n
    var = s2 / n - mu * mu
    return g * (x - mu) / np.sqrt(var + eps) + b
'''),
    Mutant("layer_norm", "gain and bias swapped", "gain-bias-swapped", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    return b * x_hat + g
'''),
    Mutant("layer_norm", "eps hard-coded to 1e-6", "eps-fixed-1e-06", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-6) + b
'''),
    Mutant("layer_norm", "eps hard-coded to 1e-8", "eps-fixed-1e-08", '''
def layer_norm(x, g, b, eps=1e-5):
    std = np.sqrt(np.var(x, axis=-1, keepdims=True) + 1e-8)
    return g * (x - np.mean(x, axis=-1, keepdims=True)) / std + b
'''),
    Mutant("layer_norm", "eps hard-coded to 1e-12 (BERT's)", "eps-fixed-1e-12", '''
def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-12) + b
'''),
    Mutant("layer_norm", "eps argument ignored (hard-coded default)", "eps_ignored", '''
def layer_norm(x, g, b, eps=1e-5):
    EPS = 1e-5
    mu = x.mean(axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(x.var(axis=-1, keepdims=True) + EPS) + b
'''),
]
