"""The probes: how a case calls the learner's code, in the learner's (sandboxed) process.

A case's `probe` builds what the learner's function needs from plain data (a model with given weights, a checkpoint
directory, a generator with a seed) and returns plain data (NumPy arrays, lists, dicts, strings).

This module runs inside the grading sandbox, which must not see the chapters' exercise modules (hidden-case generators,
known mistakes) nor the chapter's own reference. So it imports only the standard library, NumPy, PyTorch, tiktoken
and safetensors at module level — never `solutions` and never `autograder.exercises`. A probe may import, inside its
function, what every chapter's sandbox holds: `solutions.params` (HParams) and the chapters before its own. The
exercise modules import their probes from here.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import tempfile
import traceback
from pathlib import Path

import numpy as np

# ----------------------------------------------------------------------------------------------------------------
# Chapter 01: encode_pieces
# ----------------------------------------------------------------------------------------------------------------
RANKS_SHA256 = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"


def _ranks_path() -> Path:
    """data/r50k_base.tiktoken next to this package (the repository's, or the sandbox runtime's copy)."""
    return Path(__file__).resolve().parent.parent / "data" / "r50k_base.tiktoken"


@functools.cache
def _ranks() -> dict:
    from tiktoken.load import load_tiktoken_bpe

    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = ""  # no copy into a cache directory
    try:
        return load_tiktoken_bpe(str(_ranks_path()), expected_hash=RANKS_SHA256)
    finally:
        if old is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old


def _plain_ids(ids):
    if isinstance(ids, (list, tuple, np.ndarray)):
        return [int(i) if isinstance(i, (int, np.integer)) and not isinstance(i, bool) else repr(i) for i in ids]
    return f"returned {type(ids).__name__} {repr(ids)[:80]}"


def encode_pieces(fn, pieces, ranks=None):
    """The probe: fn(piece, ranks) for every piece, each outcome as plain data.  # pieces -> [ids | error]

    ids come back as a list of ints (anything that is not an int, such as bytes, as its repr); an exception as
    {"raised": type name, "key": type of a missing key, "message": ..., "where": the learner's line}.
    `ranks` is a small rank table shipped with the case, or None for GPT-2's, loaded here in the learner's process;
    either is copied so a function that changes them cannot change the next case.
    """
    ranks = dict(_ranks() if ranks is None else ranks)
    out = []
    for piece in pieces:
        try:
            ids = fn(piece, ranks)
        except NotImplementedError:
            raise
        except Exception as exc:  # the learner's exception is data
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if "autograder" not in f.filename]
            key = type(exc.args[0]).__name__ if isinstance(exc, KeyError) and exc.args else ""
            line = (frames[-1].line or "").strip() if frames else ""
            where = f"line {frames[-1].lineno}" + (f": {line}" if line else "") if frames else ""
            out.append({"raised": type(exc).__name__, "key": key, "message": str(exc)[:200], "where": where})
            continue
        out.append(_plain_ids(ids))
    return out


# ----------------------------------------------------------------------------------------------------------------
# Chapter 04: DeepMLP, layer_gradients, residual, pre_norm
# ----------------------------------------------------------------------------------------------------------------
NAMES_SHAPES = "a ValueError whose message names both shapes"
HIDES_SHAPES = "a ValueError whose message does not name both shapes"


def _shape_error(exc: ValueError, shape_a: tuple, shape_b: tuple) -> dict:
    """A ValueError about two shapes, as data: does its message name the sizes in which they differ?"""
    differing = {a for a, b in zip(shape_a, shape_b) if a != b} | {b for a, b in zip(shape_a, shape_b) if a != b}
    numbers = {int(n) for n in re.findall(r"\d+", str(exc))}
    return {"error": "ValueError", "verdict": NAMES_SHAPES if differing <= numbers else HIDES_SHAPES,
            "message": str(exc)[:300]}


def _parameters(model) -> list:
    return sorted((name, tuple(int(n) for n in p.shape)) for name, p in model.named_parameters())


def probe_deep_mlp(cls, layer_sizes, use_shortcut, weights, x) -> dict:
    """Build cls(layer_sizes, use_shortcut) (torch seed 0), copy in `weights`, run it on x (one torch thread; the
    caller's torch random state is left as it was).

    -> {"parameters": [(name, shape)], "output": array | shape error}
    """
    return _one_thread(_deep_mlp)(cls, layer_sizes, use_shortcut, weights, x)


def _deep_mlp(cls, layer_sizes, use_shortcut, weights, x) -> dict:
    import torch

    torch.manual_seed(0)
    try:
        model = cls(list(layer_sizes), use_shortcut)
        parameters = _parameters(model)
        if parameters != sorted((k, tuple(v.shape)) for k, v in weights.items()):
            return {"parameters": parameters, "output": None}
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
        with torch.no_grad():
            out = model(torch.from_numpy(x))
    except ValueError as exc:
        widths = next(((a, b) for a, b in zip(layer_sizes, layer_sizes[1:]) if a != b), ())
        return {"parameters": None, "output": _shape_error(exc, (x.shape[0], *widths[:1]), (x.shape[0], *widths[1:]))}
    return {"parameters": parameters, "output": out.detach().numpy() if isinstance(out, torch.Tensor) else out}


def _gradient_model(layer_sizes, use_shortcut):
    """The model layer_gradients is probed on: layers.i.0 = Linear, layers.i.1 = GELU, a shortcut around each layer
    when asked (only where the widths agree)."""
    import torch
    from torch import nn

    layers = nn.ModuleList(nn.Sequential(nn.Linear(a, b), nn.GELU()) for a, b in zip(layer_sizes, layer_sizes[1:]))

    class _Probed(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = layers

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for layer in self.layers:
                out = layer(x)
                x = x + out if use_shortcut and out.shape == x.shape else out
            return x

    return _Probed()


def probe_layer_gradients(fn, layer_sizes, use_shortcut, weights, runs) -> list:
    """One DeepMLP-shaped model with `weights`; fn(model, x, target) for each (x, target) in runs, on the same model
    (one torch thread).

    -> [array of per-layer values] per run
    """
    return _one_thread(_layer_gradients)(fn, layer_sizes, use_shortcut, weights, runs)


def _layer_gradients(fn, layer_sizes, use_shortcut, weights, runs) -> list:
    import torch

    model = _gradient_model(list(layer_sizes), use_shortcut)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    return [np.array([float(g) for g in fn(model, torch.from_numpy(x), torch.from_numpy(target))])
            for x, target in runs]


def _sublayer(w, kind):
    """A fixed sub-layer: "map" keeps the rows, x [..., n, d] -> [..., n, w.shape[1]]; "pool" averages them,
    -> [..., 1, w.shape[1]]; "swap" returns the map's output with its last two axes swapped (as many entries as x,
    another shape); "dropout" is the map with a random mask that changes at every call (calls counted in
    `sub.calls`)."""
    if kind == "pool":
        return lambda h: np.tanh(h.mean(axis=-2, keepdims=True) @ w)
    if kind == "swap":
        return lambda h: np.swapaxes(np.tanh(h @ w), -1, -2)
    if kind == "dropout":
        def sub(h):
            sub.calls += 1
            out = np.tanh(h @ w)
            keep = np.random.default_rng(1000 + sub.calls).random(out.shape) > 0.25
            return np.where(keep, out / 0.75, 0.0).astype(out.dtype)

        sub.calls = 0
        return sub
    return lambda h: np.tanh(h @ w)


def _sublayer_outcome(call, x, w, kind):
    """Run call(sub) -> output | shape error; with "dropout", also how many times sub was called."""
    sub = _sublayer(w, kind)
    try:
        out = call(sub)
    except ValueError as exc:
        out = _shape_error(exc, x.shape, _sublayer(w, kind)(x).shape)
    return {"calls": sub.calls, "output": out} if kind == "dropout" else out


def probe_residual(fn, x, w, kind="map"):
    return _sublayer_outcome(lambda sub: fn(x, sub), x, w, kind)


def probe_pre_norm(fn, x, ln, w, kind="map"):
    return _sublayer_outcome(lambda sub: fn(x, ln, sub), x, w, kind)


# ----------------------------------------------------------------------------------------------------------------
# Chapter 06: count_parameters
# ----------------------------------------------------------------------------------------------------------------
def _shape_tree(hparams: dict) -> dict:
    """A GPT-2 parameter tree of the given size whose leaves take no memory (zero-stride views).

    hparams -> {wte, wpe, blocks, ln_f}, like solutions.init_params
    """
    from solutions.params import HParams  # in every sandbox

    h = HParams.of(hparams)
    n_embd = h.n_embd

    def leaf(*shape):
        return np.broadcast_to(np.float32(0), shape)

    def ln():
        return {"g": leaf(n_embd), "b": leaf(n_embd)}

    def lin(n_in, n_out):
        return {"w": leaf(n_in, n_out), "b": leaf(n_out)}

    blocks = [{"ln_1": ln(), "attn": {"c_attn": lin(n_embd, 3 * n_embd), "c_proj": lin(n_embd, n_embd)},
               "ln_2": ln(), "mlp": {"c_fc": lin(n_embd, 4 * n_embd), "c_proj": lin(4 * n_embd, n_embd)}}
              for _ in range(h.n_layer)]
    return {"wte": leaf(h.n_vocab, n_embd), "wpe": leaf(h.n_ctx, n_embd), "blocks": blocks, "ln_f": ln()}


def count_of_size(fn, hparams):
    """Probe: count the parameters of a full-size model without allocating it."""
    return fn(_shape_tree(hparams))


# ----------------------------------------------------------------------------------------------------------------
# Chapter 07: load_gpt2_params, GPT2
# ----------------------------------------------------------------------------------------------------------------
PREFIX = "transformer."


def _checkpoint_layout(hparams: dict):
    """(Hugging Face name without prefix, path in the params tree, shape) for every GPT-2 weight."""
    from solutions.params import HParams  # in every sandbox (chapter 07's checkpoint_layout is not)

    h = HParams.of(hparams)
    n_embd = h.n_embd
    yield "wte.weight", ("wte",), (h.n_vocab, n_embd)
    yield "wpe.weight", ("wpe",), (h.n_ctx, n_embd)
    linears = {"attn.c_attn": (n_embd, 3 * n_embd), "attn.c_proj": (n_embd, n_embd),
               "mlp.c_fc": (n_embd, 4 * n_embd), "mlp.c_proj": (4 * n_embd, n_embd)}
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


def _leaf(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def _config(hparams: dict) -> dict:
    """The config.json that save_pretrained writes for these hyper-parameters."""
    from solutions.ch01_tokens_and_embeddings import ENDOFTEXT_ID  # chapter 01 is earlier than 07: in the sandbox

    has_eos = hparams["n_vocab"] > ENDOFTEXT_ID
    return {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": hparams["n_vocab"],
        "n_positions": hparams["n_ctx"], "n_embd": hparams["n_embd"], "n_head": hparams["n_head"],
        "n_layer": hparams["n_layer"], "n_inner": None, "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1,
        "initializer_range": 0.02, "scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False, "tie_word_embeddings": True, "use_cache": True,
        "bos_token_id": ENDOFTEXT_ID if has_eos else None, "eos_token_id": ENDOFTEXT_ID if has_eos else None,
        "dtype": "float32",
    }


def _save(hparams: dict, params: dict, model_dir: Path) -> None:
    """config.json + model.safetensors with save_pretrained's names (what transformers 5 writes)."""
    from safetensors.numpy import save_file

    tensors = {PREFIX + name: np.ascontiguousarray(np.asarray(_leaf(params, path)), dtype=np.float32)
               for name, path, _ in _checkpoint_layout(hparams)}
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "config.json").write_text(json.dumps(_config(hparams), indent=2) + "\n")
    save_file(tensors, model_dir / "model.safetensors", metadata={"format": "pt"})


def write_checkpoint(model_dir: Path, hparams: dict, params: dict, layout: str = "save_pretrained",
                     drop: str | None = None) -> Path:
    """A Hugging Face GPT-2 directory holding `params`.

    layout "save_pretrained": what transformers 5 writes (every name with the `transformer.` prefix, no lm_head);
    layout "published": the openai-community/gpt2 layout (no prefix, attn.bias / attn.masked_bias buffers, an
    lm_head.weight equal to wte, and a config.json that also says n_ctx); layout "float16": save_pretrained's names
    with every tensor stored in float16, as the course model ships. `drop` leaves one tensor out.
    """
    from safetensors.numpy import load_file, save_file

    model_dir = Path(model_dir)
    _save(hparams, params, model_dir)
    if layout == "published":
        saved = load_file(model_dir / "model.safetensors")
        tensors = {name.removeprefix(PREFIX): array for name, array in saved.items()}
        n_ctx = hparams["n_ctx"]
        for i in range(hparams["n_layer"]):
            tensors[f"h.{i}.attn.bias"] = np.tril(np.ones((n_ctx, n_ctx), dtype=np.float32))[None, None]
            tensors[f"h.{i}.attn.masked_bias"] = np.array(-1e4, dtype=np.float32)
        tensors["lm_head.weight"] = tensors["wte.weight"].copy()
        save_file(tensors, model_dir / "model.safetensors", metadata={"format": "pt"})
        config = json.loads((model_dir / "config.json").read_text())
        (model_dir / "config.json").write_text(json.dumps({**config, "n_ctx": n_ctx}, indent=2))
    if layout == "float16":
        saved = load_file(model_dir / "model.safetensors")
        save_file({name: array.astype(np.float16) for name, array in saved.items()}, model_dir / "model.safetensors",
                  metadata={"format": "pt"})
    if drop is not None:
        tensors = load_file(model_dir / "model.safetensors")
        del tensors[drop]
        save_file(tensors, model_dir / "model.safetensors", metadata={"format": "pt"})
    return model_dir


def probe_load(load_gpt2_params, hparams: dict, params: dict, layout: str = "save_pretrained",
               drop: str | None = None):
    """Write a tiny checkpoint in a temporary directory and load it with `load_gpt2_params` -> (hparams, params)."""
    model_dir = Path(tempfile.mkdtemp(prefix="gpt2-checkpoint-"))
    try:
        write_checkpoint(model_dir, hparams, params, layout, drop)
        return load_gpt2_params(str(model_dir))
    finally:
        shutil.rmtree(model_dir, ignore_errors=True)


def reference_state_dict(hparams: dict, params: dict) -> dict:
    """Hugging Face GPT2LMHeadModel's state dict holding `params` (lm_head.weight is wte's tensor)."""
    import torch

    state = {PREFIX + name: torch.tensor(np.asarray(_leaf(params, path), dtype=np.float32))
             for name, path, _ in _checkpoint_layout(hparams)}
    state["lm_head.weight"] = state[PREFIX + "wte.weight"]
    return state


def _one_thread(probe):
    """Run a probe with one torch thread (on these tiny models a second thread only adds waiting: 100x slower on a
    busy machine) and leave the caller's torch random state as it was (the probes seed it)."""

    @functools.wraps(probe)
    def wrapper(*args, **kwargs):
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.random.fork_rng(devices=[]):
                return probe(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return wrapper


def _build(GPT2, hparams: dict):
    import torch

    from solutions.params import HParams  # in every sandbox

    torch.manual_seed(0)  # the random initial weights are the same on every run
    return GPT2(**HParams.of(hparams))  # by name: the learner's GPT2(n_vocab, n_ctx, n_embd, n_head, n_layer)


def _numpy(out):
    import torch

    return out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else out


@_one_thread
def probe_state_dict(GPT2, hparams: dict) -> dict:
    """Build GPT2(**hparams) -> {state_dict name: shape}."""
    return {name: tuple(t.shape) for name, t in _build(GPT2, hparams).state_dict().items()}


@_one_thread
def probe_tied(GPT2, hparams: dict) -> bool | None:
    """Is lm_head.weight the very tensor of transformer.wte.weight? (None when either name is missing)"""
    state = _build(GPT2, hparams).state_dict(keep_vars=True)
    head, wte = state.get("lm_head.weight"), state.get(PREFIX + "wte.weight")
    return None if head is None or wte is None else head.data_ptr() == wte.data_ptr()


@_one_thread
def probe_buffers(GPT2, hparams: dict) -> list:
    """Build GPT2(**hparams) -> the names in its state_dict that are not parameters (persistent buffers)."""
    model = _build(GPT2, hparams)
    parameters = {name for name, _ in model.named_parameters(remove_duplicate=False)}
    return sorted(name for name in model.state_dict() if name not in parameters)


@_one_thread
def probe_one_head_parameter(GPT2, hparams: dict) -> dict:
    """Is lm_head.weight the very Parameter transformer.wte.weight (not a second Parameter sharing its storage through
    .data, which parameters() counts twice and .double() or .to() unties)? And how many numbers parameters() holds."""
    model = _build(GPT2, hparams)
    state = model.state_dict(keep_vars=True)
    head, wte = state.get("lm_head.weight"), state.get(PREFIX + "wte.weight")
    return {"lm_head.weight is transformer.wte.weight": head is not None and head is wte,
            "numbers in parameters()": int(sum(p.numel() for p in model.parameters()))}


@_one_thread
def probe_logits(GPT2, hparams: dict, params: dict, ids: np.ndarray) -> np.ndarray:
    """GPT2(**hparams), load_state_dict(the reference state dict, strict=True), eval, logits for `ids`."""
    import torch

    model = _build(GPT2, hparams)
    model.load_state_dict(reference_state_dict(hparams, params), strict=True)
    model.eval()
    with torch.no_grad():
        return _numpy(model(torch.from_numpy(ids)))


@_one_thread
def probe_from_params(GPT2, hparams: dict, params: dict, ids: np.ndarray) -> dict:
    """GPT2.from_params(hparams, params): which weights don't hold the values of `params`, and the logits."""
    import torch

    torch.manual_seed(0)
    model = GPT2.from_params(hparams, params)
    state = model.state_dict()
    wrong = []
    for name, tensor in reference_state_dict(hparams, params).items():
        got = state.get(name)
        if got is None or tuple(got.shape) != tuple(tensor.shape) or not torch.equal(got.detach().cpu(), tensor):
            wrong.append(name)
    model.eval()
    with torch.no_grad():
        logits = _numpy(model(torch.from_numpy(ids)))
    return {"weights that don't hold the values in params": wrong, "logits": logits}


# ----------------------------------------------------------------------------------------------------------------
# Chapter 08: sample_next, generate, gpt2_cached
# ----------------------------------------------------------------------------------------------------------------
def probe_draws(sample_next, logits, seed: int, n_draws: int, **kwargs) -> list:
    """n_draws calls of sample_next with one generator seeded `seed` -> the drawn token ids."""
    rng = np.random.default_rng(seed)
    return [sample_next(logits, rng, **kwargs) for _ in range(n_draws)]


def probe_counts(sample_next, logits, seed: int, n_draws: int, **kwargs) -> np.ndarray:
    """How often each token was drawn in n_draws calls.  # -> [n_vocab] int64"""
    draws = np.array(probe_draws(sample_next, logits, seed, n_draws, **kwargs))
    n_vocab = np.shape(logits)[-1]
    if draws.dtype.kind not in "iu" or draws.min() < 0 or draws.max() >= n_vocab:
        raise ValueError(f"sample_next returned {draws[:5]} ...: expected token ids in [0, {n_vocab})")
    return np.bincount(draws, minlength=n_vocab).astype(np.int64)


def probe_generate(generate, ids, params, n_head, n_new, seed=None, **kwargs):
    """generate(ids, params, n_head, n_new, rng=default_rng(seed) if seed is given, **kwargs) -> its list of ids."""
    if seed is not None:
        kwargs["rng"] = np.random.default_rng(seed)
    return generate(ids, params, n_head, n_new, **kwargs)


def probe_generate_prompt(generate, ids, params, n_head, n_new, **kwargs):
    """generate on a Python list -> {"new tokens": what it returned, "prompt list unchanged": whether the caller's
    list still holds the prompt afterwards}."""
    prompt = [int(i) for i in ids]
    new = generate(prompt, params, n_head, n_new, **kwargs)
    return {"new tokens": new, "prompt list unchanged": prompt == [int(i) for i in ids]}


def _snapshot(cache):
    return None if cache is None else copy.deepcopy([tuple(np.array(a) for a in layer) for layer in cache])


def _same_cache(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(len(x) == len(y) and all(np.array_equal(u, v) for u, v in zip(x, y))
                                    for x, y in zip(a, b))


def probe_cached(gpt2_cached, ids, params, n_head, chunks):
    """Feed `ids` in chunks (the first without a cache, each next one with the cache the previous call returned).

    -> {"cache shapes": per layer (k shape, v shape) after the last call, "logits": [n_seq, n_vocab] of all calls,
        "cache passed in left unchanged": bool}
    """
    ids = [int(i) for i in ids]
    cache, steps, unchanged, start = None, [], True, 0
    for size in chunks:
        before = _snapshot(cache)
        logits, new_cache = gpt2_cached(ids[start:start + size], params, n_head, cache) if cache is not None \
            else gpt2_cached(ids[start:start + size], params, n_head)
        unchanged = unchanged and _same_cache(before, _snapshot(cache))
        steps.append(np.asarray(logits))
        cache, start = new_cache, start + size
    shapes = [tuple(tuple(np.shape(a)) for a in layer) for layer in cache]
    return {"cache shapes": shapes, "logits": np.concatenate(steps), "cache passed in left unchanged": unchanged}


# ----------------------------------------------------------------------------------------------------------------
# Chapter 09: get_batch, lr_at, train_step
# ----------------------------------------------------------------------------------------------------------------
def probe_get_batch(get_batch, tokens, batch_size: int, n_ctx: int, seed: int) -> dict:
    """get_batch(tokens, batch_size, n_ctx, np.random.default_rng(seed)) -> {"x": ..., "y": ...} (whatever came
    back, as plain data: arrays stay arrays, a tensor becomes an array of its dtype)."""
    out = get_batch(tokens, batch_size, n_ctx, np.random.default_rng(seed))
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return {"returned": f"{type(out).__name__} {repr(out)[:60]}"}
    return {"x": _numpy(out[0]) if _is_tensor(out[0]) else out[0],
            "y": _numpy(out[1]) if _is_tensor(out[1]) else out[1]}


def _is_tensor(value) -> bool:
    return type(value).__module__.startswith("torch")


def probe_schedule(lr_at, steps, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> np.ndarray:
    """lr_at at every step of `steps` -> [len(steps)] float64."""
    return np.array([float(lr_at(int(s), max_lr, min_lr, warmup_steps, max_steps)) for s in steps])


def tiny_lm(n_vocab: int, n_ctx: int, n_embd: int, n_head: int, drop: float):
    """A one-block GPT-2-shaped language model (tied embeddings, pre-norm causal attention and a GELU MLP, dropout on
    the embeddings and sub-layer outputs): ids [batch, n_seq] -> logits [batch, n_seq, n_vocab]. Built here, not
    from the course's reference, so that the grading sandbox needs no chapter 07."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class TinyLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(n_vocab, n_embd), nn.Embedding(n_ctx, n_embd)
            self.ln_1, self.ln_2, self.ln_f = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
            self.c_attn, self.c_proj = nn.Linear(n_embd, 3 * n_embd), nn.Linear(n_embd, n_embd)
            self.c_fc, self.mlp_proj = nn.Linear(n_embd, 4 * n_embd), nn.Linear(4 * n_embd, n_embd)
            self.drop = nn.Dropout(drop)

        def forward(self, ids):
            batch, n_seq = ids.shape
            x = self.drop(self.wte(ids) + self.wpe(torch.arange(n_seq)))
            q, k, v = self.c_attn(self.ln_1(x)).split(n_embd, dim=-1)
            q, k, v = (t.view(batch, n_seq, n_head, -1).transpose(1, 2) for t in (q, k, v))
            scores = q @ k.transpose(-1, -2) / (n_embd // n_head) ** 0.5
            scores = scores.masked_fill(torch.ones(n_seq, n_seq, dtype=torch.bool).triu(1), float("-inf"))
            att = (F.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, n_seq, n_embd)
            x = x + self.drop(self.c_proj(att))
            x = x + self.drop(self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")))
            return self.ln_f(x) @ self.wte.weight.T

    return TinyLM()


@_one_thread
def probe_train_step(train_step, config: dict, weights: dict, batches: list, optimizer: str, lr: float,
                     clip: float) -> dict:
    """A tiny model holding `weights` and a fresh optimizer ("sgd": SGD with momentum 0.9; "adamw": AdamW,
    eps 1e-3); for each (x, y) of `batches`: model.eval() (as an evaluation leaves it), torch seed 100 + i (the
    dropout masks), then train_step(model, opt, x, y, clip) with x, y int64 tensors.

    -> {"loss is a Python float": [bool], "losses": [float], "parameters after": {name: array}}
    """
    import torch

    model = tiny_lm(**config)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:
        # eps 1e-3, not 1e-8: the key bias has a gradient of exactly 0 in theory (softmax ignores it) and ~1e-9 of
        # rounding noise in practice, which a tiny eps would blow up into steps of +-lr that differ between correct
        # implementations
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1, eps=1e-3)
    is_float, losses = [], []
    for i, (x, y) in enumerate(batches):
        model.eval()
        torch.manual_seed(100 + i)
        loss = train_step(model, opt, torch.from_numpy(np.array(x)), torch.from_numpy(np.array(y)), clip)
        is_float.append(isinstance(loss, float))
        losses.append(float(loss))
    return {"loss is a Python float": is_float, "losses": np.array(losses),
            "parameters after": {name: p.detach().numpy().copy() for name, p in model.named_parameters()}}
