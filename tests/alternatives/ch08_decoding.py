"""Correct decoding implementations of different shapes: Hugging Face's logits warpers (TemperatureLogitsWarper,
TopKLogitsWarper, TopPLogitsWarper) in torch, nanoGPT's and LLMs-from-scratch's top-k and generate loops, picoGPT's
generate loop, NumPy loops, einsum and torch KV caches — each adapted with the smallest faithful change to the stub's
signature (and noted where the original differs from the docstring's contract)."""

import math

from . import Alternative

# A private sampler for the loops below (the same rule as sample_next: temperature, top-k, top-p, softmax in float64,
# one rng.choice per token). Each alternative carries its own copy under its own name, so that two cells of one
# notebook never overwrite each other's helper.
SAMPLER = '''

def {name}(row, rng, temperature, top_k, top_p):
    row = np.asarray(row, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(row))
    row = row / temperature
    if top_k is not None:
        row = np.where(row < np.sort(row)[-min(top_k, len(row))], -np.inf, row)
    if top_p is not None:
        order = np.argsort(row, kind="stable")
        probs = np.exp(row[order] - row.max())
        probs = (probs / probs.sum()).astype(np.float32)
        remove = np.cumsum(probs, dtype=np.float64).astype(np.float32) <= np.float32(1 - top_p)
        remove[-1] = False
        row = row.copy()
        row[order[remove]] = -np.inf
    probs = np.exp(row - row.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))
'''

# A cached forward pass in einsum form, for the generate_cached alternatives.
CACHED_FORWARD = '''

def {name}(ids, params, n_head, cache):
    from solutions import ffn, layer_norm

    n_past = 0 if cache is None else cache[0][0].shape[1]
    x = params["wte"][np.asarray(ids)] + params["wpe"][n_past:n_past + len(ids)]
    new_cache = []
    for i, block in enumerate(params["blocks"]):
        h = layer_norm(x, **block["ln_1"])
        qkv = np.einsum("te,ef->tf", h, block["attn"]["c_attn"]["w"]) + block["attn"]["c_attn"]["b"]
        q, k, v = (t.reshape(len(ids), n_head, -1).transpose(1, 0, 2) for t in np.split(qkv, 3, axis=-1))
        if cache is not None:
            k, v = np.concatenate([cache[i][0], k], 1), np.concatenate([cache[i][1], v], 1)
        new_cache.append((k, v))
        scores = np.einsum("hqd,hkd->hqk", q, k) / math.sqrt(q.shape[-1])
        visible = np.arange(k.shape[1])[None, :] <= n_past + np.arange(len(ids))[:, None]
        scores = np.where(visible, scores, -np.inf)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        att = np.einsum("hqk,hkd->hqd", w / w.sum(-1, keepdims=True), v).transpose(1, 0, 2).reshape(len(ids), -1)
        x = x + att @ block["attn"]["c_proj"]["w"] + block["attn"]["c_proj"]["b"]
        x = x + ffn(layer_norm(x, **block["ln_2"]), **block["mlp"])
    return layer_norm(x, **params["ln_f"]) @ params["wte"].T, new_cache
'''

ALTERNATIVES = [
    # ---------------------------------------------------------------------------------------------------------
    Alternative("greedy", "picoGPT's argmax of logits[-1]", "picoGPT", '''
def greedy(logits):
    logits = np.asarray(logits)
    if logits.ndim == 1:  # adapted: picoGPT's generate always holds [n_seq, n_vocab]
        logits = logits[None]
    return int(np.argmax(logits[-1]))  # greedy sampling
'''),
    Alternative("greedy", "torch.argmax", "independent", '''
def greedy(logits):
    import torch

    t = torch.as_tensor(np.asarray(logits))
    return int(torch.argmax(t[-1] if t.dim() == 2 else t))
'''),
    Alternative("greedy", "a loop keeping the first maximum", "independent", '''
def greedy(logits):
    row = np.atleast_2d(logits)[-1]
    best = 0
    for i in range(1, len(row)):
        if row[i] > row[best]:
            best = i
    return best
'''),
    # ---------------------------------------------------------------------------------------------------------
    Alternative("apply_temperature", "Hugging Face's TemperatureLogitsWarper in torch", "Hugging Face", '''
def apply_temperature(logits, temperature):
    import torch

    if not isinstance(temperature, float) or not (temperature > 0):
        raise ValueError(f"`temperature` (={temperature}) has to be a strictly positive float, otherwise your next "
                         "token scores will be invalid.")
    scores = torch.from_numpy(np.asarray(logits))
    return (scores / temperature).numpy()
'''),
    Alternative("apply_temperature", "multiply by 1/T", "independent", '''
def apply_temperature(logits, temperature):
    if temperature <= 0 or math.isnan(temperature):
        raise ValueError(f"the temperature must be positive, got {temperature}")
    return np.asarray(logits) * (1.0 / temperature)
'''),
    Alternative("apply_temperature", "np.divide into a new array", "independent", '''
def apply_temperature(logits, temperature):
    if not temperature > 0:
        raise ValueError("temperature <= 0: use greedy decoding instead")
    logits = np.asarray(logits)
    return np.divide(logits, temperature, out=np.empty_like(logits))
'''),
    # ---------------------------------------------------------------------------------------------------------
    Alternative("top_k_filter", "Hugging Face's TopKLogitsWarper in torch", "Hugging Face", '''
def top_k_filter(logits, k):
    import torch

    if not isinstance(k, int) or k <= 0:
        raise ValueError(f"`top_k` has to be a strictly positive integer, but is {k}")
    scores = torch.from_numpy(np.array(logits))
    top_k = min(k, scores.size(-1))  # Safety check
    # Remove all tokens with a probability less than the last token of the top-k
    indices_to_remove = scores < torch.topk(scores, top_k)[0][..., -1, None]
    return scores.masked_fill(indices_to_remove, -float("inf")).numpy()
'''),
    Alternative("top_k_filter", "nanoGPT's generate crop", "nanoGPT", '''
def top_k_filter(logits, k):
    import torch

    if k < 1:
        raise ValueError(f"top_k must be at least 1, got {k}")
    logits = torch.tensor(np.asarray(logits))  # a copy: the caller's array stays as it is
    v, _ = torch.topk(logits, min(k, logits.size(-1)))
    logits[logits < v[..., [-1]]] = -float("Inf")
    return logits.numpy()
'''),
    Alternative("top_k_filter", "np.partition, filtered to -1e10 (chapter 05's mask value)", "independent", '''
def top_k_filter(logits, k):
    if k < 1:
        raise ValueError(f"top_k={k}: keep at least one token")
    logits = np.asarray(logits)
    k = min(k, logits.shape[-1])
    kth = np.partition(logits, -k, axis=-1)[..., -k:].min(axis=-1, keepdims=True)
    return np.where(logits < kth, -1e10, logits).astype(logits.dtype)
'''),
    Alternative("top_k_filter", "LLMs-from-scratch's torch.where", "LLMs-from-scratch", '''
def top_k_filter(logits, k):
    import torch

    if k < 1:
        raise ValueError(f"top_k must be positive, got {k}")
    logits = torch.from_numpy(np.asarray(logits))
    top_logits, _ = torch.topk(logits, min(k, logits.shape[-1]))
    min_val = top_logits[..., -1:]  # adapted: [..., 1] so that every row compares with its own k-th largest
    return torch.where(logits < min_val, torch.tensor(float("-inf")), logits).numpy()
'''),
    # ---------------------------------------------------------------------------------------------------------
    Alternative("top_p_filter", "Hugging Face's TopPLogitsWarper in torch", "Hugging Face", '''
def top_p_filter(logits, p):
    import torch

    top_p = float(p)
    if top_p < 0 or top_p > 1.0:
        raise ValueError(f"`top_p` has to be a float > 0 and < 1, but is {top_p}")
    scores = torch.from_numpy(np.array(logits))
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    # Remove tokens with cumulative top_p above the threshold (token with 0 are kept)
    sorted_indices_to_remove = cumulative_probs <= (1 - top_p)
    # Keep at least min_tokens_to_keep
    sorted_indices_to_remove[..., -1:] = 0
    # scatter sorted tensors to original indexing
    indices_to_remove = sorted_indices_to_remove.scatter(-1, sorted_indices, sorted_indices_to_remove)
    return scores.masked_fill(indices_to_remove, -float("inf")).numpy()
'''),
    Alternative("top_p_filter", "a loop over rows, adding probabilities until p", "independent", '''
def top_p_filter(logits, p):
    if not 0 <= p <= 1:
        raise ValueError(f"top_p must be in [0, 1], got {p}")
    logits = np.asarray(logits)
    out = np.full_like(logits, -np.inf)
    for row in np.ndindex(logits.shape[:-1]):
        z = logits[row].astype(np.float64)
        probs = np.exp(z - z.max())
        probs = probs / probs.sum()
        total = 0.0
        for i in np.argsort(-z, kind="stable"):
            out[row + (i,)] = logits[row + (i,)]
            total += probs[i]
            if total >= p:
                break
    return out
'''),
    Alternative("top_p_filter", "descending, vectorised, filtered to -1e10", "independent", '''
def top_p_filter(logits, p):
    if p < 0 or p > 1:
        raise ValueError(f"top_p={p} must lie in [0, 1]")
    logits = np.asarray(logits)
    order = np.argsort(-logits, axis=-1, kind="stable")
    ranked = np.take_along_axis(logits, order, axis=-1).astype(np.float64)
    probs = np.exp(ranked - ranked[..., :1])
    probs = probs / probs.sum(axis=-1, keepdims=True)
    before = np.cumsum(probs, axis=-1) - probs  # the mass of the more likely tokens
    keep_ranked = before < p
    keep_ranked[..., 0] = True
    keep = np.zeros_like(keep_ranked)
    np.put_along_axis(keep, order, keep_ranked, axis=-1)
    return np.where(keep, logits, -1e10).astype(logits.dtype)
'''),
    # ---------------------------------------------------------------------------------------------------------
    Alternative("sample_next", "NumPy, filters written inline", "independent", '''
def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    z = np.asarray(logits)
    z = z[-1] if z.ndim == 2 else z
    if temperature == 0:
        return int(np.argmax(z))
    z = z / temperature
    if top_k is not None:
        z = np.where(z < np.sort(z)[-min(top_k, len(z))], -np.inf, z)
    if top_p is not None:
        order = np.argsort(z, kind="stable")
        e = np.exp(z[order] - z.max())
        cum = np.cumsum((e / e.sum()).astype(z.dtype), dtype=np.float64).astype(z.dtype)
        remove = cum <= z.dtype.type(1 - top_p)
        remove[-1] = False
        z = z.copy()
        z[order[remove]] = -np.inf
    probs = np.exp(z.astype(np.float64) - z.max())
    probs = probs / probs.sum()
    return int(rng.choice(len(probs), p=probs))
'''),
    Alternative("sample_next", "Hugging Face's warpers chained in torch", "Hugging Face", '''
def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    import torch

    scores = torch.from_numpy(np.array(logits))
    scores = scores[-1] if scores.dim() == 2 else scores
    if temperature == 0:
        return int(torch.argmax(scores))
    scores = scores / temperature  # TemperatureLogitsWarper
    if top_k is not None:  # TopKLogitsWarper
        scores = scores.masked_fill(scores < torch.topk(scores, min(top_k, scores.size(-1)))[0][..., -1, None],
                                    -float("inf"))
    if top_p is not None:  # TopPLogitsWarper
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        remove = sorted_logits.softmax(dim=-1).cumsum(dim=-1) <= (1 - top_p)
        remove[..., -1:] = 0
        scores = scores.masked_fill(remove.scatter(-1, sorted_indices, remove), -float("inf"))
    probs = torch.softmax(scores.double(), dim=-1).numpy()  # float64, as rng.choice wants
    return int(rng.choice(len(probs), p=probs))
'''),
    Alternative("sample_next", "LLMs-from-scratch's generate step (top-k, then temperature), plus top-p",
                "LLMs-from-scratch", '''
def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    import torch

    logits = torch.from_numpy(np.array(logits))
    logits = logits[-1] if logits.dim() == 2 else logits
    if top_k is not None:  # top-k before the temperature: dividing by T > 0 keeps the order, so it is the same
        top_logits, _ = torch.topk(logits, min(top_k, logits.shape[-1]))
        min_val = top_logits[-1]
        logits = torch.where(logits < min_val, torch.tensor(float("-inf")), logits)
    if temperature > 0.0:
        logits = logits / temperature
        if top_p is not None:  # adapted: the book has no top-p; Hugging Face's rule, after the temperature
            sorted_logits, idx = torch.sort(logits)
            remove = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1) <= (1 - top_p)
            remove[-1] = False
            logits[idx[remove]] = float("-inf")
        probs = torch.softmax(logits.double(), dim=-1).numpy()
        return int(rng.choice(len(probs), p=probs))  # adapted: the book draws with torch.multinomial
    return int(torch.argmax(logits, dim=-1))
'''),
    # ---------------------------------------------------------------------------------------------------------
    Alternative("generate", "picoGPT's generate loop", "picoGPT", '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    inputs = list(ids)  # adapted: picoGPT appends to the caller's list
    # adapted: picoGPT asserts len(ids) + n_tokens_to_generate < n_ctx, which refuses a request that fills n_ctx
    if len(inputs) + n_new > len(params["wpe"]):
        raise ValueError(f"{len(inputs)} + {n_new} tokens exceed n_ctx={len(params['wpe'])}")
    for _ in range(n_new):  # auto-regressive decode loop
        logits = gpt2(inputs, **params, n_head=n_head)  # model forward pass
        if rng is None:
            next_id = np.argmax(logits[-1])  # greedy sampling
        else:
            next_id = _pico_sample(logits[-1], rng, temperature, top_k, top_p)
        inputs.append(int(next_id))  # append prediction to input
        if next_id == eos_id:
            break
    return inputs[len(ids):]  # only return generated ids
''' + SAMPLER.format(name="_pico_sample")),
    Alternative("generate", "nanoGPT's generate with torch ids", "nanoGPT", '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    import torch

    block_size = len(params["wpe"])
    idx = torch.tensor([int(i) for i in ids], dtype=torch.long)[None]  # [1, n_prompt]
    if idx.size(1) + n_new > block_size:  # adapted: nanoGPT crops instead; the docstring asks for an error
        raise ValueError(f"prompt of {idx.size(1)} + {n_new} new tokens is longer than n_ctx={block_size}")
    n_prompt = idx.size(1)
    for _ in range(n_new):
        # if the sequence context is growing too long we must crop it at block_size
        idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
        logits = gpt2(idx_cond[0].tolist(), **params, n_head=n_head)[-1]
        if rng is None:
            idx_next = int(np.argmax(logits))
        else:  # adapted: nanoGPT draws with torch.multinomial
            idx_next = _nano_sample(logits, rng, temperature, top_k, top_p)
        idx = torch.cat((idx, torch.tensor([[idx_next]])), dim=1)
        if idx_next == eos_id:
            break
    return idx[0, n_prompt:].tolist()
''' + SAMPLER.format(name="_nano_sample")),
    Alternative("generate", "LLMs-from-scratch's generate with eos_id", "LLMs-from-scratch", '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    context_size = params["wpe"].shape[0]
    idx = np.array([int(i) for i in ids], dtype=np.int64)
    if len(idx) + n_new > context_size:  # adapted: the book crops to the context; the docstring asks for an error
        raise ValueError(f"{len(idx) + n_new} tokens do not fit in the context n_ctx={context_size}")
    start = len(idx)
    for _ in range(n_new):
        idx_cond = idx[-context_size:]
        logits = gpt2(idx_cond, **params, n_head=n_head)
        logits = logits[-1, :]
        if rng is not None:
            idx_next = _book_sample(logits, rng, temperature, top_k, top_p)
        else:
            idx_next = int(np.argmax(logits, axis=-1))
        idx = np.concatenate([idx, [idx_next]])
        if idx_next == eos_id:  # adapted: the book stops before appending eos_id; Hugging Face keeps it
            break
    return [int(t) for t in idx[start:]]
''' + SAMPLER.format(name="_book_sample")),
    # ---------------------------------------------------------------------------------------------------------
    Alternative("gpt2_cached", "einsum", "independent", '''
def gpt2_cached(ids, params, n_head, cache=None):
    from solutions import ffn, layer_norm

    n_past = 0 if cache is None else cache[0][0].shape[1]
    n_ctx = params["wpe"].shape[0]
    if n_past + len(ids) > n_ctx:
        raise ValueError(f"{n_past} + {len(ids)} positions exceed the context n_ctx={n_ctx}")
    x = params["wte"][np.asarray(ids)] + params["wpe"][n_past:n_past + len(ids)]
    new_cache = []
    for i, block in enumerate(params["blocks"]):
        h = layer_norm(x, **block["ln_1"])
        qkv = np.einsum("te,ef->tf", h, block["attn"]["c_attn"]["w"]) + block["attn"]["c_attn"]["b"]
        q, k, v = (t.reshape(len(ids), n_head, -1).transpose(1, 0, 2) for t in np.split(qkv, 3, axis=-1))
        if cache is not None:
            k, v = np.concatenate([cache[i][0], k], 1), np.concatenate([cache[i][1], v], 1)
        new_cache.append((k, v))
        scores = np.einsum("hqd,hkd->hqk", q, k) / math.sqrt(q.shape[-1])
        visible = np.arange(k.shape[1])[None, :] <= n_past + np.arange(len(ids))[:, None]
        scores = np.where(visible, scores, -np.inf)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        att = np.einsum("hqk,hkd->hqd", w / w.sum(-1, keepdims=True), v).transpose(1, 0, 2).reshape(len(ids), -1)
        x = x + np.einsum("te,ef->tf", att, block["attn"]["c_proj"]["w"]) + block["attn"]["c_proj"]["b"]
        x = x + ffn(layer_norm(x, **block["ln_2"]), **block["mlp"])
    return np.einsum("te,ve->tv", layer_norm(x, **params["ln_f"]), params["wte"]), new_cache
'''),
    Alternative("gpt2_cached", "torch, scaled_dot_product_attention with a boolean mask", "independent", '''
def gpt2_cached(ids, params, n_head, cache=None):
    import torch
    from torch.nn import functional as F

    def T(a):
        return torch.from_numpy(np.asarray(a))

    n_past = 0 if cache is None else cache[0][0].shape[1]
    n_new, n_ctx = len(ids), params["wpe"].shape[0]
    if n_past + n_new > n_ctx:
        raise ValueError(f"cache of {n_past} + {n_new} new tokens is longer than n_ctx={n_ctx}")
    n_embd = params["wte"].shape[1]
    ids = torch.as_tensor(np.asarray(ids, dtype=np.int64))
    x = T(params["wte"])[ids] + T(params["wpe"])[n_past:n_past + n_new]
    mask = torch.ones(n_new, n_past + n_new, dtype=torch.bool).tril(diagonal=n_past)
    new_cache = []
    with torch.no_grad():
        for i, block in enumerate(params["blocks"]):
            h = F.layer_norm(x, (n_embd,), T(block["ln_1"]["g"]), T(block["ln_1"]["b"]), eps=1e-5)
            qkv = torch.addmm(T(block["attn"]["c_attn"]["b"]), h, T(block["attn"]["c_attn"]["w"]))
            q, k, v = (a.view(n_new, n_head, -1).transpose(0, 1) for a in qkv.split(n_embd, dim=-1))
            if cache is not None:
                k = torch.cat([T(cache[i][0]), k], dim=1)
                v = torch.cat([T(cache[i][1]), v], dim=1)
            new_cache.append((k.numpy().copy(), v.numpy().copy()))
            att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(0, 1).reshape(n_new, n_embd)
            x = x + torch.addmm(T(block["attn"]["c_proj"]["b"]), att, T(block["attn"]["c_proj"]["w"]))
            h = F.layer_norm(x, (n_embd,), T(block["ln_2"]["g"]), T(block["ln_2"]["b"]), eps=1e-5)
            h = F.gelu(torch.addmm(T(block["mlp"]["c_fc"]["b"]), h, T(block["mlp"]["c_fc"]["w"])), approximate="tanh")
            x = x + torch.addmm(T(block["mlp"]["c_proj"]["b"]), h, T(block["mlp"]["c_proj"]["w"]))
        x = F.layer_norm(x, (n_embd,), T(params["ln_f"]["g"]), T(params["ln_f"]["b"]), eps=1e-5)
        return (x @ T(params["wte"]).T).numpy(), new_cache
'''),
    Alternative("gpt2_cached", "picoGPT-style, one head at a time", "picoGPT", '''
from solutions import ffn, layer_norm, linear, softmax


def gpt2_cached(ids, params, n_head, cache=None):
    wte, wpe = params["wte"], params["wpe"]
    n_past = 0 if cache is None else cache[0][0].shape[1]
    if n_past + len(ids) > len(wpe):
        raise ValueError(f"{n_past} cached + {len(ids)} new tokens do not fit in n_ctx={len(wpe)}")
    x = wte[ids] + wpe[range(n_past, n_past + len(ids))]
    new_cache = []
    for layer, block in enumerate(params["blocks"]):
        qkv = linear(layer_norm(x, **block["ln_1"]), **block["attn"]["c_attn"])  # [n_new, 3*n_embd]
        q, k, v = np.split(qkv, 3, axis=-1)
        heads, ks, vs = [], [], []
        for h, (q_h, k_h, v_h) in enumerate(zip(*(np.split(t, n_head, axis=-1) for t in (q, k, v)))):
            if cache is not None:
                k_h = np.vstack([cache[layer][0][h], k_h])
                v_h = np.vstack([cache[layer][1][h], v_h])
            ks.append(k_h)
            vs.append(v_h)
            mask = (1 - np.tri(len(q_h), len(k_h), k=len(k_h) - len(q_h), dtype=x.dtype)) * -1e10
            heads.append(softmax(q_h @ k_h.T / np.sqrt(q_h.shape[-1]).astype(x.dtype) + mask) @ v_h)
        new_cache.append((np.stack(ks), np.stack(vs)))
        x = x + linear(np.hstack(heads), **block["attn"]["c_proj"])
        x = x + ffn(layer_norm(x, **block["ln_2"]), **block["mlp"])
    return layer_norm(x, **params["ln_f"]) @ wte.T, new_cache
'''),
    # ---------------------------------------------------------------------------------------------------------
    Alternative("generate_cached", "prompt once, then one token per step (einsum forward)", "independent", '''
def generate_cached(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None,
                    eos_id=50256):
    prompt = [int(i) for i in ids]
    if len(prompt) + n_new > params["wpe"].shape[0]:
        raise ValueError(f"{len(prompt)} + {n_new} tokens exceed n_ctx={params['wpe'].shape[0]}")
    new, cache, feed = [], None, prompt
    for _ in range(n_new):
        logits, cache = _einsum_forward(feed, params, n_head, cache)
        token = int(np.argmax(logits[-1])) if rng is None else _einsum_sample(logits[-1], rng, temperature,
                                                                               top_k, top_p)
        new.append(token)
        if token == eos_id:
            break
        feed = [token]
    return new
''' + CACHED_FORWARD.format(name="_einsum_forward") + SAMPLER.format(name="_einsum_sample")),
    Alternative("generate_cached", "a preallocated cache filled in place (a static cache)", "independent", '''
from solutions import ffn, layer_norm, linear, softmax


def generate_cached(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None,
                    eos_id=50256):
    seq = [int(i) for i in ids]
    n_ctx, n_embd = params["wpe"].shape
    if len(seq) + n_new > n_ctx:
        raise ValueError(f"the prompt ({len(seq)}) and n_new ({n_new}) do not fit in n_ctx={n_ctx}")
    d = n_embd // n_head
    K = np.zeros((len(params["blocks"]), n_head, n_ctx, d), dtype=params["wte"].dtype)
    V = np.zeros_like(K)
    length, new = 0, []
    feed = seq
    while len(new) < n_new:
        x = params["wte"][feed] + params["wpe"][length:length + len(feed)]
        end = length + len(feed)
        for i, block in enumerate(params["blocks"]):
            q, k, v = np.split(linear(layer_norm(x, **block["ln_1"]), **block["attn"]["c_attn"]), 3, axis=-1)
            q, k, v = (t.reshape(len(feed), n_head, d).transpose(1, 0, 2) for t in (q, k, v))
            K[i, :, length:end], V[i, :, length:end] = k, v
            mask = np.triu(np.full((len(feed), end), -1e10, dtype=x.dtype), k=length + 1)
            att = softmax(q @ K[i, :, :end].transpose(0, 2, 1) / math.sqrt(d) + mask) @ V[i, :, :end]
            x = x + linear(att.transpose(1, 0, 2).reshape(len(feed), n_embd), **block["attn"]["c_proj"])
            x = x + ffn(layer_norm(x, **block["ln_2"]), **block["mlp"])
        length = end
        logits = layer_norm(x[-1], **params["ln_f"]) @ params["wte"].T
        token = int(np.argmax(logits)) if rng is None else _static_sample(logits, rng, temperature, top_k, top_p)
        new.append(token)
        if token == eos_id:
            break
        feed = [token]
    return new
''' + SAMPLER.format(name="_static_sample")),
    Alternative("generate_cached", "Hugging Face's loop: feed the ids the cache has not seen", "Hugging Face", '''
def generate_cached(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None,
                    eos_id=50256):
    input_ids = [int(i) for i in ids]
    n_prompt = len(input_ids)
    if n_prompt + n_new > len(params["wpe"]):
        raise ValueError(f"n_ctx={len(params['wpe'])} is too short for {n_prompt} + {n_new} tokens")
    past_key_values, seen = None, 0
    while len(input_ids) - n_prompt < n_new:
        # prepare_inputs_for_generation: only the ids the cache does not hold yet
        logits, past_key_values = _hf_forward(input_ids[seen:], params, n_head, past_key_values)
        seen = len(input_ids)
        next_token_logits = logits[-1, :]
        if rng is None:
            next_tokens = int(np.argmax(next_token_logits))
        else:
            next_tokens = _hf_sample(next_token_logits, rng, temperature, top_k, top_p)
        input_ids = input_ids + [next_tokens]
        if next_tokens == eos_id:  # stopping criteria: eos is kept
            break
    return input_ids[n_prompt:]
''' + CACHED_FORWARD.format(name="_hf_forward") + SAMPLER.format(name="_hf_sample")),
]

# (worst correct alternative, nearest known mistake) in units of the tolerance, as tests/test_tolerances.py measures
# them (math.inf: caught structurally — token ids and filter decisions are compared exactly). apply_temperature: x / T
# computed as x * (1 / T) or in torch lands within 2 float32 steps (0.011 of rtol 1e-5). gpt2_cached: logits compared
# relative to their scale (5e-5 × max |logit|): einsum, torch SDPA and per-head versions land at 0.023 of it (2.5e-6 ×
# scale over 30 seeds), the nearest wrong logits (no mask) at 2e4 of it.
MEASURED = {
    "greedy": (0.0, math.inf),
    "apply_temperature": (0.011, math.inf),
    "top_k_filter": (0.0, math.inf),
    "top_p_filter": (0.0, math.inf),
    "sample_next": (0.0, math.inf),
    "generate": (0.0, math.inf),
    "gpt2_cached": (0.023, 2e4),
    "generate_cached": (0.0, math.inf),
}
