"""Chapter 09's mutants: wrong batches, unstable or mis-averaged losses, schedules with the wrong shape, train steps
in the wrong order, and end-to-end generation that returns the wrong text."""

from . import Mutant

MUTANTS = [
    # get_batch --------------------------------------------------------------------------------------------------
    Mutant("get_batch", "y not shifted", "y-not-shifted", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    ix = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    x = np.stack([tokens[i:i + n_ctx] for i in ix]).astype(np.int64)
    return x, x.copy()
'''),
    Mutant("get_batch", "shifted the wrong way", "shifted-the-wrong-way", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    ix = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    y = np.stack([tokens[i:i + n_ctx] for i in ix]).astype(np.int64)
    x = np.stack([tokens[i + 1:i + 1 + n_ctx] for i in ix]).astype(np.int64)
    return x, y
'''),
    Mutant("get_batch", "y is the next window", "y-next-window", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    ix = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    x = np.array([tokens[i:i + n_ctx] for i in ix], dtype=np.int64)
    y = [tokens[i + n_ctx:i + 2 * n_ctx] for i in ix]
    return x, np.array(y, dtype=np.int64)
'''),
    Mutant("get_batch", "windows run past the end", "runs-past-the-end", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    starts = rng.integers(0, len(tokens) - n_ctx + 1, size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts]).astype(np.int64)
    return w[:, :-1], w[:, 1:]
'''),
    Mutant("get_batch", "uint16 kept", "wrong-dtype", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    starts = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts])
    return w[:, :-1], w[:, 1:]
'''),
    Mutant("get_batch", "no length check", "no-length-check", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    starts = rng.integers(0, max(1, len(tokens) - n_ctx), size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts]).astype(np.int64)
    return w[:, :-1], w[:, 1:]
'''),
    Mutant("get_batch", "transposed", "transposed", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    starts = rng.integers(0, len(tokens) - n_ctx, size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts], axis=1).astype(np.int64)
    return w[:-1], w[1:]
'''),
    Mutant("get_batch", "np.random's global state", "use-the-rng", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    starts = np.random.randint(0, len(tokens) - n_ctx, size=batch_size)
    w = np.stack([tokens[s:s + n_ctx + 1] for s in starts]).astype(np.int64)
    return w[:, :-1], w[:, 1:]
'''),
    Mutant("get_batch", "torch.randint (nanoGPT unadapted)", "use-the-rng", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    import torch
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens")
    ix = torch.randint(len(tokens) - n_ctx, (batch_size,))
    x = np.stack([tokens[i:i + n_ctx] for i in ix.tolist()]).astype(np.int64)
    y = np.stack([tokens[i + 1:i + 1 + n_ctx] for i in ix.tolist()]).astype(np.int64)
    return x, y
'''),
    # cross_entropy ----------------------------------------------------------------------------------------------
    Mutant("cross_entropy", "no max subtraction", "no-max-subtraction", '''
def cross_entropy(logits, targets):
    logits = np.asarray(logits, dtype=np.float64)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., None], axis=-1).mean())
'''),
    Mutant("cross_entropy", "naive softmax then log", "naive-softmax", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    probs = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    p = np.take_along_axis(probs, targets[..., None], axis=-1)
    return float(np.mean(-np.log(p)))
'''),
    Mutant("cross_entropy", "log of a stable softmax", "log-of-softmax", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    e = np.exp(x - x.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    flat = probs.reshape(-1, probs.shape[-1])
    return float(-np.log(flat[np.arange(len(flat)), targets.reshape(-1)]).mean())
'''),
    Mutant("cross_entropy", "sum instead of mean", "sum-not-mean", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., None], -1).sum())
'''),
    Mutant("cross_entropy", "bits", "log2", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(-1, keepdims=True)
    logp = (x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))) / np.log(2)
    return float(-np.take_along_axis(logp, targets[..., None], -1).mean())
'''),
    Mutant("cross_entropy", "no minus sign", "no-minus", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return float(np.take_along_axis(logp, targets[..., None], -1).mean())
'''),
    Mutant("cross_entropy", "mean over the whole vocabulary", "mean-over-vocab", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(-1, keepdims=True)
    return float(-(x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))).mean())
'''),
    Mutant("cross_entropy", "softmax over axis 0", "softmax-axis-0", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(0, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(0, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., None], -1).mean())
'''),
    Mutant("cross_entropy", "logp[:, targets]", "wrong-target-axis", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64).reshape(-1, np.shape(logits)[-1])
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return float(-logp[:, targets.reshape(-1)].mean())
'''),
    Mutant("cross_entropy", "targets shifted again", "off-by-one-targets", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)[..., :-1, :]
    m = x.max(-1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return float(-np.take_along_axis(logp, targets[..., 1:, None], -1).mean())
'''),
    Mutant("cross_entropy", "logits used as log-probabilities", "logits-not-log-probabilities", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    return float(-np.take_along_axis(x, targets[..., None], -1).mean())
'''),
    # lr_at ------------------------------------------------------------------------------------------------------
    Mutant("lr_at", "no warm-up", "no-warmup", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step >= max_steps:
        return min_lr
    return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * step / max_steps))
'''),
    Mutant("lr_at", "warm-up from zero", "warmup-from-zero", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    if step > max_steps:
        return min_lr
    ratio = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)
'''),
    Mutant("lr_at", "nanoGPT's (it + 1) / (warmup + 1)", "warmup-plus-one", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    if step > max_steps:
        return min_lr
    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (max_lr - min_lr)
'''),
    Mutant("lr_at", "linear decay", "linear-decay", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    frac = (step - warmup_steps) / (max_steps - warmup_steps)
    return max_lr + frac * (min_lr - max_lr)
'''),
    Mutant("lr_at", "cosine down to zero", "below-min-lr", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return 0.5 * max_lr * (1 + math.cos(math.pi * progress))
'''),
    Mutant("lr_at", "cosine restarts after max_steps", "restarts-after-max-steps", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (max_lr - min_lr)
'''),
    Mutant("lr_at", "progress counted from step 0", "progress-from-step-0", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    return min_lr + 0.5 * (1 + math.cos(math.pi * step / max_steps)) * (max_lr - min_lr)
'''),
    Mutant("lr_at", "quarter cosine", "quarter-cosine", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / (max_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) * math.cos(math.pi / 2 * progress)
'''),
    # train_step -------------------------------------------------------------------------------------------------
    Mutant("train_step", "no zero_grad", "no-zero-grad", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    Mutant("train_step", "clip after the step", "no-clipping", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
    loss.backward()
    optimizer.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    return loss.item()
'''),
    Mutant("train_step", "no clipping", "no-clipping", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
    Mutant("train_step", "clip by value", "clip-by-value", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    Mutant("train_step", "step before backward", "step-before-backward", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    optimizer.step()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    return loss.item()
'''),
    Mutant("train_step", "returns the loss tensor", "loss-not-a-float", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss
'''),
    Mutant("train_step", "loss recomputed after the step", "loss-after-the-step", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    with torch.no_grad():
        logits = model(x)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1)).item()
'''),
    Mutant("train_step", "no model.train()", "no-train-mode", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()
'''),
    # gpt2_generate ----------------------------------------------------------------------------------------------
    Mutant("gpt2_generate", "prompt included", "prompt-included", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import decode, encode, generate, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    ids = encode(prompt)
    new = generate(ids, params, hparams["n_head"], n_tokens_to_generate)
    return decode(ids + new)
'''),
    Mutant("gpt2_generate", "ids returned", "ids-not-text", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import encode, generate, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    return generate(encode(prompt), params, hparams["n_head"], n_tokens_to_generate)
'''),
    Mutant("gpt2_generate", "one token short", "one-token-short", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import decode, encode, gpt2, greedy, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    ids = encode(prompt)
    for _ in range(n_tokens_to_generate - 1):
        ids.append(greedy(gpt2(ids, **params, n_head=hparams["n_head"])))
    return decode(ids[len(encode(prompt)):])
'''),
    Mutant("gpt2_generate", "one token too many", "one-token-too-many", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import decode, encode, gpt2, greedy, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    ids = encode(prompt)
    n = len(ids)
    for _ in range(n_tokens_to_generate + 1):
        ids.append(greedy(gpt2(ids, **params, n_head=hparams["n_head"])))
    return decode(ids[n:])
'''),
    Mutant("gpt2_generate", "tokens joined with spaces", "joined-with-spaces", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import decode, encode, generate, load_gpt2_params
    from solutions import course_model_dir
    hparams, params = load_gpt2_params(course_model_dir())
    new = generate(encode(prompt), params, hparams["n_head"], n_tokens_to_generate)
    return " ".join(decode([t]) for t in new)
'''),
]
