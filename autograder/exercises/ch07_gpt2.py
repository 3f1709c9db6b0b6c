"""Chapter 07 — load_gpt2_params and the PyTorch GPT2 module: cases and known mistakes.

Every case builds its tiny checkpoint or state dict inside the probe, in the learner's process, from a small NumPy
parameter tree (a few thousand numbers): nothing big travels with a case, and no network or real weights are needed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

import solutions

from ..engine import Case, Exercise, Mistake, Mutant, register, register_mutants
from ..probes import (  # noqa: F401 (reference_state_dict and write_checkpoint: for the tests)
    probe_buffers,
    probe_from_params,
    probe_load,
    probe_logits,
    probe_one_head_parameter,
    probe_state_dict,
    probe_tied,
    reference_state_dict,
    write_checkpoint,
)

PREFIX = "transformer."


def names_n_ctx(n_ctx: int):
    """A message predicate: the error names the context — the word (n_ctx, context, too long) or its size."""

    def says(message: str) -> bool:
        return bool(re.search(r"n_ctx|context|long", message, re.IGNORECASE)) or str(n_ctx) in re.findall(r"\d+",
                                                                                                         message)

    return says
STD = 0.25  # weights large enough that GELU's erf/tanh gap and a missing attention scale show in the logits
VISIBLE = {"n_vocab": 40, "n_ctx": 12, "n_embd": 16, "n_head": 2, "n_layer": 2}
# The loader must hand back the file's float32 values themselves: rtol 1e-9 is far below one float32 step (>= 6e-8
# relative), so any changed value fails, while a zero tolerance would make engine.deviation's measure 0/0.
EXACT = {"atol": 0.0, "rtol": 1e-9}
LOGITS = {"atol": 2e-5, "rtol": 2e-5}  # float32; the closest known bug (erf GELU) moves these logits by > 1e-3


def _hparams(rng: np.random.Generator, hidden: bool) -> dict:
    if not hidden:
        return dict(VISIBLE)
    n_head = int(rng.integers(2, 5))
    return {"n_vocab": int(rng.integers(24, 64)), "n_ctx": int(rng.integers(8, 17)),
            "n_embd": n_head * int(rng.integers(2, 7)), "n_head": n_head, "n_layer": int(rng.integers(2, 4))}


def _params(rng: np.random.Generator, hparams: dict) -> dict:
    return solutions.init_params(hparams, seed=int(rng.integers(2**31)), std=STD)


def _ids(rng: np.random.Generator, hparams: dict, *shape: int) -> np.ndarray:
    return rng.integers(0, hparams["n_vocab"], size=shape).astype(np.int64)


def _layout(hparams: dict):
    """(Hugging Face name without prefix, path in the params tree) for every weight."""
    from solutions.ch07_gpt2 import checkpoint_layout

    return [(name, path) for name, path, _ in checkpoint_layout(hparams)]


def _leaf(tree, path):
    for key in path:
        tree = tree[key]
    return tree


# --------------------------------------------------------------------------------------------------------------
# load_gpt2_params
# --------------------------------------------------------------------------------------------------------------
def load_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    hparams = _hparams(rng, hidden)
    params = _params(rng, hparams)
    layer = int(rng.integers(hparams["n_layer"])) if hidden else 1
    missing = f"{PREFIX}h.{layer}.mlp.c_fc.bias"
    return [
        Case("a checkpoint written by save_pretrained (every name starts with `transformer.`)",
             (hparams, params, "save_pretrained"), probe=probe_load, **EXACT,
             hint="read config.json for the hyper-parameters and model.safetensors for the tensors, drop the "
                  "`transformer.` prefix, and put each tensor at its place in the tree (see the docstring's table)."),
        Case("the published openai-community/gpt2 layout: no prefix, attn.bias buffers, a tied lm_head.weight",
             (hparams, params, "published"), probe=probe_load, **EXACT,
             hint="the published checkpoint has no `transformer.` prefix and also holds h.N.attn.bias / "
                  "masked_bias buffers and lm_head.weight: load the names you need and ignore those extras."),
        Case(f"a checkpoint without {missing!r} must raise ValueError naming it",
             (hparams, params, "save_pretrained", missing), probe=probe_load, raises=ValueError,
             message=rf"h\.{layer}\.mlp\.c_fc\.bias",
             hint="when a tensor is missing, raise ValueError with its name, e.g. "
                  "raise ValueError(f\"model.safetensors has no tensor {name!r}\")."),
        Case("a checkpoint stored in float16 (as the course model ships): float32 arrays come back",
             (hparams, params, "float16"), probe=probe_load, **EXACT),
    ]


def _read(model_dir, dtype=np.float32):
    """config.json and the tensors, converted to `dtype` (None: as stored) -> (config, {name: array})."""
    from safetensors.numpy import load_file

    config = json.loads((Path(model_dir) / "config.json").read_text())
    tensors = load_file(Path(model_dir) / "model.safetensors")
    return config, tensors if dtype is None else {k: v.astype(dtype) for k, v in tensors.items()}


def _hparams_of(config: dict) -> dict:
    return {"n_vocab": config["vocab_size"], "n_ctx": config["n_positions"], "n_embd": config["n_embd"],
            "n_head": config["n_head"], "n_layer": config["n_layer"]}


def _tree_of(hparams, lookup, transform=lambda name, a: a) -> dict:
    """Build the params tree from `lookup(name) -> array` (a name without prefix)."""
    params = {"blocks": [{} for _ in range(hparams["n_layer"])]}
    for name, path in _layout(hparams):
        node = params
        for key in path[:-1]:
            node = node[key] if isinstance(node, list) else node.setdefault(key, {})
        node[path[-1]] = transform(name, lookup(name))
    return params


def _load_keyerror_when_missing(model_dir):
    config, tensors = _read(model_dir)
    tensors = {k.removeprefix(PREFIX): v for k, v in tensors.items()}
    hparams = _hparams_of(config)
    return hparams, _tree_of(hparams, lambda name: tensors[name])


def _lookup(tensors: dict, name: str, error: type[Exception]):
    if name not in tensors:
        raise error(f"model.safetensors has no tensor {name!r}")
    return tensors[name]


def _load_no_prefix_strip(model_dir, error=KeyError):
    config, tensors = _read(model_dir)
    hparams = _hparams_of(config)
    return hparams, _tree_of(hparams, lambda name: _lookup(tensors, name, error))


def _load_always_prefix(model_dir, error=KeyError):
    config, tensors = _read(model_dir)
    hparams = _hparams_of(config)
    return hparams, _tree_of(hparams, lambda name: _lookup(tensors, PREFIX + name, error))


def _load_vague_missing(model_dir):
    """The right loader, except that a missing tensor's ValueError does not say which one."""
    config, tensors = _read(model_dir)
    tensors = {k.removeprefix(PREFIX): v for k, v in tensors.items()}
    hparams = _hparams_of(config)
    names = [name for name, _ in _layout(hparams)]
    if any(name not in tensors for name in names):
        raise ValueError("the checkpoint is incomplete: a tensor is missing")
    return hparams, _tree_of(hparams, lambda name: tensors[name])


def _load_no_prefix_strip_value_error(model_dir):
    return _load_no_prefix_strip(model_dir, ValueError)


def _load_always_prefix_value_error(model_dir):
    return _load_always_prefix(model_dir, ValueError)


def _load_n_ctx(model_dir):
    config, _ = _read(model_dir)
    config["n_ctx"]  # a KeyError for transformers 5's config.json, which only says n_positions
    return solutions.load_gpt2_params(model_dir)


def _load_transposed(model_dir):
    hparams, params = solutions.load_gpt2_params(model_dir)
    for block in params["blocks"]:
        for layer in (block["attn"]["c_attn"], block["attn"]["c_proj"], block["mlp"]["c_fc"], block["mlp"]["c_proj"]):
            layer["w"] = layer["w"].T
    return hparams, params


def _load_hf_names(model_dir):
    config, _ = _read(model_dir)
    _, params = solutions.load_gpt2_params(model_dir)
    return {k: config[k] for k in ("vocab_size", "n_positions", "n_embd", "n_head", "n_layer")}, params


def _load_ln_weight_bias(model_dir):
    hparams, params = solutions.load_gpt2_params(model_dir)
    for ln in [params["ln_f"]] + [b[k] for b in params["blocks"] for k in ("ln_1", "ln_2")]:
        ln["weight"], ln["bias"] = ln.pop("g"), ln.pop("b")
    return hparams, params


def _load_keeps_extras(model_dir):
    """Walks the file's names instead of the expected ones, so buffers and lm_head land in the tree too."""
    config, tensors = _read(model_dir)
    hparams = _hparams_of(config)
    params = {"blocks": [{} for _ in range(hparams["n_layer"])]}
    rename = {"weight": "w", "bias": "b"}
    for name, array in tensors.items():
        parts = name.removeprefix(PREFIX).split(".")
        if parts[0] == "h":
            node = params["blocks"][int(parts[1])]
            parts = parts[2:]
        else:
            node = params
        if parts[-2:-1] in (["ln_1"], ["ln_2"], ["ln_f"]):
            rename_last = {"weight": "g", "bias": "b"}[parts[-1]]
        elif parts in (["wte", "weight"], ["wpe", "weight"]):
            node[parts[0]] = array
            continue
        else:
            rename_last = rename.get(parts[-1], parts[-1])
        for key in parts[:-1]:
            node = node.setdefault(key, {})
        node[rename_last] = array
    return hparams, params


_NO_STRIP = ("save_pretrained writes every name with a `transformer.` prefix (transformer.h.0.ln_1.weight): strip "
             "it with name.removeprefix('transformer.') so both layouts load.")
_ALWAYS_PREFIX = ("the published checkpoint has no `transformer.` prefix (h.0.ln_1.weight, wte.weight): accept names "
                  "with and without it — strip the prefix instead of adding it.")
_AND_VALUE_ERROR = " And a missing tensor must raise ValueError naming it, not a KeyError."
def _load_keeps_file_dtype(model_dir):
    """The right loader, except that the tensors keep the file's dtype (float16 for the course model)."""
    _, tensors = _read(model_dir, dtype=None)
    dtype = next(iter(tensors.values())).dtype
    hparams, params = solutions.load_gpt2_params(model_dir)
    return hparams, _astype(params, dtype)


def _astype(tree, dtype):
    if isinstance(tree, dict):
        return {k: _astype(v, dtype) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_astype(v, dtype) for v in tree]
    return tree.astype(dtype)


LOAD_MISTAKES = [
    Mistake("a missing tensor escaped as a KeyError: look each name up yourself and raise ValueError naming the "
            "missing tensor, so whoever loads a broken file reads which tensor is missing.",
            _load_keyerror_when_missing),
    # before the prefix mistakes: their ValueError names another tensor, so it does not pass the message check
    # either, and the engine would otherwise blame the prefix for a vague message
    Mistake("your ValueError does not say WHICH tensor is missing: put its name in the message, e.g. "
            "raise ValueError(f\"model.safetensors has no tensor {name!r}\").", _load_vague_missing,
            id="vague-missing-error"),
    Mistake(_NO_STRIP + _AND_VALUE_ERROR, _load_no_prefix_strip),
    Mistake(_NO_STRIP, _load_no_prefix_strip_value_error),
    Mistake(_ALWAYS_PREFIX + _AND_VALUE_ERROR, _load_always_prefix),
    Mistake(_ALWAYS_PREFIX, _load_always_prefix_value_error),
    Mistake("config.json from transformers 5 has no 'n_ctx' key: the context length is 'n_positions' (the "
            "published config.json has both).", _load_n_ctx),
    Mistake("h.N.attn.bias / attn.masked_bias (the causal-mask buffers older checkpoints carry) and lm_head.weight "
            "(tied: a copy of wte) are not weights of our tree: look up the names you need instead of walking the "
            "file's names.", _load_keeps_extras),
    Mistake("don't transpose the weights: GPT-2's Conv1D stores them [in, out], exactly what linear(x, w, b) = "
            "x @ w + b expects (only PyTorch's nn.Linear keeps [out, in]).", _load_transposed),
    Mistake("return hparams with the course's names — n_vocab, n_ctx, n_embd, n_head, n_layer — translated from "
            "config.json's vocab_size, n_positions, n_embd, n_head, n_layer.", _load_hf_names),
    Mistake("a LayerNorm's weight and bias are g and b in our tree ({'g': ..., 'b': ...}), as layer_norm(x, g, b) "
            "takes them.", _load_ln_weight_bias),
    Mistake("the file stores float16 (as the course model does) and your arrays kept it: convert every tensor to "
            "float32 (np.asarray(t, dtype=np.float32)), which the rest of the course computes in.",
            _load_keeps_file_dtype, id="keeps-file-dtype"),
]

LOAD_GPT2_PARAMS = register(Exercise(
    name="load_gpt2_params", chapter="07", points=3, hidden_points=1,
    solution=lambda model_dir: solutions.load_gpt2_params(model_dir),  # imports torch only when used
    make_cases=load_cases, mistakes=LOAD_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# GPT2, the PyTorch module
# --------------------------------------------------------------------------------------------------------------
def _compare_state_dict(got, want, case) -> str | None:
    if not isinstance(got, dict):
        return f"expected a dict of names, got {type(got).__name__}"
    missing, unexpected = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    if missing or unexpected:
        lines = ["your state_dict's names differ from Hugging Face's GPT2LMHeadModel's:"]
        if missing:
            lines.append(f"missing ({len(missing)}): {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}")
        if unexpected:
            lines.append(f"unexpected ({len(unexpected)}): {', '.join(unexpected[:6])}"
                         f"{' ...' if len(unexpected) > 6 else ''}")
        return "\n".join(lines)
    shapes = [f"{name}: expected {list(want[name])}, got {list(got[name])}" for name in want if got[name] != want[name]]
    if shapes:
        return "these tensors have the wrong shape:\n" + "\n".join(shapes[:6])
    return None


def _compare_from_params(got, want, case) -> str | None:
    if not isinstance(got, dict):
        return f"expected a dict, got {type(got).__name__}"
    key = "weights that don't hold the values in params"
    wrong = got[key]
    if wrong != want[key]:  # (want lists some only when it is a known mistake's outcome)
        if not wrong:
            return f"{len(want[key])} weight(s) were expected not to be loaded"
        return (f"after from_params, {len(wrong)} weight(s) don't hold the values given in params: "
                f"{', '.join(wrong[:6])}{' ...' if len(wrong) > 6 else ''}")
    from ..engine import compare_values

    problem = compare_values(got["logits"], want["logits"], case)
    return f"logits: {problem}" if problem else None


def _compare_buffers(got, want, case) -> str | None:
    if not isinstance(got, list) or got == want:
        return None if got == want else f"expected a list of names, got {type(got).__name__}"
    return (f"your state_dict holds {len(got)} buffer(s) that Hugging Face's does not: {', '.join(got[:4])}"
            f"{' ...' if len(got) > 4 else ''}")


def gpt2_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    hparams = _hparams(rng, hidden)
    params = _params(rng, hparams)
    n_ctx = hparams["n_ctx"]
    n_seq = int(rng.integers(4, n_ctx)) if hidden else 7
    return [
        Case("the state_dict holds parameters only (no buffers, as in Hugging Face's GPT2LMHeadModel)", (hparams,),
             probe=probe_buffers, compare=_compare_buffers,
             hint="a causal-mask buffer is not a weight: register it with self.register_buffer(\"bias\", mask, "
                  "persistent=False) (or build the mask in forward), so that it stays out of the state_dict and "
                  "load_state_dict(strict=True) of a Hugging Face checkpoint finds nothing unexpected.",
             hint_id="persistent-mask-buffer"),
        Case("GPT2(**hparams).state_dict(): names and shapes equal Hugging Face's GPT2LMHeadModel's",
             (hparams,), probe=probe_state_dict, compare=_compare_state_dict,
             hint="name the submodules as Hugging Face does: transformer.wte, transformer.wpe, transformer.h[i] "
                  "with ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj, then transformer.ln_f and "
                  "lm_head (see the table in the docstring)."),
        Case("lm_head.weight and transformer.wte.weight are one tensor (the tied head)", (hparams,),
             probe=probe_tied),
        Case("lm_head.weight IS the Parameter transformer.wte.weight: parameters() holds the tied matrix once",
             (hparams,), probe=probe_one_head_parameter),
        Case(f"logits for one sequence of {n_seq} tokens, after load_state_dict(reference, strict=True)",
             (hparams, params, _ids(rng, hparams, n_seq)), probe=probe_logits, **LOGITS,
             hint="compare your forward pass step by step with chapter 06's gpt2(): embeddings + positions, "
                  "each block (pre-norm attention, then pre-norm MLP, each with its shortcut), ln_f, lm_head."),
        Case(f"a batch of 2 sequences [2, {n_seq}] gives logits [2, {n_seq}, n_vocab]",
             (hparams, params, _ids(rng, hparams, 2, n_seq)), probe=probe_logits, **LOGITS,
             hint="accept ids of shape [n_seq] (-> [n_seq, n_vocab]) and [batch, n_seq] "
                  "(-> [batch, n_seq, n_vocab]): add a batch axis to 1-D ids and remove it from the output."),
        Case("a single token [1]", (hparams, params, _ids(rng, hparams, 1)), probe=probe_logits, **LOGITS),
        Case(f"a full context: n_seq = n_ctx = {n_ctx}", (hparams, params, _ids(rng, hparams, n_ctx)),
             probe=probe_logits, **LOGITS),
        Case(f"{n_ctx + 1} tokens, one more than n_ctx, must raise ValueError",
             (hparams, params, _ids(rng, hparams, n_ctx + 1)), probe=probe_logits, raises=ValueError,
             message=names_n_ctx(n_ctx),
             hint="check the length first: raise ValueError(f\"... longer than the context n_ctx={n_ctx}\") "
                  "instead of letting the position embedding fail."),
        Case("GPT2.from_params(hparams, params) holds every weight of params and gives the same logits",
             (hparams, params, _ids(rng, hparams, n_seq)), probe=probe_from_params, compare=_compare_from_params,
             **LOGITS,
             hint="some weights kept their random initial values, so a name in your state dict did not match the "
                  "model's and load_state_dict(..., strict=False) skipped it silently: load with strict=True, "
                  "which names every missing or unexpected key.", hint_id="weights-not-loaded"),
    ]


# Known mistakes: small variations of the reference module.
def _reference():
    from solutions import ch07_gpt2

    return ch07_gpt2


def _variant(name: str, patch_init=None, attention=None, mlp=None, forward=None):
    """A subclass of the reference GPT2 with a patched constructor, attention, MLP or forward pass."""
    ref = _reference()

    def __init__(self, n_vocab, n_ctx, n_embd, n_head, n_layer):
        ref.GPT2.__init__(self, n_vocab, n_ctx, n_embd, n_head, n_layer)
        for block in self.transformer.h:
            if attention:
                block.attn.forward = attention.__get__(block.attn)
            if mlp:
                block.mlp.forward = mlp.__get__(block.mlp)
        if patch_init:
            patch_init(self, self.hparams)  # the reference's HParams

    body = {"__init__": __init__}
    if forward:
        body["forward"] = forward
    return type(name, (ref.GPT2,), body)


def _attention(order=(0, 1, 2), scale=True, causal=True, per_head=False):
    def forward(self, x, cache=None, layer=0):
        import torch
        from torch.nn import functional as F

        batch, n_seq, n_embd = x.shape
        qkv = self.c_attn(x)
        if per_head:  # [q_h | k_h | v_h] per head: the wrong reading of c_attn's columns
            parts = qkv.view(batch, n_seq, self.n_head, 3 * n_embd // self.n_head).split(n_embd // self.n_head, -1)
            q, k, v = (t.transpose(1, 2) for t in parts)
        else:
            parts = qkv.split(n_embd, dim=-1)
            q, k, v = (parts[i].view(batch, n_seq, self.n_head, -1).transpose(1, 2) for i in order)
        scores = q @ k.transpose(-1, -2)
        if scale:
            scores = scores / (q.shape[-1] ** 0.5)
        if causal:
            scores = scores.masked_fill(torch.ones(n_seq, n_seq, dtype=torch.bool).triu(1), float("-inf"))
        out = F.softmax(scores, dim=-1) @ v
        return self.c_proj(out.transpose(1, 2).reshape(batch, n_seq, n_embd))

    return forward


def _mlp_erf(self, x):
    from torch.nn import functional as F

    return self.c_proj(F.gelu(self.c_fc(x)))


def _to_linear(model, hp):
    from torch import nn

    for block in model.transformer.h:
        for parent, name in ((block.attn, "c_attn"), (block.attn, "c_proj"), (block.mlp, "c_fc"),
                             (block.mlp, "c_proj")):
            conv = getattr(parent, name)
            n_in, n_out = conv.weight.shape
            setattr(parent, name, nn.Linear(n_in, n_out))


def _untie(model, hp):
    from torch import nn

    model.lm_head.weight = nn.Parameter(model.transformer.wte.weight.detach().clone())


def _tie_through_data(model, hp):
    from torch import nn

    model.lm_head.weight = nn.Parameter(model.transformer.wte.weight.detach().clone())
    model.lm_head.weight.data = model.transformer.wte.weight.data  # two Parameters, one storage


def _head_bias(model, hp):
    from torch import nn

    model.lm_head = nn.Linear(hp["n_embd"], hp["n_vocab"], bias=True)
    model.lm_head.weight = model.transformer.wte.weight


def _no_lm_head(model, hp):
    del model.lm_head


def _forward_without_lm_head(self, ids, cache=None):
    squeeze = ids.dim() == 1
    ids = ids[None] if squeeze else ids
    x = self.transformer.wte(ids) + self.transformer.wpe(_positions(ids))
    for block in self.transformer.h:
        x = block(x)
    logits = self.transformer.ln_f(x) @ self.transformer.wte.weight.T
    return logits[0] if squeeze else logits


def _positions(ids):
    import torch

    return torch.arange(ids.shape[-1])


def _forward(positions=True, ln_f=True, check_length=True, squeeze_output=True):
    def forward(self, ids, cache=None):
        squeeze = ids.dim() == 1
        ids = ids[None] if squeeze else ids
        if check_length and ids.shape[-1] > self.hparams["n_ctx"]:
            raise ValueError(f"sequence longer than the context n_ctx={self.hparams['n_ctx']}")
        x = self.transformer.wte(ids)
        if positions:
            x = x + self.transformer.wpe(_positions(ids))
        for block in self.transformer.h:
            x = block(x)
        if ln_f:
            x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        return logits[0] if squeeze and squeeze_output else logits

    return forward


class _NoPrefix:
    """wte, wpe, h and ln_f straight on the model: state_dict names without `transformer.`."""

    def __new__(cls, n_vocab, n_ctx, n_embd, n_head, n_layer):
        from torch import nn

        ref = _reference()
        model = nn.Module()
        model.wte, model.wpe = nn.Embedding(n_vocab, n_embd), nn.Embedding(n_ctx, n_embd)
        model.h = nn.ModuleList(ref.Block(n_embd, n_head) for _ in range(n_layer))
        model.ln_f = nn.LayerNorm(n_embd)
        model.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        model.lm_head.weight = model.wte.weight
        return model


def _from_params_strict_false_ln_names(cls, hparams, params):
    """from_params that names LayerNorm parameters g/b (not weight/bias) and loads with strict=False."""
    import torch

    model = cls.from_hparams(hparams)
    state = {}
    for name, path in _layout(hparams):
        if path[-1] in ("g", "b") and path[-2].startswith("ln_"):
            name = name.rsplit(".", 1)[0] + "." + path[-1]
        state[PREFIX + name] = torch.tensor(_leaf(params, path))
    state["lm_head.weight"] = state[PREFIX + "wte.weight"]
    model.load_state_dict(state, strict=False)
    return model


def _from_params_no_lm_head(cls, hparams, params):
    import torch

    model = cls.from_hparams(hparams)
    model.load_state_dict({PREFIX + name: torch.tensor(_leaf(params, path)) for name, path in _layout(hparams)},
                          strict=True)
    return model


def _with_from_params(name, from_params):
    return type(name, (_reference().GPT2,), {"from_params": classmethod(from_params)})


def _lazy(factory):
    """A mistake impl built on first use, so importing the autograder does not import torch."""
    cache = {}

    def make(*args, **kwargs):
        if "cls" not in cache:
            cache["cls"] = factory()
        return cache["cls"](*args, **kwargs)

    def from_params(hparams, params):
        if "cls" not in cache:
            cache["cls"] = factory()
        return cache["cls"].from_params(hparams, params)

    make.from_params = from_params
    return make


_SPLIT = ("c_attn's output is [q | k | v], each n_embd wide, in that order, but you read it as {names} = ...: "
          "split it as q, k, v = qkv.split(n_embd, dim=-1) before splitting heads.")


def _names_read(order) -> list[str]:
    """The names a learner wrote on the left of `... = qkv.split(n_embd)` when q, k, v = parts[order[0..2]]."""
    return ["qkv"[order.index(chunk)] for chunk in range(3)]
GPT2_MISTAKES = [
    # from_params first: any RuntimeError from load_state_dict gets the strict=True hint, whatever else is wrong.
    Mistake("load_state_dict(strict=True) refused your state dict (its message lists the wrong names or shapes): "
            "give each tensor the model's own name — `transformer.` + the checkpoint's name, and lm_head.weight for "
            "the wte tensor — with the checkpoint's shape (Conv1D weights stay [in, out]).",
            _lazy(lambda: _with_from_params("NoHeadKey", _from_params_no_lm_head)),
            id="from-params-names-or-shapes"),
    Mistake("your state dict names the LayerNorm parameters g and b (our tree's names), which the model calls "
            "weight and bias, and load_state_dict(..., strict=False) skipped them silently: rename them (g -> "
            "weight, b -> bias) and load with strict=True, which names every missing or unexpected key.",
            _lazy(lambda: _with_from_params("StrictFalse", _from_params_strict_false_ln_names)),
            id="strict-false-ln-g-b"),
    Mistake("your c_attn/c_fc/c_proj weights are [out, in]: nn.Linear stores its weight transposed, but GPT-2's "
            "checkpoint (Conv1D) stores [in, out] — use a Conv1D-style layer, x @ weight + bias, weight [in, out].",
            _lazy(lambda: _variant("LinearGPT2", patch_init=_to_linear)),
            id="nn-linear-weights"),
    Mistake("your names lack the `transformer.` prefix: put wte, wpe, h and ln_f inside a submodule called "
            "`transformer` (lm_head stays outside), as Hugging Face's GPT2LMHeadModel does.", _lazy(lambda: _NoPrefix),
            id="no-transformer-prefix"),
    Mistake("there is no lm_head.weight: Hugging Face's model has an lm_head (nn.Linear(n_embd, n_vocab, "
            "bias=False)) whose weight is transformer.wte.weight — add it and tie it.",
            _lazy(lambda: _variant("NoHead", patch_init=_no_lm_head, forward=_forward_without_lm_head)),
            id="no-lm-head"),
    Mistake("GPT-2's lm_head has no bias: nn.Linear(n_embd, n_vocab, bias=False).",
            _lazy(lambda: _variant("HeadBias", patch_init=_head_bias)),
            id="lm-head-bias"),
    # before Untied, which also counts the matrix twice (the tied case above tells them apart)
    Mistake("you tied lm_head through .data: that makes two Parameters sharing one storage, which parameters() "
            "counts twice (an optimizer updates it twice) and .double() or .to() unties — tie the Parameter "
            "itself: self.lm_head.weight = self.transformer.wte.weight.",
            _lazy(lambda: _variant("TiedThroughData", patch_init=_tie_through_data)), id="tied-through-data"),
    Mistake("lm_head.weight is a tensor of its own: tie it to the token embedding (self.lm_head.weight = "
            "self.transformer.wte.weight), so the model has one [n_vocab, n_embd] matrix, as GPT-2 does.",
            _lazy(lambda: _variant("Untied", patch_init=_untie)),
            id="untied-head"),
    *[Mistake(_SPLIT.format(names=", ".join(_names_read(order))),
              _lazy(lambda order=order: _variant("SplitOrder", attention=_attention(order=order))),
              id="split-as-" + "".join(_names_read(order)))
      for order in [(0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]],
    Mistake("split c_attn's output into q, k, v first (it is [q | k | v], each n_embd wide), then each of them "
            "into heads: its columns are not grouped head by head.",
            _lazy(lambda: _variant("PerHead", attention=_attention(per_head=True))),
            id="split-per-head"),
    Mistake("the attention scores must be divided by √d_head (d_head = n_embd / n_head) before the softmax.",
            _lazy(lambda: _variant("NoScale", attention=_attention(scale=False))),
            id="no-attention-scale"),
    Mistake("the attention is not causal: position i must not see positions after it (mask the scores above the "
            "diagonal with -inf, or use is_causal=True).",
            _lazy(lambda: _variant("NotCausal", attention=_attention(causal=False))),
            id="not-causal"),
    Mistake("GPT-2's GELU is the tanh approximation: F.gelu(x, approximate='tanh') (PyTorch's default is the erf "
            "form).", _lazy(lambda: _variant("GeluErf", mlp=_mlp_erf)),
            id="erf-gelu"),
    Mistake("the position embeddings are missing: x = wte(ids) + wpe(positions), positions 0 .. n_seq-1.",
            _lazy(lambda: _variant("NoPositions", forward=_forward(positions=False))),
            id="no-positions"),
    Mistake("the final LayerNorm is missing: apply transformer.ln_f to the last block's output before lm_head.",
            _lazy(lambda: _variant("NoLnF", forward=_forward(ln_f=False))),
            id="no-ln-f"),
    Mistake("for 1-D ids [n_seq] return logits [n_seq, n_vocab]: add a batch axis to 1-D ids and remove it from "
            "the output ([batch, n_seq] ids give [batch, n_seq, n_vocab]).",
            _lazy(lambda: _variant("AlwaysBatched", forward=_forward(squeeze_output=False))),
            id="batch-axis-kept"),
    Mistake("check the length first: raise ValueError naming n_ctx when there are more than n_ctx tokens, instead "
            "of letting the position embedding fail with an IndexError.",
            _lazy(lambda: _variant("NoLengthCheck", forward=_forward(check_length=False))),
            id="no-length-check"),
]

GPT2 = register(Exercise(
    name="GPT2", chapter="07", points=5, hidden_points=2,
    solution=_lazy(lambda: solutions.GPT2), make_cases=gpt2_cases, mistakes=GPT2_MISTAKES,
    stub_methods=("__init__", "from_hparams", "from_params", "forward"),  # not new_cache, generate (chapter 08)
))


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# --------------------------------------------------------------------------------------------------------------
# ------------------------------------------------------------------------------------------------------------------
# load_gpt2_params: a learner's loader, correct as written here, and the ways it goes wrong.
# ------------------------------------------------------------------------------------------------------------------
LOADER = '''
import json
from pathlib import Path

from safetensors.numpy import load_file


def load_gpt2_params(model_dir):
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    hparams = {"n_vocab": config["vocab_size"], "n_ctx": config["n_positions"], "n_embd": config["n_embd"],
               "n_head": config["n_head"], "n_layer": config["n_layer"]}
    tensors = {name.removeprefix("transformer."): t for name, t in load_file(model_dir / "model.safetensors").items()}

    def get(name):
        if name not in tensors:
            raise ValueError(f"model.safetensors has no tensor {name!r}")
        return np.asarray(tensors[name], dtype=np.float32)

    def ln(name):
        return {"g": get(name + ".weight"), "b": get(name + ".bias")}

    def lin(name):
        return {"w": get(name + ".weight"), "b": get(name + ".bias")}

    blocks = []
    for i in range(hparams["n_layer"]):
        blocks.append({
            "ln_1": ln(f"h.{i}.ln_1"),
            "attn": {"c_attn": lin(f"h.{i}.attn.c_attn"), "c_proj": lin(f"h.{i}.attn.c_proj")},
            "ln_2": ln(f"h.{i}.ln_2"),
            "mlp": {"c_fc": lin(f"h.{i}.mlp.c_fc"), "c_proj": lin(f"h.{i}.mlp.c_proj")},
        })
    return hparams, {"wte": get("wte.weight"), "wpe": get("wpe.weight"), "blocks": blocks, "ln_f": ln("ln_f")}
'''


def loader(*edits: tuple[str, str]) -> str:
    """The loader above with each (old, new) edit applied; every edit must change something."""
    source = LOADER
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


NAMED = '''        if name not in tensors:
            raise ValueError(f"model.safetensors has no tensor {name!r}")
'''
STRIP = '{name.removeprefix("transformer."): t for name, t in load_file(model_dir / "model.safetensors").items()}'

# ------------------------------------------------------------------------------------------------------------------
# GPT2: a learner's whole port (nanoGPT style), correct as written here, and the ways it goes wrong.
# ------------------------------------------------------------------------------------------------------------------
PORT = '''
import torch
from torch import nn
from torch.nn import functional as F


class Conv1D(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class Attention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.c_attn = Conv1D(n_embd, 3 * n_embd)
        self.c_proj = Conv1D(n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        att = att.masked_fill(torch.tril(torch.ones(T, T, dtype=torch.bool)) == 0, float("-inf"))
        y = att.softmax(dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = Conv1D(n_embd, 4 * n_embd)
        self.c_proj = Conv1D(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = Attention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    def __init__(self, n_vocab, n_ctx, n_embd, n_head, n_layer):
        super().__init__()
        self.n_ctx = n_ctx
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(n_vocab, n_embd),
            wpe=nn.Embedding(n_ctx, n_embd),
            h=nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)]),
            ln_f=nn.LayerNorm(n_embd),
        ))
        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    @classmethod
    def from_hparams(cls, hparams):
        return cls(hparams["n_vocab"], hparams["n_ctx"], hparams["n_embd"], hparams["n_head"], hparams["n_layer"])

    @classmethod
    def from_params(cls, hparams, params):
        model = cls.from_hparams(hparams)
        state = {"transformer.wte.weight": params["wte"], "transformer.wpe.weight": params["wpe"]}
        for i, block in enumerate(params["blocks"]):
            for ln in ("ln_1", "ln_2"):
                state[f"transformer.h.{i}.{ln}.weight"] = block[ln]["g"]
                state[f"transformer.h.{i}.{ln}.bias"] = block[ln]["b"]
            for sub, layer in (("attn", "c_attn"), ("attn", "c_proj"), ("mlp", "c_fc"), ("mlp", "c_proj")):
                state[f"transformer.h.{i}.{sub}.{layer}.weight"] = block[sub][layer]["w"]
                state[f"transformer.h.{i}.{sub}.{layer}.bias"] = block[sub][layer]["b"]
        state["transformer.ln_f.weight"] = params["ln_f"]["g"]
        state["transformer.ln_f.bias"] = params["ln_f"]["b"]
        state["lm_head.weight"] = params["wte"]
        model.load_state_dict({name: torch.tensor(v) for name, v in state.items()}, strict=True)
        return model

    def forward(self, ids, cache=None):
        if ids.shape[-1] > self.n_ctx:
            raise ValueError(f"{ids.shape[-1]} tokens are longer than the context n_ctx={self.n_ctx}")
        squeeze = ids.dim() == 1
        if squeeze:
            ids = ids.unsqueeze(0)
        x = self.transformer.wte(ids) + self.transformer.wpe(torch.arange(ids.shape[1]))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return logits[0] if squeeze else logits
'''


def port(*edits: tuple[str, str]) -> str:
    source = PORT
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


# The first mutant is the one the notebook tests put into an otherwise solved chapter.
MUTANTS = [
    Mutant("load_gpt2_params", "prefix not stripped (written for the published checkpoint)",
           "load_no_prefix_strip_value_error",
           loader((STRIP, '{name: t for name, t in load_file(model_dir / "model.safetensors").items()}'))),
    Mutant("load_gpt2_params", "prefix always added (written for save_pretrained's files)",
           "load_always_prefix_value_error",
           loader((STRIP, 'load_file(model_dir / "model.safetensors")'),
                  ("    def get(name):\n", '    def get(name):\n        name = "transformer." + name\n'))),
    Mutant("load_gpt2_params", "prefix not stripped, and a KeyError", "load_no_prefix_strip",
           loader((STRIP, '{name: t for name, t in load_file(model_dir / "model.safetensors").items()}'),
                  (NAMED, ''))),
    Mutant("load_gpt2_params", "prefix always added, and a KeyError", "load_always_prefix",
           loader((STRIP, 'load_file(model_dir / "model.safetensors")'), (NAMED, ''),
                  ("    def get(name):\n", '    def get(name):\n        name = "transformer." + name\n'))),
    Mutant("load_gpt2_params", "a missing tensor raises KeyError", "load_keyerror_when_missing",
           loader(('''        if name not in tensors:
            raise ValueError(f"model.safetensors has no tensor {name!r}")
''', ''))),
    Mutant("load_gpt2_params", "a missing tensor raises a ValueError that does not name it", "vague-missing-error",
           loader(('raise ValueError(f"model.safetensors has no tensor {name!r}")',
                   'raise ValueError("the checkpoint is incomplete")'))),
    Mutant("load_gpt2_params", "the file's float16 kept", "keeps-file-dtype",
           loader(("return np.asarray(tensors[name], dtype=np.float32)", "return tensors[name]"))),
    Mutant("load_gpt2_params", "n_ctx read from config.json", "load_n_ctx",
           loader(('config["n_positions"]', 'config["n_ctx"]'))),
    Mutant("load_gpt2_params", "weights transposed for PyTorch", "load_transposed",
           loader(('return {"w": get(name + ".weight"), "b"', 'return {"w": get(name + ".weight").T, "b"'))),
    Mutant("load_gpt2_params", "hparams keep Hugging Face's names", "load_hf_names",
           loader(('hparams = {"n_vocab": config["vocab_size"], "n_ctx": config["n_positions"], '
                   '"n_embd": config["n_embd"],\n               "n_head": config["n_head"], '
                   '"n_layer": config["n_layer"]}',
                   'hparams = {k: config[k] for k in ("vocab_size", "n_positions", "n_embd", "n_head", '
                   '"n_layer")}\n    n_layer = config["n_layer"]'),
                  ('range(hparams["n_layer"])', 'range(n_layer)'))),
    Mutant("load_gpt2_params", "LayerNorm as weight/bias", "load_ln_weight_bias",
           loader(('return {"g": get(name + ".weight"), "b": get(name + ".bias")}',
                   'return {"weight": get(name + ".weight"), "bias": get(name + ".bias")}'))),
    Mutant("load_gpt2_params", "walks the file's names and keeps the buffers", "load_keeps_extras", '''
import json
import os

from safetensors.numpy import load_file


def load_gpt2_params(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    hparams = dict(n_vocab=config["vocab_size"], n_ctx=config["n_positions"], n_embd=config["n_embd"],
                   n_head=config["n_head"], n_layer=config["n_layer"])
    params = {"blocks": [{} for _ in range(hparams["n_layer"])]}
    for name, tensor in load_file(os.path.join(model_dir, "model.safetensors")).items():
        keys = name.removeprefix("transformer.").split(".")
        node = params
        if keys[0] == "h":
            node, keys = params["blocks"][int(keys[1])], keys[2:]
        if keys[0] in ("wte", "wpe"):
            node[keys[0]] = tensor
            continue
        leaf = {"weight": "g" if keys[-2].startswith("ln_") else "w", "bias": "b"}.get(keys[-1], keys[-1])
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[leaf] = tensor
    return hparams, params
'''),
    # ---------------------------------------------------------------------------------------------------------
    *[Mutant("GPT2", f"c_attn split as {', '.join(names)}", "split-as-" + names,
             port(("q, k, v = self.c_attn(x).split(C, dim=2)", f"{', '.join(names)} = self.c_attn(x).split(C, dim=2)")))
      for names in ("qvk", "kqv", "kvq", "vqk", "vkq")],
    Mutant("GPT2", "c_attn read head by head", "split-per-head",
           port(('''        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
''', '''        qkv = self.c_attn(x).view(B, T, self.n_head, 3 * C // self.n_head).transpose(1, 2)
        q, k, v = qkv.split(C // self.n_head, dim=-1)
'''))),
    Mutant("GPT2", "nn.Linear without transposing", "nn-linear-weights",
           port(("self.c_attn = Conv1D(n_embd, 3 * n_embd)", "self.c_attn = nn.Linear(n_embd, 3 * n_embd)"),
                ("self.c_proj = Conv1D(n_embd, n_embd)", "self.c_proj = nn.Linear(n_embd, n_embd)"),
                ("self.c_fc = Conv1D(n_embd, 4 * n_embd)", "self.c_fc = nn.Linear(n_embd, 4 * n_embd)"),
                ("self.c_proj = Conv1D(4 * n_embd, n_embd)", "self.c_proj = nn.Linear(4 * n_embd, n_embd)"))),
    Mutant("GPT2", "untied head", "untied-head",
           port(("        self.lm_head.weight = self.transformer.wte.weight\n", ""))),
    Mutant("GPT2", "head tied through .data", "tied-through-data",
           port(("        self.lm_head.weight = self.transformer.wte.weight\n",
                 "        self.lm_head.weight.data = self.transformer.wte.weight.data\n"))),
    Mutant("GPT2", "a persistent causal-mask buffer (nanoGPT's attn.bias)", "persistent-mask-buffer",
           port(("        self.c_proj = Conv1D(n_embd, n_embd)\n",
                 "        self.c_proj = Conv1D(n_embd, n_embd)\n        self.register_buffer(\"bias\", torch.tril("
                 "torch.ones(1024, 1024)).view(1, 1, 1024, 1024))\n"),
                ("att = att.masked_fill(torch.tril(torch.ones(T, T, dtype=torch.bool)) == 0, float(\"-inf\"))",
                 "att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float(\"-inf\"))"))),
    Mutant("GPT2", "head with a bias", "lm-head-bias",
           port(("self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)",
                 "self.lm_head = nn.Linear(n_embd, n_vocab)"))),
    Mutant("GPT2", "unembedding with wte.T and no lm_head", "no-lm-head",
           port(('''        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight
''', ''), ("logits = self.lm_head(self.transformer.ln_f(x))",
           "logits = self.transformer.ln_f(x) @ self.transformer.wte.weight.t()"),
                ('        state["lm_head.weight"] = params["wte"]\n', ''))),
    Mutant("GPT2", "no transformer submodule", "no-transformer-prefix",
           port(('''        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(n_vocab, n_embd),
            wpe=nn.Embedding(n_ctx, n_embd),
            h=nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)]),
            ln_f=nn.LayerNorm(n_embd),
        ))
        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight''', '''        self.wte = nn.Embedding(n_vocab, n_embd)
        self.wpe = nn.Embedding(n_ctx, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.wte.weight'''), ("self.transformer.", "self."))),
    Mutant("GPT2", "strict=False hides a missing ln_f", "weights-not-loaded",
           port(('''        state["transformer.ln_f.weight"] = params["ln_f"]["g"]
        state["transformer.ln_f.bias"] = params["ln_f"]["b"]
''', ''), ("strict=True)", "strict=False)"))),
    Mutant("GPT2", "strict=False hides LayerNorm g/b names", "strict-false-ln-g-b",
           port(('state[f"transformer.h.{i}.{ln}.weight"] = block[ln]["g"]',
                 'state[f"transformer.h.{i}.{ln}.g"] = block[ln]["g"]'),
                ('state[f"transformer.h.{i}.{ln}.bias"] = block[ln]["b"]',
                 'state[f"transformer.h.{i}.{ln}.b"] = block[ln]["b"]'),
                ('state["transformer.ln_f.weight"] = params["ln_f"]["g"]',
                 'state["transformer.ln_f.g"] = params["ln_f"]["g"]'),
                ('state["transformer.ln_f.bias"] = params["ln_f"]["b"]',
                 'state["transformer.ln_f.b"] = params["ln_f"]["b"]'),
                ("strict=True)", "strict=False)"))),
    Mutant("GPT2", "from_params without lm_head.weight, strict", "from-params-names-or-shapes",
           port(('        state["lm_head.weight"] = params["wte"]\n', ''))),
    Mutant("GPT2", "from_params transposes for PyTorch", "from-params-names-or-shapes",
           port(('state[f"transformer.h.{i}.{sub}.{layer}.weight"] = block[sub][layer]["w"]',
                 'state[f"transformer.h.{i}.{sub}.{layer}.weight"] = block[sub][layer]["w"].T'))),
    Mutant("GPT2", "exact GELU", "erf-gelu",
           port(('F.gelu(self.c_fc(x), approximate="tanh")', "F.gelu(self.c_fc(x))"))),
    Mutant("GPT2", "scores not scaled", "no-attention-scale",
           port(("att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))", "att = q @ k.transpose(-2, -1)"))),
    Mutant("GPT2", "no causal mask", "not-causal",
           port(('''        att = att.masked_fill(torch.tril(torch.ones(T, T, dtype=torch.bool)) == 0, float("-inf"))
''', ''))),
    Mutant("GPT2", "no position embeddings", "no-positions",
           port(("x = self.transformer.wte(ids) + self.transformer.wpe(torch.arange(ids.shape[1]))",
                 "x = self.transformer.wte(ids)"))),
    Mutant("GPT2", "no final LayerNorm", "no-ln-f",
           port(("logits = self.lm_head(self.transformer.ln_f(x))", "logits = self.lm_head(x)"))),
    Mutant("GPT2", "no length check", "no-length-check",
           port(('''        if ids.shape[-1] > self.n_ctx:
            raise ValueError(f"{ids.shape[-1]} tokens are longer than the context n_ctx={self.n_ctx}")
''', ''))),
    Mutant("GPT2", "batch axis kept for 1-D ids", "batch-axis-kept",
           port(("        return logits[0] if squeeze else logits", "        return logits"))),
]

register_mutants(MUTANTS)
