from . import Mutant


def edit(source: str, *edits: tuple[str, str]) -> str:
    """`source` with each (old, new) edit applied; every edit must change something."""
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


# Learners' correct versions, which the mutants below break in one place each. They import this chapter's other
# exercises inside the function, so that a mutant put into a solved notebook leaves that notebook's functions alone.
GENERATE = '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    from solutions import greedy, sample_next  # inside: a notebook's own greedy and sample_next stay untouched
    ids = [int(i) for i in ids]
    n_ctx = params["wpe"].shape[0]
    if len(ids) + n_new > n_ctx:
        raise ValueError(f"{len(ids)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}")
    new = []
    for _ in range(n_new):
        logits = gpt2(ids + new, **params, n_head=n_head)
        if rng is None:
            token = greedy(logits)
        else:
            token = sample_next(logits, rng, temperature, top_k, top_p)
        new.append(token)
        if token == eos_id:
            break
    return new
'''

GENERATE_CACHED = '''
def generate_cached(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None,
                    eos_id=50256):
    from solutions import gpt2_cached, greedy, sample_next
    ids = [int(i) for i in ids]
    n_ctx = params["wpe"].shape[0]
    if len(ids) + n_new > n_ctx:
        raise ValueError(f"{len(ids)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}")
    new = []
    if n_new == 0:
        return new
    logits, cache = gpt2_cached(ids, params, n_head)
    while True:
        token = greedy(logits) if rng is None else sample_next(logits, rng, temperature, top_k, top_p)
        new.append(token)
        if token == eos_id or len(new) == n_new:
            return new
        logits, cache = gpt2_cached([token], params, n_head, cache)
'''

GPT2_CACHED = '''
from solutions import ffn, layer_norm, linear, merge_heads, softmax, split_heads


def gpt2_cached(ids, params, n_head, cache=None):
    wte, wpe = params["wte"], params["wpe"]
    n_past = 0 if cache is None else cache[0][0].shape[1]
    if n_past + len(ids) > len(wpe):
        raise ValueError(f"{n_past} cached + {len(ids)} new tokens is longer than the context n_ctx={len(wpe)}")
    x = wte[ids] + wpe[n_past:n_past + len(ids)]
    new_cache = []
    for i, block in enumerate(params["blocks"]):
        h = layer_norm(x, **block["ln_1"])
        q, k, v = np.split(linear(h, **block["attn"]["c_attn"]), 3, axis=-1)
        q, k, v = split_heads(q, n_head), split_heads(k, n_head), split_heads(v, n_head)
        if cache is not None:
            k = np.concatenate([cache[i][0], k], axis=1)
            v = np.concatenate([cache[i][1], v], axis=1)
        new_cache.append((k, v))
        n_new, n_total = q.shape[1], k.shape[1]
        mask = np.triu(np.full((n_new, n_total), -1e10, dtype=x.dtype), k=n_total - n_new + 1)
        att = softmax(q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1]) + mask) @ v
        x = x + linear(merge_heads(att), **block["attn"]["c_proj"])
        x = x + ffn(layer_norm(x, **block["ln_2"]), **block["mlp"])
    return layer_norm(x, **params["ln_f"]) @ wte.T, new_cache
'''

TOP_P = '''
def top_p_filter(logits, p):
    if not 0 <= p <= 1:
        raise ValueError(f"top_p must lie in [0, 1], got {p}")
    order = np.argsort(-logits, axis=-1)
    sorted_logits = np.take_along_axis(logits, order, axis=-1)
    probs = np.exp(sorted_logits - sorted_logits[..., :1])
    probs = probs / probs.sum(axis=-1, keepdims=True)
    cum = np.cumsum(probs, axis=-1)
    keep_sorted = cum - probs < p
    keep_sorted[..., 0] = True
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return np.where(keep, logits, -np.inf).astype(logits.dtype)
'''

TOP_K = '''
def top_k_filter(logits, k):
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    k = min(k, logits.shape[-1])
    kth = np.sort(logits, axis=-1)[..., -k, None]
    return np.where(logits < kth, -np.inf, logits)
'''

SAMPLE = '''
from solutions import softmax


def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    from solutions import apply_temperature, greedy, top_k_filter, top_p_filter
    logits = np.asarray(logits)
    if logits.ndim == 2:
        logits = logits[-1]
    if temperature == 0:
        return greedy(logits)
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = softmax(logits.astype(np.float64))
    return int(rng.choice(len(probs), p=probs))
'''

ROOM = ("    if len(ids) + n_new > n_ctx:\n"
        "        raise ValueError(f\"{len(ids)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}\")\n")
STOP = "        if token == eos_id:\n            break\n"
CACHE_STEP = "        logits, cache = gpt2_cached([token], params, n_head, cache)"

# The first mutant is the one the notebook tests put into an otherwise solved chapter: generate, which no other
# exercise calls, written without this chapter's other exercises (a notebook importing those from `solutions` would
# lose their points).
MUTANTS = [
    Mutant("generate", "returns the prompt with the new tokens", "returns-prompt", '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    seq = list(ids)
    if len(seq) + n_new > len(params["wpe"]):
        raise ValueError(f"too long for the context n_ctx={len(params['wpe'])}")
    for _ in range(n_new):
        z = gpt2(seq, **params, n_head=n_head)[-1]
        if rng is None:
            token = int(np.argmax(z))
        else:
            p = np.exp((z - z.max()) / temperature)
            token = int(rng.choice(len(p), p=p / p.sum()))
        seq.append(token)
        if token == eos_id:
            break
    return seq
'''),
    Mutant("generate", "does not stop at <|endoftext|>", "no-stop-at-eos",
           edit(GENERATE, (STOP, ""))),
    Mutant("generate", "stops before emitting <|endoftext|>", "eos-dropped",
           edit(GENERATE, ("        new.append(token)\n" + STOP, "        if token == eos_id:\n            break\n"
                                                                 "        new.append(token)\n"))),
    Mutant("generate", "always greedy", "ignores-rng",
           edit(GENERATE, ("        if rng is None:\n            token = greedy(logits)\n        else:\n"
                           "            token = sample_next(logits, rng, temperature, top_k, top_p)\n",
                           "        token = greedy(logits)\n"))),
    Mutant("generate", "next token from the first position", "first-position",
           edit(GENERATE, ("token = greedy(logits)", "token = greedy(logits[0])"),
                ("token = sample_next(logits, rng", "token = sample_next(logits[0], rng"))),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("greedy", "argmax of the flattened array", "greedy_flat", '''
def greedy(logits):
    return int(np.argmax(logits))
'''),
    Mutant("greedy", "argmax of the first position", "greedy_first_row", '''
def greedy(logits):
    if logits.ndim == 2:
        logits = logits[0]
    return int(logits.argmax())
'''),
    Mutant("greedy", "argmax over the wrong axis", "greedy_axis0", '''
def greedy(logits):
    return np.argmax(logits, axis=0)
'''),
    Mutant("greedy", "argmin", "greedy_argmin", '''
def greedy(logits):
    return int(np.argmin(np.atleast_2d(logits)[-1]))
'''),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("apply_temperature", "multiplies", "temperature_times", '''
def apply_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    return logits * temperature
'''),
    Mutant("apply_temperature", "temperature after softmax", "temperature_after_softmax", '''
def apply_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = probs / probs.sum(axis=-1, keepdims=True)
    return probs / temperature
'''),
    Mutant("apply_temperature", "no check of the temperature", "temperature_unchecked", '''
def apply_temperature(logits, temperature):
    return logits / temperature
'''),
    Mutant("apply_temperature", "divides in place", "mutated-input", '''
def apply_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    logits /= temperature
    return logits
'''),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("top_k_filter", "keeps the k smallest", "top_k_smallest", edit(
        TOP_K, ("kth = np.sort(logits, axis=-1)[..., -k, None]", "kth = np.sort(logits, axis=-1)[..., k - 1, None]"),
        ("np.where(logits < kth", "np.where(logits > kth"))),
    Mutant("top_k_filter", "keeps k+1", "top_k_plus_one", edit(
        TOP_K, ("k = min(k, logits.shape[-1])", "k = min(k + 1, logits.shape[-1])"))),
    Mutant("top_k_filter", "keeps k-1", "top_k_minus_one", edit(TOP_K, ("logits < kth", "logits <= kth"))),
    Mutant("top_k_filter", "exactly k indices, ties dropped", "top_k_exactly_k", '''
def top_k_filter(logits, k):
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    idx = np.argsort(logits, axis=-1)[..., -k:]
    out = np.full_like(logits, -np.inf)
    np.put_along_axis(out, idx, np.take_along_axis(logits, idx, axis=-1), axis=-1)
    return out
'''),
    Mutant("top_k_filter", "removed tokens set to 0", "top_k_zero",
           edit(TOP_K, ("-np.inf, logits", "0.0, logits"))),
    Mutant("top_k_filter", "k larger than the vocabulary", "top_k_no_min",
           edit(TOP_K, ("    k = min(k, logits.shape[-1])\n", ""))),
    Mutant("top_k_filter", "sorted along axis 0", "top_k_axis0", '''
def top_k_filter(logits, k):
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    kth = np.sort(logits, axis=0)[-min(k, len(logits))]
    return np.where(logits < kth, -np.inf, logits)
'''),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("top_p_filter", "drops the token that crosses p", "top_p_drop_crossing",
           edit(TOP_P, ("cum - probs < p", "cum <= p"))),
    Mutant("top_p_filter", "drops the crossing token and may keep none", "top_p_drop_crossing",
           edit(TOP_P, ("cum - probs < p", "cum <= p"), ("    keep_sorted[..., 0] = True\n", ""))),
    Mutant("top_p_filter", "keeps none for p=0", "top_p_none",
           edit(TOP_P, ("    keep_sorted[..., 0] = True\n", ""))),
    Mutant("top_p_filter", "boundary: a set reaching p exactly is not enough", "top_p_boundary",
           edit(TOP_P, ("cum - probs < p", "cum - probs <= p"))),
    Mutant("top_p_filter", "cumulative sum of logits", "top_p_on_logits",
           edit(TOP_P, ("    cum = np.cumsum(probs, axis=-1)\n    keep_sorted = cum - probs < p\n",
                        "    cum = np.cumsum(sorted_logits, axis=-1)\n    keep_sorted = cum - sorted_logits < p\n"))),
    Mutant("top_p_filter", "keeps the least likely tokens", "top_p_least_likely",
           edit(TOP_P, ("order = np.argsort(-logits, axis=-1)", "order = np.argsort(logits, axis=-1)"),
                ("probs = np.exp(sorted_logits - sorted_logits[..., :1])",
                 "probs = np.exp(sorted_logits - sorted_logits.max(axis=-1, keepdims=True))"),
                ("keep_sorted = cum - probs < p\n    keep_sorted[..., 0] = True",
                 "keep_sorted = cum <= p\n    keep_sorted[..., 0] |= ~keep_sorted.any(axis=-1)"))),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("sample_next", "samples from the logits", "sample_from_logits",
           edit(SAMPLE, ("    probs = softmax(logits.astype(np.float64))\n"
                         "    return int(rng.choice(len(probs), p=probs))",
                         "    return int(rng.choice(len(logits), p=logits))"))),
    Mutant("sample_next", "np.exp of the logits, not normalised", "sample_exp_unnormalised",
           edit(SAMPLE, ("    probs = softmax(logits.astype(np.float64))\n",
                         "    probs = np.exp(logits.astype(np.float64))\n"))),
    Mutant("sample_next", "temperature after the softmax", "temperature_after_softmax",
           edit(SAMPLE, ("    logits = apply_temperature(logits, temperature)\n", ""),
                ("    probs = softmax(logits.astype(np.float64))\n",
                 "    probs = softmax(logits.astype(np.float64)) / temperature\n    probs = probs / probs.sum()\n"))),
    Mutant("sample_next", "temperature after the filters", "temperature_after_filters",
           edit(SAMPLE, ("    logits = apply_temperature(logits, temperature)\n", ""),
                ("    probs = softmax(logits.astype(np.float64))\n",
                 "    probs = softmax(apply_temperature(logits, temperature).astype(np.float64))\n"))),
    Mutant("sample_next", "filters ignored", "filters_ignored",
           edit(SAMPLE, ("    if top_k is not None:\n        logits = top_k_filter(logits, top_k)\n"
                         "    if top_p is not None:\n        logits = top_p_filter(logits, top_p)\n", ""))),
    Mutant("sample_next", "first position", "sample_first_position",
           edit(SAMPLE, ("logits = logits[-1]", "logits = logits[0]"))),
    Mutant("sample_next", "argmax instead of a draw", "sample_always_greedy",
           edit(SAMPLE, ("return int(rng.choice(len(probs), p=probs))", "return int(np.argmax(probs))"))),
    Mutant("sample_next", "another way to draw", "sample_multinomial",
           edit(SAMPLE, ("return int(rng.choice(len(probs), p=probs))",
                         "return int(rng.multinomial(1, probs).argmax())"))),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("gpt2_cached", "positions restart at 0", "positions-restart",
           edit(GPT2_CACHED, ("wpe[n_past:n_past + len(ids)]", "wpe[:len(ids)]"))),
    Mutant("gpt2_cached", "cache not extended: keeps only the new positions", "cache-only-new",
           edit(GPT2_CACHED, ('''        if cache is not None:
            k = np.concatenate([cache[i][0], k], axis=1)
            v = np.concatenate([cache[i][1], v], axis=1)
        new_cache.append((k, v))
''', '''        new_cache.append((k, v))
        if cache is not None:
            k = np.concatenate([cache[i][0], k], axis=1)
            v = np.concatenate([cache[i][1], v], axis=1)
'''))),
    Mutant("gpt2_cached", "cache not extended: returns the cache it was given", "cache-not-extended",
           edit(GPT2_CACHED, ("return layer_norm(x, **params[\"ln_f\"]) @ wte.T, new_cache",
                              "return layer_norm(x, **params[\"ln_f\"]) @ wte.T, cache if cache else new_cache"))),
    Mutant("gpt2_cached", "square causal mask", "square-mask",
           edit(GPT2_CACHED, ("        mask = np.triu(np.full((n_new, n_total), -1e10, dtype=x.dtype), "
                              "k=n_total - n_new + 1)\n",
                              "        mask = causal_mask(n_new)\n"),
                ("from solutions import ffn,", "from solutions import causal_mask, ffn,"))),
    Mutant("gpt2_cached", "no mask", "no-mask",
           edit(GPT2_CACHED, (" + mask)", ")"))),
    Mutant("gpt2_cached", "modifies the cache it is given", "cache-modified",
           edit(GPT2_CACHED, ("    new_cache = []\n", "    new_cache = cache if cache is not None else []\n"),
                ("        new_cache.append((k, v))\n",
                 "        if cache is None:\n            new_cache.append((k, v))\n"
                 "        else:\n            new_cache[i] = (k, v)\n"))),
    Mutant("gpt2_cached", "concatenates along the heads axis", "concat-heads-axis",
           edit(GPT2_CACHED, ("[cache[i][0], k], axis=1", "[cache[i][0], k], axis=0"),
                ("[cache[i][1], v], axis=1", "[cache[i][1], v], axis=0"))),
    # ---------------------------------------------------------------------------------------------------------
    Mutant("generate_cached", "cache not extended", "cache-not-updated",
           edit(GENERATE_CACHED, (CACHE_STEP, "        logits, _ = gpt2_cached([token], params, n_head, cache)"))),
    Mutant("generate_cached", "does not stop at <|endoftext|>", "no-stop-at-eos",
           edit(GENERATE_CACHED, ("if token == eos_id or len(new) == n_new:", "if len(new) == n_new:"))),
    Mutant("generate_cached", "returns the prompt with the new tokens", "returns-prompt",
           edit(GENERATE_CACHED, ("            return new\n", "            return ids + new\n"))),
    Mutant("generate_cached", "always greedy", "ignores-rng",
           edit(GENERATE_CACHED, ("token = greedy(logits) if rng is None else sample_next(logits, rng, temperature, "
                                  "top_k, top_p)", "token = greedy(logits)"))),
    # ---------------------------------------------------------------------------------------------------------
    # mistakes that passed before (issue 11)
    Mutant("greedy", "argmax of logits[-1] even for 1-D logits", "last-entry-of-1d", '''
def greedy(logits):
    return int(np.argmax(logits[-1]))
'''),
    Mutant("apply_temperature", "divides only when T > 0", "divide-only-when-positive", '''
def apply_temperature(logits, temperature):
    if temperature > 0:
        return logits / temperature
    return logits
'''),
    Mutant("top_p_filter", "a threshold on the value keeps every tied logit", "top-p-keeps-all-ties",
           edit(TOP_P, ("    keep = np.zeros_like(keep_sorted)\n"
                        "    np.put_along_axis(keep, order, keep_sorted, axis=-1)\n",
                        "    cut = np.min(np.where(keep_sorted, sorted_logits, np.inf), axis=-1, keepdims=True)\n"
                        "    keep = logits >= cut\n"))),
    Mutant("sample_next", "top-p before top-k", "top-p-before-top-k",
           edit(SAMPLE, ("    if top_k is not None:\n        logits = top_k_filter(logits, top_k)\n"
                         "    if top_p is not None:\n        logits = top_p_filter(logits, top_p)\n",
                         "    if top_p is not None:\n        logits = top_p_filter(logits, top_p)\n"
                         "    if top_k is not None:\n        logits = top_k_filter(logits, top_k)\n"))),
    Mutant("generate", "stops on `token is eos_id`", "stops-on-is",
           edit(GENERATE, ("        if token == eos_id:\n", "        if token is eos_id:\n"))),
    Mutant("generate", "refuses a request that fills n_ctx exactly", "refuses-exact-fit",
           edit(GENERATE, ("if len(ids) + n_new > n_ctx:", "if len(ids) + n_new >= n_ctx:"))),
    Mutant("generate", "no length check of its own (the model's error comes late)", "length-checked-late",
           edit(GENERATE, (ROOM, ""))),
    Mutant("generate", "checks the length inside the loop, after running the model", "length-checked-late",
           edit(GENERATE, (ROOM, ""),
                ("        new.append(token)\n", "        new.append(token)\n        if len(ids) + len(new) > n_ctx:\n"
                 "            raise ValueError(f\"longer than n_ctx={n_ctx}\")\n"))),
    Mutant("generate", "picoGPT's assert", "picogpt-assert",
           edit(GENERATE, (ROOM, '    assert len(ids) + n_new < n_ctx, "prompt too long"\n'))),
    Mutant("generate", "crops to the last n_ctx tokens (nanoGPT)", "crops-to-context",
           edit(GENERATE, (ROOM, ""),
                ("logits = gpt2(ids + new, **params", "logits = gpt2((ids + new)[-n_ctx:], **params"))),
    Mutant("generate", "appends to the caller's list", "appends-to-prompt", '''
from solutions import gpt2


def generate(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None, eos_id=50256):
    from solutions import greedy, sample_next
    n_ctx = params["wpe"].shape[0]
    if len(ids) + n_new > n_ctx:
        raise ValueError(f"{len(ids)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}")
    n_prompt = len(ids)
    for _ in range(n_new):
        logits = gpt2(ids, **params, n_head=n_head)
        token = greedy(logits) if rng is None else sample_next(logits, rng, temperature, top_k, top_p)
        ids.append(token)
        if token == eos_id:
            break
    return ids[n_prompt:]
'''),
    Mutant("generate_cached", "stops before emitting <|endoftext|>", "eos-dropped",
           edit(GENERATE_CACHED, ("        new.append(token)\n        if token == eos_id or len(new) == n_new:\n",
                                  "        if token == eos_id:\n            return new\n        new.append(token)\n"
                                  "        if len(new) == n_new:\n"))),
    Mutant("generate_cached", "next token from the first position", "first-position",
           edit(GENERATE_CACHED, ("token = greedy(logits) if rng is None else sample_next(logits, rng,",
                                  "token = greedy(logits[0]) if rng is None else sample_next(logits[0], rng,"))),
    Mutant("generate_cached", "re-feeds the last prompt token", "refeeds-previous-token", '''
def generate_cached(ids, params, n_head, n_new, *, rng=None, temperature=1.0, top_k=None, top_p=None,
                    eos_id=50256):
    from solutions import gpt2_cached, greedy, sample_next
    seq = [int(i) for i in ids]
    n_ctx = params["wpe"].shape[0]
    if len(seq) + n_new > n_ctx:
        raise ValueError(f"{len(seq)} + {n_new} tokens do not fit in the context n_ctx={n_ctx}")
    new = []
    if n_new == 0:
        return new
    _, cache = gpt2_cached(seq, params, n_head)
    for _ in range(n_new):
        logits, cache = gpt2_cached(seq[-1:], params, n_head, cache)
        token = greedy(logits) if rng is None else sample_next(logits, rng, temperature, top_k, top_p)
        seq.append(token)
        new.append(token)
        if token == eos_id:
            break
    return new
'''),
    Mutant("generate_cached", "stops on `token is eos_id`", "stops-on-is",
           edit(GENERATE_CACHED, ("if token == eos_id or len(new) == n_new:",
                                  "if token is eos_id or len(new) == n_new:"))),
    Mutant("generate_cached", "refuses a request that fills n_ctx exactly", "refuses-exact-fit",
           edit(GENERATE_CACHED, ("if len(ids) + n_new > n_ctx:", "if len(ids) + n_new >= n_ctx:"))),
    Mutant("generate_cached", "no length check of its own", "length-checked-late",
           edit(GENERATE_CACHED, (ROOM, ""))),
    Mutant("generate_cached", "appends to the caller's list", "appends-to-prompt",
           edit(GENERATE_CACHED, ("    ids = [int(i) for i in ids]\n", ""),
                ("        new.append(token)\n", "        new.append(token)\n        ids.append(token)\n"))),
]
