"""Correct training pieces of different shapes: nanoGPT's get_batch, LLMs-from-scratch's sliding windows and
calc_loss_batch / train_model_simple, build-nanogpt's get_lr and training step, torch's cross-entropy, log-sum-exp
by hand and with np.logaddexp, and deep-ml's / picoGPT's gpt2_generate written with a loop, a KV cache and chapter
07's PyTorch GPT2 — each adapted with the smallest faithful change to the stub's signature."""

import math

from . import Alternative

ALTERNATIVES = [
    # get_batch --------------------------------------------------------------------------------------------------
    Alternative("get_batch", "nanoGPT's get_batch (rng instead of torch.randint, the length check added)",
                "nanoGPT", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    import torch
    if len(tokens) < n_ctx + 1:  # adapted: the docstring's ValueError
        raise ValueError(f"{len(tokens)} tokens, need n_ctx + 1 = {n_ctx + 1}")
    data = tokens
    block_size = n_ctx
    ix = rng.integers(len(data) - block_size, size=(batch_size,))  # adapted: torch.randint -> the given rng
    x = torch.stack([torch.from_numpy((data[i:i + block_size]).astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy((data[i + 1:i + 1 + block_size]).astype(np.int64)) for i in ix])
    return x, y
'''),
    Alternative("get_batch", "sliding_window_view", "independent", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("need at least n_ctx + 1 tokens")
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(tokens), n_ctx + 1)  # [n - n_ctx, n_ctx + 1]
    chosen = windows[rng.integers(0, len(tokens) - n_ctx, size=batch_size)].astype(np.int64)
    return chosen[:, :-1], chosen[:, 1:]
'''),
    Alternative("get_batch", "LLMs-from-scratch's GPTDatasetV1 windows, drawn by the rng", "LLMs-from-scratch", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    if len(tokens) < n_ctx + 1:
        raise ValueError("too few tokens for one window")
    max_length = n_ctx
    input_ids, target_ids = [], []
    for i in rng.integers(0, len(tokens) - max_length, size=batch_size):  # adapted: random starts, not a stride
        input_chunk = tokens[i:i + max_length]
        target_chunk = tokens[i + 1:i + max_length + 1]
        input_ids.append([int(t) for t in input_chunk])
        target_ids.append([int(t) for t in target_chunk])
    return np.array(input_ids, dtype=np.int64), np.array(target_ids, dtype=np.int64)
'''),
    Alternative("get_batch", "fancy indexing with an offset grid", "independent", '''
def get_batch(tokens, batch_size, n_ctx, rng):
    tokens = np.asarray(tokens)
    if tokens.shape[0] <= n_ctx:
        raise ValueError(f"get_batch: {tokens.shape[0]} tokens <= n_ctx = {n_ctx}")
    starts = rng.integers(0, tokens.shape[0] - n_ctx, size=batch_size)
    idx = starts[:, None] + np.arange(n_ctx)[None, :]
    return tokens[idx].astype(np.int64), tokens[idx + 1].astype(np.int64)
'''),
    # cross_entropy ----------------------------------------------------------------------------------------------
    Alternative("cross_entropy", "LLMs-from-scratch's calc_loss_batch (torch, flatten)", "LLMs-from-scratch", '''
def cross_entropy(logits, targets):
    import torch
    logits = torch.from_numpy(np.asarray(logits))
    target_batch = torch.from_numpy(np.asarray(targets)).long()
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, -2), target_batch.flatten())
    return loss.item()
'''),
    Alternative("cross_entropy", "log-sum-exp by hand, fancy indexing", "independent", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64).reshape(-1, np.shape(logits)[-1])
    t = np.asarray(targets).reshape(-1)
    m = x.max(axis=1)
    lse = m + np.log(np.exp(x - m[:, None]).sum(axis=1))
    return float(np.mean(lse - x[np.arange(len(t)), t]))
'''),
    Alternative("cross_entropy", "np.logaddexp.reduce", "independent", '''
def cross_entropy(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    lse = np.logaddexp.reduce(x, axis=-1)
    picked = np.take_along_axis(x, np.asarray(targets)[..., None], axis=-1)[..., 0]
    return float((lse - picked).mean())
'''),
    Alternative("cross_entropy", "torch.log_softmax + gather (Karpathy's nll by hand)", "independent", '''
def cross_entropy(logits, targets):
    import torch
    x = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    logprobs = x.log_softmax(dim=-1).reshape(-1, x.shape[-1])
    ys = torch.as_tensor(np.asarray(targets)).reshape(-1)
    return float(-logprobs[torch.arange(len(ys)), ys].mean())
'''),
    # lr_at ------------------------------------------------------------------------------------------------------
    Alternative("lr_at", "build-nanogpt's get_lr", "build-nanogpt", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    it = step
    # 1) linear warmup for warmup_iters steps
    if it < warmup_steps:
        return max_lr * (it + 1) / warmup_steps
    # 2) if it > lr_decay_iters, return min learning rate
    if it > max_steps:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_steps) / (max_steps - warmup_steps)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # coeff starts at 1 and goes to 0
    return min_lr + coeff * (max_lr - min_lr)
'''),
    Alternative("lr_at", "cos² form with a clamped progress", "independent", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    if step < warmup_steps:
        return (step + 1) / warmup_steps * max_lr
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))
    return min_lr + (max_lr - min_lr) * math.cos(math.pi * progress / 2) ** 2
'''),
    Alternative("lr_at", "torch's CosineAnnealingLR formula with numpy", "independent", '''
def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    warm = max_lr * (step + 1) / warmup_steps if warmup_steps else max_lr
    t = np.clip(step - warmup_steps, 0, max_steps - warmup_steps)
    t_max = max(1, max_steps - warmup_steps)
    cosine = min_lr + (max_lr - min_lr) * (1 + np.cos(np.pi * t / t_max)) / 2
    return float(warm if step < warmup_steps else cosine)
'''),
    # train_step -------------------------------------------------------------------------------------------------
    Alternative("train_step", "LLMs-from-scratch's train_model_simple inner loop (clipping added)",
                "LLMs-from-scratch", '''
def calc_loss_batch(input_batch, target_batch, model, device="cpu"):
    import torch
    input_batch, target_batch = input_batch.to(device), target_batch.to(device)
    logits = model(input_batch)
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.flatten())
    return loss


def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    model.train()
    optimizer.zero_grad()  # Reset loss gradients from previous batch iteration
    loss = calc_loss_batch(x, y, model)
    loss.backward()  # Calculate loss gradients
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)  # adapted: the appendix-D clipping
    optimizer.step()  # Update model weights using loss gradients
    return loss.item()
'''),
    Alternative("train_step", "build-nanogpt's step", "build-nanogpt", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    import torch.nn.functional as F
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return float(loss.detach())
'''),
    Alternative("train_step", "hand-written log-softmax, zero_grad(set_to_none=False)", "independent", '''
def train_step(model, optimizer, x, y, clip=1.0):
    import torch
    model.train(True)
    optimizer.zero_grad(set_to_none=False)
    logits = model(torch.as_tensor(x))
    logp = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    loss = -logp.gather(-1, torch.as_tensor(y)[..., None]).mean()
    loss.backward()
    params = [p for p in model.parameters() if p.grad is not None]
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in params))
    scale = min(1.0, clip / (float(total) + 1e-6))
    for p in params:
        p.grad.mul_(scale)
    optimizer.step()
    return loss.item()
'''),
    # gpt2_generate ----------------------------------------------------------------------------------------------
    Alternative("gpt2_generate", "picoGPT's main and generate loop", "picoGPT", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import course_model_dir, decode, encode, gpt2, load_gpt2_params
    hparams, params = load_gpt2_params(course_model_dir())  # adapted: the course model, not OpenAI's download
    inputs = encode(prompt)
    assert len(inputs) + n_tokens_to_generate < hparams["n_ctx"]
    for _ in range(n_tokens_to_generate):  # auto-regressive decode loop
        logits = gpt2(inputs, **params, n_head=hparams["n_head"])  # model forward pass
        next_id = np.argmax(logits[-1])  # greedy sampling
        inputs.append(int(next_id))  # append prediction to input
        if next_id == 50256:  # adapted: stop after <|endoftext|>, as the docstring says
            break
    output_ids = inputs[len(inputs) - len(inputs) + len(encode(prompt)):]  # only generated ids
    return decode(output_ids)
'''),
    Alternative("gpt2_generate", "chapter 08's KV cache", "independent", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    from solutions import course_model_dir, decode, encode, generate_cached, load_gpt2_params
    hparams, params = load_gpt2_params(course_model_dir())
    return decode(generate_cached(encode(prompt), params, hparams["n_head"], n_tokens_to_generate))
'''),
    Alternative("gpt2_generate", "chapter 07's PyTorch GPT2", "independent", '''
def gpt2_generate(prompt, n_tokens_to_generate=40):
    import torch
    from solutions import GPT2, course_model_dir, decode, encode, load_gpt2_params
    hparams, params = load_gpt2_params(course_model_dir())
    model = GPT2.from_params(hparams, params).eval()
    ids = encode(prompt)
    new = []
    with torch.no_grad():
        for _ in range(n_tokens_to_generate):
            t = int(model(torch.tensor(ids + new))[-1].argmax())
            new.append(t)
            if t == 50256:
                break
    return decode(new)
'''),
]

# (worst correct alternative, nearest known mistake), in units of the tolerance — as tests/test_tolerances.py measured
MEASURED = {
    "get_batch": (0, math.inf),  # integers, compared exactly
    "cross_entropy": (0.0041, math.inf),  # torch float32 on float32 logits; no-max / naive softmax give inf or NaN
    "lr_at": (5e-07, 8.4e+07),  # the cos² and numpy forms round differently (~1e-16 relative)
    "train_step": (0.0076, 7.1e+02),  # a hand-written log-softmax and clipping, after two SGD / AdamW steps
    "gpt2_generate": (0, math.inf),  # text, compared exactly (the prompts have no near-tie: test_ch09_training.py)
}
