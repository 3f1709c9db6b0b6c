"""Chapter 07 — the real GPT-2: loading Hugging Face checkpoints, and the same model as a PyTorch `nn.Module`.

A Hugging Face GPT-2 directory holds `config.json` (the hyper-parameters) and `model.safetensors` (the tensors).
Loading it is a keyed copy, because our parameter tree uses the checkpoint's own names:

    h.3.attn.c_attn.weight  ->  params["blocks"][3]["attn"]["c_attn"]["w"]     # [n_embd, 3*n_embd]

GPT-2's linear layers are `Conv1D`s that store their weight [in, out] — the layout `linear(x, w, b) = x @ w + b`
expects — so no tensor needs a transpose.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .ch01_tokens_and_embeddings import ENDOFTEXT_ID
from .params import HParams

PREFIX = "transformer."  # what `save_pretrained` puts in front of every name but lm_head's


# ----------------------------------------------------------------------------------------------------------------
# The checkpoint's layout: one table shared by the loader, the saver and the PyTorch port
# ----------------------------------------------------------------------------------------------------------------


def checkpoint_layout(hparams: HParams | dict):
    """Every GPT-2 tensor as (Hugging Face name without prefix, path in our params tree, shape).

    hparams -> iterator of (str, tuple, tuple), e.g. ("h.0.attn.c_attn.weight", ("blocks", 0, "attn", "c_attn", "w"),
    (n_embd, 3*n_embd)).
    """
    h = HParams.of(hparams)
    n_embd = h.n_embd
    yield "wte.weight", ("wte",), (h.n_vocab, n_embd)
    yield "wpe.weight", ("wpe",), (h.n_ctx, n_embd)
    linears = {  # name: (n_in, n_out), Conv1D layout
        "attn.c_attn": (n_embd, 3 * n_embd),
        "attn.c_proj": (n_embd, n_embd),
        "mlp.c_fc": (n_embd, 4 * n_embd),
        "mlp.c_proj": (4 * n_embd, n_embd),
    }
    for i in range(h.n_layer):
        for ln in ("ln_1", "ln_2"):
            yield f"h.{i}.{ln}.weight", ("blocks", i, ln, "g"), (n_embd,)
            yield f"h.{i}.{ln}.bias", ("blocks", i, ln, "b"), (n_embd,)
        for name, (n_in, n_out) in linears.items():
            path = ("blocks", i, *name.split("."))
            yield f"h.{i}.{name}.weight", (*path, "w"), (n_in, n_out)
            yield f"h.{i}.{name}.bias", (*path, "b"), (n_out,)
    yield "ln_f.weight", ("ln_f", "g"), (n_embd,)
    yield "ln_f.bias", ("ln_f", "b"), (n_embd,)


def _get(tree, path: tuple):
    """params["blocks"][3]["attn"] ... by path.  # (tree, path) -> leaf"""
    for key in path:
        tree = tree[key]
    return tree


def _set(tree: dict, path: tuple, value) -> None:
    """Create the nested dicts along `path` (blocks is a list that already exists) and store `value` at its end."""
    for key in path[:-1]:
        tree = tree[key] if isinstance(tree, list) else tree.setdefault(key, {})
    tree[path[-1]] = value


# ----------------------------------------------------------------------------------------------------------------
# config.json <-> hparams
# ----------------------------------------------------------------------------------------------------------------


def hparams_from_config(config: dict) -> dict:
    """Hugging Face GPT2Config (a dict) -> {n_vocab, n_ctx, n_embd, n_head, n_layer}; refuses variants we can't run."""
    try:
        n_vocab, n_embd, n_head, n_layer = config["vocab_size"], config["n_embd"], config["n_head"], config["n_layer"]
    except KeyError as e:
        raise ValueError(f"config.json has no {e.args[0]!r}: is this a GPT-2 checkpoint?") from None
    n_ctx = config.get("n_positions", config.get("n_ctx"))
    if n_ctx is None:
        raise ValueError("config.json has neither 'n_positions' nor 'n_ctx'")
    try:
        h = HParams(n_vocab=n_vocab, n_ctx=n_ctx, n_embd=n_embd, n_head=n_head, n_layer=n_layer)
    except (TypeError, ValueError) as e:  # a size that is not a whole number, not positive, or heads that don't fit
        raise ValueError(f"config.json: {e}") from None
    # Settings of GPT2Config that would make the checkpoint a different model from the one we implement.
    unsupported = {
        "model_type": ("gpt2", None),
        "activation_function": ("gelu_new", "gelu_pytorch_tanh", None),
        "layer_norm_epsilon": (1e-5, None),
        "n_inner": (None, 4 * h.n_embd),
        "scale_attn_weights": (True, None),
        "scale_attn_by_inverse_layer_idx": (False, None),
        "add_cross_attention": (False, None),
        "tie_word_embeddings": (True, None),
    }
    for key, allowed in unsupported.items():
        if config.get(key) not in allowed:
            raise ValueError(f"config.json sets {key}={config[key]!r}; this GPT-2 implementation needs one of "
                             f"{allowed}")
    return asdict(h)  # the plain dict load_gpt2_params promises


def config_from_hparams(hparams: HParams | dict) -> dict:
    """{n_vocab, n_ctx, n_embd, n_head, n_layer} -> a config.json that transformers loads as GPT2Config."""
    h = HParams.of(hparams)
    has_eos = h.n_vocab > ENDOFTEXT_ID  # a toy vocabulary has no <|endoftext|>
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": h.n_vocab,
        "n_positions": h.n_ctx,
        "n_embd": h.n_embd,
        "n_head": h.n_head,
        "n_layer": h.n_layer,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5,
        "resid_pdrop": 0.1,
        "embd_pdrop": 0.1,
        "attn_pdrop": 0.1,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False,
        "tie_word_embeddings": True,
        "use_cache": True,
        "bos_token_id": ENDOFTEXT_ID if has_eos else None,
        "eos_token_id": ENDOFTEXT_ID if has_eos else None,
        "dtype": "float32",
    }


# ----------------------------------------------------------------------------------------------------------------
# Loading and saving a Hugging Face directory
# ----------------------------------------------------------------------------------------------------------------


def _is_buffer(name: str) -> bool:
    """The causal-mask buffers older checkpoints carry (h.N.attn.bias, h.N.attn.masked_bias): not parameters."""
    return name.startswith("h.") and name.endswith((".attn.bias", ".attn.masked_bias"))


def load_gpt2_params(model_dir):
    """Read a Hugging Face GPT-2 directory into (hparams, params).

    model_dir: a str or Path holding config.json and model.safetensors. Returns
      hparams {n_vocab, n_ctx, n_embd, n_head, n_layer}, from config.json's
              vocab_size, n_positions, n_embd, n_head, n_layer;
      params  {"wte": [n_vocab, n_embd], "wpe": [n_ctx, n_embd],
               "blocks": [n_layer dicts], "ln_f": {"g", "b"}}: float32 arrays
              (whatever the file stores: the course model's is float16),
              each where the table of names puts it, e.g. h.3.attn.c_attn.weight
              -> params["blocks"][3]["attn"]["c_attn"]["w"].
    Names may start with "transformer." or not. Ignore h.i.attn.bias,
    h.i.attn.masked_bias and lm_head.weight. A missing tensor raises ValueError
    naming it.
    Hint: strip the prefix first: name.removeprefix("transformer.").
    """
    from safetensors.numpy import load_file

    model_dir = Path(model_dir)
    for file in ("config.json", "model.safetensors"):
        if not (model_dir / file).is_file():
            raise FileNotFoundError(f"{model_dir / file} not found: a GPT-2 directory needs config.json and "
                                    "model.safetensors (e.g. written by save_pretrained)")
    hparams = hparams_from_config(json.loads((model_dir / "config.json").read_text()))

    tensors = {}
    for name, array in load_file(model_dir / "model.safetensors").items():
        short = name.removeprefix(PREFIX)
        if short in tensors:
            raise ValueError(f"tensor {short!r} appears twice (with and without the {PREFIX!r} prefix)")
        tensors[short] = array

    lm_head = tensors.pop("lm_head.weight", None)
    params = {"blocks": [{} for _ in range(hparams["n_layer"])]}
    for name, path, shape in checkpoint_layout(hparams):
        if name not in tensors:
            raise ValueError(f"model.safetensors has no tensor {name!r} (nor {PREFIX + name!r})")
        array = tensors.pop(name)
        if array.shape != shape:
            raise ValueError(f"tensor {name!r} has shape {array.shape}, but config.json implies {shape}")
        _set(params, path, np.asarray(array, dtype=np.float32))

    unexpected = sorted(name for name in tensors if not _is_buffer(name))
    if unexpected:
        raise ValueError(f"model.safetensors has unexpected tensor(s) {unexpected[:5]}: is this a GPT-2 checkpoint?")
    if lm_head is not None and not np.array_equal(lm_head, params["wte"]):
        raise ValueError("lm_head.weight differs from wte.weight: GPT-2 ties its output projection to the token "
                         "embedding, so this checkpoint is not a GPT-2 we can run")
    return hparams, params


def save_gpt2_params(hparams: dict, params: dict, model_dir) -> Path:
    """Write hparams + params as a Hugging Face directory that `GPT2LMHeadModel.from_pretrained` loads.

    (hparams, params tree, model_dir) -> model_dir, now holding config.json and model.safetensors with
    save_pretrained's names (`transformer.` prefix, lm_head.weight left out because it is tied to wte).
    """
    from safetensors.numpy import save_file

    tensors = {}
    for name, path, shape in checkpoint_layout(hparams):
        array = np.asarray(_get(params, path))
        if array.shape != shape:
            raise ValueError(f"params{''.join(f'[{k!r}]' for k in path)} has shape {array.shape}, "
                             f"but the hparams imply {shape} (for {name!r})")
        tensors[PREFIX + name] = np.ascontiguousarray(array, dtype=np.float32)

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "config.json").write_text(json.dumps(config_from_hparams(hparams), indent=2) + "\n")
    save_file(tensors, model_dir / "model.safetensors", metadata={"format": "pt"})
    return model_dir


# ----------------------------------------------------------------------------------------------------------------
# GPT-2 as a PyTorch module whose state_dict has Hugging Face's names
# ----------------------------------------------------------------------------------------------------------------


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight stored [in, out], like `linear(x, w, b)`.  # [..., n_in] -> [..., n_out]"""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out).normal_(std=0.02))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight + self.bias


class KVCache:
    """Preallocated keys and values of every layer, filled up to `length` positions.

    k, v: [n_layer, batch, n_head, n_ctx, d_head]. `GPT2.forward(ids, cache)` writes the new positions in place.
    """

    def __init__(self, n_layer: int, batch: int, n_head: int, n_ctx: int, d_head: int, dtype=torch.float32):
        # empty, not zeros: only positions < length are ever read
        self.k = torch.empty(n_layer, batch, n_head, n_ctx, d_head, dtype=dtype)
        self.v = torch.empty_like(self.k)
        self.length = 0

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store the new keys/values at positions length.. and return all of them so far.

        k, v [batch, n_head, n_new, d_head] -> [batch, n_head, length + n_new, d_head] each (views, no copy).
        The caller advances `length` once every layer has been updated.
        """
        end = self.length + k.shape[-2]
        self.k[layer, :, :, self.length : end] = k
        self.v[layer, :, :, self.length : end] = v
        return self.k[layer, :, :, :end], self.v[layer, :, :, :end]


class Attention(nn.Module):
    """Causal multi-head self-attention.  # [batch, n_seq, n_embd] -> [batch, n_seq, n_embd]"""

    def __init__(self, n_embd: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.c_attn = Conv1D(n_embd, 3 * n_embd)
        self.c_proj = Conv1D(n_embd, n_embd)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        batch, n_seq, n_embd = x.shape
        q, k, v = self.c_attn(x).split(n_embd, dim=-1)  # -> 3 x [batch, n_seq, n_embd]
        # split heads: [batch, n_seq, n_embd] -> [batch, n_head, n_seq, d_head]
        q, k, v = (t.view(batch, n_seq, self.n_head, -1).transpose(1, 2) for t in (q, k, v))
        if cache is None:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            k, v = cache.update(layer, k, v)  # -> [batch, n_head, n_past + n_seq, d_head]
            n_past = k.shape[-2] - n_seq
            # query i sits at position n_past + i and may see keys 0 .. n_past + i
            mask = torch.ones(n_seq, n_past + n_seq, dtype=torch.bool).tril(diagonal=n_past)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        out = out.transpose(1, 2).reshape(batch, n_seq, n_embd)  # merge heads
        return self.c_proj(out)


class MLP(nn.Module):
    """Expand, GELU (tanh form), contract.  # [..., n_embd] -> [..., n_embd]"""

    def __init__(self, n_embd: int):
        super().__init__()
        self.c_fc = Conv1D(n_embd, 4 * n_embd)
        self.c_proj = Conv1D(4 * n_embd, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    """Pre-norm attention then pre-norm MLP, each with a shortcut.  # [batch, n_seq, n_embd] -> same"""

    def __init__(self, n_embd: int, n_head: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, eps=1e-5)
        self.attn = Attention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd, eps=1e-5)
        self.mlp = MLP(n_embd)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    """Embeddings, the blocks and the final layer norm (Hugging Face's `GPT2Model`, named `transformer`)."""

    def __init__(self, n_vocab: int, n_ctx: int, n_embd: int, n_head: int, n_layer: int):
        super().__init__()
        self.wte = nn.Embedding(n_vocab, n_embd)
        self.wpe = nn.Embedding(n_ctx, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd, eps=1e-5)


class GPT2(nn.Module):
    """GPT-2 in PyTorch, with Hugging Face's state_dict names.

    GPT2(n_vocab, n_ctx, n_embd, n_head, n_layer); model(ids) -> logits.
    state_dict names and shapes, for i = 0 .. n_layer-1; every linear layer is a
    Conv1D with weight [in, out] and bias [out]:
      transformer.wte.weight              [n_vocab, n_embd]
      transformer.wpe.weight              [n_ctx, n_embd]
      transformer.h.i.ln_1.weight, .bias  [n_embd]
      transformer.h.i.attn.c_attn.weight  [n_embd, 3*n_embd], and .bias
      transformer.h.i.attn.c_proj.weight  [n_embd, n_embd], and .bias
      transformer.h.i.ln_2.weight, .bias  [n_embd]
      transformer.h.i.mlp.c_fc.weight     [n_embd, 4*n_embd], and .bias
      transformer.h.i.mlp.c_proj.weight   [4*n_embd, n_embd], and .bias
      transformer.ln_f.weight, .bias      [n_embd]
      lm_head.weight                      the very Parameter transformer.wte.weight
    and nothing else: one Parameter under two names (parameters() counts it
    once), and no buffers in the state_dict (a causal-mask buffer, if you keep
    one, is registered with persistent=False).
    Hint: a name is an attribute path: self.transformer.h[0].attn.c_attn.weight
    is saved as "transformer.h.0.attn.c_attn.weight" (nn.ModuleDict and
    nn.ModuleList build such paths).
    """

    def __init__(self, n_vocab, n_ctx, n_embd, n_head, n_layer):
        """Build the submodules at the names above; tie lm_head to transformer.wte."""
        super().__init__()
        self.hparams = HParams(n_vocab, n_ctx, n_embd, n_head, n_layer)  # checks them (n_head divides n_embd)
        self.transformer = Transformer(n_vocab, n_ctx, n_embd, n_head, n_layer)
        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied: one tensor under two names, like Hugging Face
        for emb in (self.transformer.wte, self.transformer.wpe):
            nn.init.normal_(emb.weight, std=0.02)

    @classmethod
    def from_hparams(cls, hparams):
        """A randomly initialised model: cls(...) with the five hparams values."""
        return cls(**HParams.of(hparams))  # a dict (extra keys ignored) or an HParams, unpacked by name

    @classmethod
    def from_params(cls, hparams, params):
        """A model holding a NumPy params tree (as load_gpt2_params returns it).

        Build {state_dict name: torch.tensor(array)} (g, b -> weight, bias;
        w, b -> weight, bias; lm_head.weight is wte), then load it with
        model.load_state_dict(state, strict=True).
        """
        model = cls.from_hparams(hparams)
        state = {PREFIX + name: torch.tensor(np.asarray(_get(params, path), dtype=np.float32))
                 for name, path, _ in checkpoint_layout(hparams)}
        state["lm_head.weight"] = state[PREFIX + "wte.weight"]
        model.load_state_dict(state, strict=True)
        return model

    def new_cache(self, batch: int = 1) -> KVCache:
        """An empty KV cache for `batch` sequences of up to n_ctx tokens."""
        h = self.hparams
        return KVCache(h.n_layer, batch, h.n_head, h.n_ctx, h.d_head, dtype=self.transformer.wte.weight.dtype)

    def forward(self, ids, cache=None):
        """Logits for every position.  # [batch, n_seq] -> [batch, n_seq, n_vocab]

        ids: a LongTensor [batch, n_seq], or [n_seq] (logits [n_seq, n_vocab]).
        More than n_ctx tokens raise ValueError naming n_ctx.
        cache: leave it out (the reference uses it for chapter 08's KV cache).
        """
        squeeze = ids.dim() == 1
        ids = ids[None] if squeeze else ids  # -> [batch, n_seq]
        n_past = 0 if cache is None else cache.length
        n_ctx = self.hparams["n_ctx"]
        if n_past + ids.shape[1] > n_ctx:
            raise ValueError(f"{n_past} cached + {ids.shape[1]} new tokens is longer than the context n_ctx={n_ctx}")
        positions = torch.arange(n_past, n_past + ids.shape[1])
        x = self.transformer.wte(ids) + self.transformer.wpe(positions)  # -> [batch, n_seq, n_embd]
        for layer, block in enumerate(self.transformer.h):
            x = block(x, cache, layer)
        if cache is not None:
            cache.length += ids.shape[1]
        logits = self.lm_head(self.transformer.ln_f(x))  # -> [batch, n_seq, n_vocab]
        return logits[0] if squeeze else logits

    @torch.no_grad()
    def generate(self, ids, n_new: int, eos_id: int | None = ENDOFTEXT_ID) -> list[int]:
        """Greedy decoding with the KV cache: the new token ids only (including a final eos_id, if emitted).

        ids: list[int] or [n_seq] tensor (one sequence) -> list[int] of length <= n_new
        """
        ids = torch.as_tensor(ids, dtype=torch.long)
        n_ctx = self.hparams["n_ctx"]
        if len(ids) + n_new > n_ctx:
            raise ValueError(f"prompt of {len(ids)} tokens + {n_new} new tokens does not fit in the context "
                             f"n_ctx={n_ctx}")
        cache, new = self.new_cache(), []
        logits = self(ids, cache)  # [n_seq, n_vocab]
        while len(new) < n_new:
            next_id = int(logits[-1].argmax())
            new.append(next_id)
            if next_id == eos_id or len(new) == n_new:
                break
            logits = self(torch.tensor([next_id]), cache)
        return new

