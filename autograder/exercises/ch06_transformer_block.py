"""Chapter 06 — transformer_block, gpt2, count_parameters: cases and known mistakes.

The check of `gpt2` compares with Hugging Face's GPT2LMHeadModel without importing transformers: the logits it
computed for a tiny random-weight model are stored in autograder/fixtures/ch06_gpt2_hf.npz. The weights are not
stored; they are regenerated from a seed by `solutions.init_params`. Rebuild the file (needs transformers) with

    python -m autograder.exercises rebuild-fixtures
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import numpy as np

import solutions

from ..engine import Case, Exercise, Mistake, Mutant, register, register_mutants
from ..probes import _shape_tree, count_of_size
from .ch05_attention import torch_mha

# ----------------------------------------------------------------------------------------------------------------
# The Hugging Face fixture
# ----------------------------------------------------------------------------------------------------------------

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ch06_gpt2_hf.npz"
FIXTURE_HPARAMS = {"n_vocab": 97, "n_ctx": 12, "n_embd": 24, "n_head": 3, "n_layer": 2}
FIXTURE_SEED, FIXTURE_STD = 6, 0.2


def fixture_params() -> dict:
    """The tiny model's float32 weights, regenerated from the seed.  # -> {wte, wpe, blocks, ln_f}"""
    return solutions.init_params(FIXTURE_HPARAMS, seed=FIXTURE_SEED, std=FIXTURE_STD)


def fixture_ids() -> np.ndarray:
    """A whole context of token ids.  # -> [n_ctx]"""
    rng = np.random.default_rng(FIXTURE_SEED)
    return rng.integers(0, FIXTURE_HPARAMS["n_vocab"], size=FIXTURE_HPARAMS["n_ctx"])


def hf_logits(hparams: dict, params: dict, ids) -> np.ndarray:
    """Hugging Face's GPT2LMHeadModel (eager attention, float32) on our parameter tree.  # [n_seq] -> [n_seq, n_vocab]

    Needs torch and transformers; the grading never calls it (it reads the stored logits).
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=hparams["n_vocab"], n_positions=hparams["n_ctx"], n_embd=hparams["n_embd"],
                        n_layer=hparams["n_layer"], n_head=hparams["n_head"], attn_implementation="eager",
                        bos_token_id=None, eos_token_id=None)
    model = GPT2LMHeadModel(config).eval()
    state = {"wte.weight": params["wte"], "wpe.weight": params["wpe"],
             "ln_f.weight": params["ln_f"]["g"], "ln_f.bias": params["ln_f"]["b"]}
    for i, block in enumerate(params["blocks"]):
        for ln in ("ln_1", "ln_2"):
            state[f"h.{i}.{ln}.weight"], state[f"h.{i}.{ln}.bias"] = block[ln]["g"], block[ln]["b"]
        for sub, layer in (("attn", "c_attn"), ("attn", "c_proj"), ("mlp", "c_fc"), ("mlp", "c_proj")):
            state[f"h.{i}.{sub}.{layer}.weight"] = block[sub][layer]["w"]  # Conv1D: [in, out], as ours
            state[f"h.{i}.{sub}.{layer}.bias"] = block[sub][layer]["b"]
    missing, unexpected = model.transformer.load_state_dict(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=False)
    if unexpected or any(not k.endswith(("attn.bias", "attn.masked_bias")) for k in missing):
        raise RuntimeError(f"weights do not fit GPT2LMHeadModel: missing {missing}, unexpected {unexpected}")
    if model.lm_head.weight.data_ptr() != model.transformer.wte.weight.data_ptr():
        raise RuntimeError("lm_head is not tied to wte in this transformers version")
    with torch.no_grad():
        return model(torch.tensor(np.asarray(ids)[None])).logits[0].numpy()


def rebuild_fixtures() -> list[Path]:
    """Recompute the stored Hugging Face logits (python -m autograder.exercises rebuild-fixtures)."""
    ids = fixture_ids()
    logits = hf_logits(FIXTURE_HPARAMS, fixture_params(), ids)
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FIXTURE, ids=ids, logits=logits.astype(np.float32),
                        hparams=np.array([FIXTURE_HPARAMS[k] for k in solutions.GPT2_SMALL]),
                        seed=FIXTURE_SEED, std=FIXTURE_STD)
    return [FIXTURE]


@functools.cache
def stored_hf() -> dict:
    """The stored fixture, checked against the constants above.  # -> {ids [n_ctx], logits [n_ctx, n_vocab]}"""
    with np.load(FIXTURE) as f:
        data = {k: f[k] for k in f.files}
    if [int(v) for v in data["hparams"]] != [FIXTURE_HPARAMS[k] for k in solutions.GPT2_SMALL] \
            or int(data["seed"]) != FIXTURE_SEED or float(data["std"]) != FIXTURE_STD:
        raise RuntimeError(f"{FIXTURE} was built for another model: python -m autograder.exercises rebuild-fixtures")
    return data


def _hf_oracle(ids, wte, wpe, blocks, ln_f, n_head):
    """The stored Hugging Face logits for the fixture's ids (and only those)."""
    data = stored_hf()
    if not np.array_equal(np.asarray(ids), data["ids"]):
        raise RuntimeError("the Hugging Face fixture only has logits for its own ids")
    return data["logits"]


# ----------------------------------------------------------------------------------------------------------------
# transformer_block
# ----------------------------------------------------------------------------------------------------------------


def torch_block(x, mlp, attn, ln_1, ln_2, n_head):
    """An independent pre-norm block in PyTorch: F.layer_norm, scaled_dot_product_attention, F.gelu(tanh).

    # [n_seq, n_embd] -> [n_seq, n_embd]
    """
    import torch
    import torch.nn.functional as F

    def ln(t, p):
        return F.layer_norm(t, (t.shape[-1],), torch.from_numpy(p["g"]), torch.from_numpy(p["b"]), 1e-5)

    def lin(t, p):
        return t @ torch.from_numpy(p["w"]) + torch.from_numpy(p["b"])

    t = torch.from_numpy(x)
    t = t + torch.from_numpy(torch_mha(ln(t, ln_1).numpy(), attn["c_attn"], attn["c_proj"], n_head))
    t = t + lin(F.gelu(lin(ln(t, ln_2), mlp["c_fc"]), approximate="tanh"), mlp["c_proj"])
    return t.numpy()


def _block_args(rng, n_seq, n_head, d_head, dtype=np.float64, std=0.2):
    """(x, mlp, attn, ln_1, ln_2, n_head) for one block of random weights."""
    n_embd = n_head * d_head
    hparams = {"n_vocab": 1, "n_ctx": 1, "n_embd": n_embd, "n_head": n_head, "n_layer": 1}
    block = solutions.init_params(hparams, seed=int(rng.integers(2**31)), dtype=dtype, std=std)["blocks"][0]
    x = rng.standard_normal((n_seq, n_embd)).astype(dtype)
    return x, block["mlp"], block["attn"], block["ln_1"], block["ln_2"], n_head


def _switched_off(args):
    """The same block with both output projections zero: the sub-layers add nothing, so the block is x -> x."""
    x, mlp, attn, ln_1, ln_2, n_head = args
    zero = {"w": np.zeros_like(mlp["c_proj"]["w"]), "b": np.zeros_like(mlp["c_proj"]["b"])}
    attn_zero = {"w": np.zeros_like(attn["c_proj"]["w"]), "b": np.zeros_like(attn["c_proj"]["b"])}
    return x, {**mlp, "c_proj": zero}, {**attn, "c_proj": attn_zero}, ln_1, ln_2, n_head


# Tolerances from measurement (tests/alternatives/ch06_transformer_block.py keeps the table,
# tests/test_tolerances.py the margins).
# float64: a correct block differs from the reference only by its GELU's constant — LLMs-from-scratch's float32
# √(2/π) lands up to 2.5e-8 away, the 7-digit 0.7978846 4.4e-8 (outputs up to |5|), einsum or picoGPT's helpers
# 3e-15 — while the nearest known mistake, an exact erf GELU written inside the block, lands up to 6.9e-4 away.
# atol = rtol = 1e-6 puts the alternatives at ≤ 0.05 of the tolerance and the erf GELU at 459× it.
# float32: rounding (NumPy vs torch, float64 accumulation cast back) reaches 0.046 of atol 2e-5 + rtol 1e-5.
# gpt2's logits are not unit-sized: the same relative tolerances, scaled by the case's largest |logit| (LOGITS64,
# LOGITS32): alternatives ≤ 0.047 (the float32 Hugging Face case), the erf GELU block 288×.
BLOCK64 = {"atol": 1e-6, "rtol": 1e-6}
BLOCK32 = {"atol": 2e-5, "rtol": 1e-5}


def block_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if hidden:
        n_head, d_head = int(rng.integers(2, 5)), int(rng.integers(3, 7))
        n_seq = int(rng.integers(3, 9))
    else:
        n_seq, n_head, d_head = 6, 4, 4
    return [
        Case(f"one block: {n_seq} positions, n_embd={n_head * d_head}, {n_head} heads",
             _block_args(rng, n_seq, n_head, d_head), **BLOCK64),
        Case("sub-layers switched off (both c_proj zero): the block must return x unchanged",
             _switched_off(_block_args(rng, n_seq, n_head, d_head)), atol=1e-12, rtol=1e-12,
             hint="when both sub-layers output zeros, x must come out unchanged: each sub-layer is added to x, "
                  "x = x + mha(layer_norm(x, **ln_1), ...), and nothing is applied after the additions."),
        Case("agrees with an independent PyTorch block (F.layer_norm, scaled_dot_product_attention, F.gelu)",
             _block_args(rng, n_seq + 1, n_head, d_head, np.float32), oracle=torch_block, **BLOCK32),
        Case("a single position", _block_args(rng, 1, n_head, d_head), **BLOCK64),
        Case("float32 in, float32 out", _block_args(rng, n_seq, n_head, d_head, np.float32), **BLOCK32,
             hint="float32 inputs must give a float32 output: something in your block makes float64 — "
                  ".astype(np.float64), a float64 array, or a NumPy float64 scalar such as np.sqrt(...) (use "
                  "math.sqrt).", hint_id="block-float64"),
    ]


def _ln(x, p):
    return solutions.layer_norm(x, **p)


def _attn(x, attn, n_head):
    return solutions.mha(x, **attn, n_head=n_head)


def _mlp(x, mlp):
    return solutions.ffn(x, **mlp)


def _block_post_norm(x, mlp, attn, ln_1, ln_2, n_head):
    x = _ln(x + _attn(x, attn, n_head), ln_1)
    return _ln(x + _mlp(x, mlp), ln_2)


def _block_ln_1_twice(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + _attn(_ln(x, ln_1), attn, n_head)
    return x + _mlp(_ln(x, ln_1), mlp)


def _block_ln_swapped(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + _attn(_ln(x, ln_2), attn, n_head)
    return x + _mlp(_ln(x, ln_1), mlp)


def _block_no_mlp_shortcut(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + _attn(_ln(x, ln_1), attn, n_head)
    return _mlp(_ln(x, ln_2), mlp)


def _block_no_attn_shortcut(x, mlp, attn, ln_1, ln_2, n_head):
    x = _attn(_ln(x, ln_1), attn, n_head)
    return x + _mlp(_ln(x, ln_2), mlp)


def _block_no_shortcuts(x, mlp, attn, ln_1, ln_2, n_head):
    return _mlp(_ln(_attn(_ln(x, ln_1), attn, n_head), ln_2), mlp)


def _block_normalised_shortcut(x, mlp, attn, ln_1, ln_2, n_head):
    h = _ln(x, ln_1)
    x = h + _attn(h, attn, n_head)
    h = _ln(x, ln_2)
    return h + _mlp(h, mlp)


def _block_no_norms(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + _attn(x, attn, n_head)
    return x + _mlp(x, mlp)


def _block_mlp_first(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + _mlp(_ln(x, ln_2), mlp)
    return x + _attn(_ln(x, ln_1), attn, n_head)


def _block_parallel(x, mlp, attn, ln_1, ln_2, n_head):
    return x + _attn(_ln(x, ln_1), attn, n_head) + _mlp(_ln(x, ln_2), mlp)


def _block_final_norm(x, mlp, attn, ln_1, ln_2, n_head):
    return _ln(solutions.transformer_block(x, mlp, attn, ln_1, ln_2, n_head), ln_2)


def _block_float64(x, mlp, attn, ln_1, ln_2, n_head):
    return solutions.transformer_block(x.astype(np.float64), mlp, attn, ln_1, ln_2, n_head)


_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _gelu_erf(x):
    """The exact GELU, x·Φ(x) with the error function: 4.7e-4 away from GPT-2's tanh form at most."""
    return (0.5 * x * (1 + _ERF(x / math.sqrt(2)))).astype(x.dtype)


def _block_erf_gelu(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + _attn(_ln(x, ln_1), attn, n_head)
    h = _gelu_erf(_ln(x, ln_2) @ mlp["c_fc"]["w"] + mlp["c_fc"]["b"])
    return x + h @ mlp["c_proj"]["w"] + mlp["c_proj"]["b"]


_PRE_NORM = "x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head), then x = x + ffn(layer_norm(x, **ln_2), **mlp)"
BLOCK_MISTAKES = [
    Mistake(f"your block is post-norm (LayerNorm after the addition); GPT-2 is pre-norm: {_PRE_NORM}.",
            _block_post_norm),
    Mistake(f"the MLP's LayerNorm must be ln_2, not ln_1 again: {_PRE_NORM}.", _block_ln_1_twice),
    Mistake(f"ln_1 and ln_2 are swapped: ln_1 goes before attention, ln_2 before the MLP: {_PRE_NORM}.",
            _block_ln_swapped),
    Mistake("the shortcut around the MLP is missing: add the MLP's output to x, x = x + ffn(layer_norm(x, "
            "**ln_2), **mlp).", _block_no_mlp_shortcut),
    Mistake("the shortcut around attention is missing: add the attention's output to x, x = x + mha(...).",
            _block_no_attn_shortcut),
    Mistake(f"both shortcuts are missing: each sub-layer's output is added to x: {_PRE_NORM}.",
            _block_no_shortcuts),
    Mistake("the shortcut must carry x itself, not layer_norm(x): normalise only the sub-layer's input, "
            "x = x + mha(layer_norm(x, **ln_1), ...).", _block_normalised_shortcut),
    Mistake(f"the LayerNorms are missing: each sub-layer sees a normalised copy of x: {_PRE_NORM}.",
            _block_no_norms),
    Mistake("attention comes first, then the MLP: the MLP works on what attention gathered.", _block_mlp_first),
    Mistake("the MLP must see the output of the attention sub-layer: run them one after the other, not both "
            "on the same x.", _block_parallel),
    Mistake("nothing comes after the second addition: the block's output is x + ffn(...), not normalised "
            "again (GPT-2's only final LayerNorm is ln_f, after the last block).", _block_final_norm),
    Mistake("float32 inputs came back as float64 (with the right values): a float64 value entered your block — "
            ".astype(np.float64), a float64 array, or a NumPy float64 scalar such as np.sqrt(2 / np.pi) in a GELU "
            "of your own (use math.sqrt).", _block_float64, id="block-float64"),
    Mistake("your MLP uses the exact GELU, x·Φ(x) with erf; GPT-2 uses the tanh approximation "
            "0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — call ffn(h, **mlp) from chapter 03, which has it.",
            _block_erf_gelu, id="block-erf-gelu"),
]

TRANSFORMER_BLOCK = register(Exercise(
    name="transformer_block", chapter="06", points=3, hidden_points=1,
    solution=solutions.transformer_block, make_cases=block_cases, mistakes=BLOCK_MISTAKES,
))


# ----------------------------------------------------------------------------------------------------------------
# gpt2
# ----------------------------------------------------------------------------------------------------------------


def _model(rng, n_vocab, n_ctx, n_head, d_head, n_layer, dtype=np.float64, std=0.2):
    hparams = {"n_vocab": n_vocab, "n_ctx": n_ctx, "n_embd": n_head * d_head, "n_head": n_head, "n_layer": n_layer}
    return solutions.init_params(hparams, seed=int(rng.integers(2**31)), dtype=dtype, std=std), n_head


def _gpt2_args(rng, model, n_seq, as_list=False):
    params, n_head = model
    ids = rng.integers(0, params["wte"].shape[0], size=n_seq)
    ids = [int(i) for i in ids] if as_list else ids
    return ids, params["wte"], params["wpe"], params["blocks"], params["ln_f"], n_head


LOGITS64, LOGITS32 = 1e-6, 1e-5  # relative to the case's largest |logit| (see the table above transformer_block)


def _logit_tol(args, rel: float) -> dict:
    """atol and rtol for logits, scaled to their magnitude: rel × the reference's largest |logit|."""
    scale = float(np.max(np.abs(solutions.gpt2(*args))))
    return {"atol": rel * max(scale, 1e-3), "rtol": rel}


def gpt2_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    if hidden:
        n_vocab, n_ctx = int(rng.integers(20, 60)), int(rng.integers(6, 12))
        n_head, d_head, n_layer = int(rng.integers(1, 4)), int(rng.integers(2, 6)), int(rng.integers(1, 4))
        d_head = max(d_head, -(-6 // n_head))  # n_embd >= 6: a LayerNorm of 2 features is ±1, whatever came before
    else:
        n_vocab, n_ctx, n_head, d_head, n_layer = 31, 9, 3, 4, 2
    bare = _model(rng, n_vocab + 2, n_ctx + 1, 2, d_head, 0)
    model = _model(rng, n_vocab, n_ctx, n_head, d_head, n_layer)
    model32 = _model(rng, n_vocab, n_ctx, n_head, d_head, n_layer, np.float32)
    hf = stored_hf()
    hf_args = (hf["ids"], *(fixture_params()[k] for k in ("wte", "wpe", "blocks", "ln_f")), FIXTURE_HPARAMS["n_head"])

    def logits_case(label, args, rel=LOGITS64, **kwargs):
        return Case(label, args, **_logit_tol(args, rel), **kwargs)

    return [
        logits_case("no blocks (n_layer=0): logits = layer_norm(embed(ids), **ln_f) @ wte.T", _gpt2_args(rng, bare, 6),
                    hint="with no blocks the logits are layer_norm(embed(ids, wte, wpe), **ln_f) @ wte.T: the "
                         "output projection is the token embedding matrix itself (tied), transposed.",
                    hint_id="unembedding-not-wte"),
        logits_case(f"{n_layer} blocks, {n_ctx - 2} tokens", _gpt2_args(rng, model, n_ctx - 2),
                    hint="if transformer_block's check fails, fix it first: gpt2 runs it once per block, in order."),
        logits_case("agrees with Hugging Face's GPT2LMHeadModel on the same weights (stored logits, float32)",
                    hf_args, LOGITS32, oracle=_hf_oracle),
        logits_case("a single token", _gpt2_args(rng, model, 1)),
        logits_case(f"a whole context (n_ctx = {n_ctx} tokens)", _gpt2_args(rng, model, n_ctx)),
        logits_case("ids given as a Python list", _gpt2_args(rng, model, 4, as_list=True)),
        logits_case("float32 in, float32 out", _gpt2_args(rng, model32, n_ctx - 1), LOGITS32,
                    hint="float32 weights must give float32 logits: something in your gpt2 makes float64 — "
                         ".astype(np.float64), a float64 array, or a NumPy float64 scalar such as np.sqrt(...) "
                         "(use math.sqrt).", hint_id="gpt2-float64"),
        Case(f"{n_ctx + 1} tokens with n_ctx = {n_ctx}: ValueError", _gpt2_args(rng, model, n_ctx + 1),
             raises=ValueError, message=_names_both(n_ctx + 1, n_ctx),
             hint=f"a sequence longer than n_ctx has no position embeddings: raise a ValueError whose message names "
                  f"both numbers ({n_ctx + 1} tokens, n_ctx = {n_ctx}) — embed(ids, wte, wpe) from chapter 01 does.",
             hint_id="too-long-value-error"),
    ]


def _names_both(n_seq: int, n_ctx: int):
    """A predicate on an error message: it names the sequence's length and n_ctx (as numbers)."""
    def says(message: str) -> bool:
        numbers = {int(n) for n in re.findall(r"\d+", message)}
        return {n_seq, n_ctx} <= numbers
    return says


def _gpt2_body(ids, wte, wpe, blocks, ln_f, n_head, block=solutions.transformer_block):
    """The reference forward pass up to the last hidden state.  # [n_seq] -> [n_seq, n_embd]"""
    x = solutions.embed(ids, wte, wpe)
    for b in blocks:
        x = block(x, **b, n_head=n_head)
    return x


def _gpt2_no_ln_f(ids, wte, wpe, blocks, ln_f, n_head):
    return _gpt2_body(ids, wte, wpe, blocks, ln_f, n_head) @ wte.T


def _gpt2_wpe_out(ids, wte, wpe, blocks, ln_f, n_head):
    return _ln(_gpt2_body(ids, wte, wpe, blocks, ln_f, n_head), ln_f) @ wpe.T


def _gpt2_no_positions(ids, wte, wpe, blocks, ln_f, n_head):
    return solutions.gpt2(ids, wte, np.zeros_like(wpe), blocks, ln_f, n_head)


def _gpt2_last_only(ids, wte, wpe, blocks, ln_f, n_head):
    return solutions.gpt2(ids, wte, wpe, blocks, ln_f, n_head)[-1]


def _gpt2_first_only(ids, wte, wpe, blocks, ln_f, n_head):
    return solutions.gpt2(ids, wte, wpe, blocks, ln_f, n_head)[0]


def _gpt2_probabilities(ids, wte, wpe, blocks, ln_f, n_head):
    return solutions.softmax(solutions.gpt2(ids, wte, wpe, blocks, ln_f, n_head))


def _gpt2_ln_f_every_block(ids, wte, wpe, blocks, ln_f, n_head):
    x = solutions.embed(ids, wte, wpe)
    for b in blocks:
        x = _ln(solutions.transformer_block(x, **b, n_head=n_head), ln_f)
    return _ln(x, ln_f) @ wte.T


def _gpt2_ln_f_at_start(ids, wte, wpe, blocks, ln_f, n_head):
    x = _ln(solutions.embed(ids, wte, wpe), ln_f)
    for b in blocks:
        x = solutions.transformer_block(x, **b, n_head=n_head)
    return x @ wte.T


def _gpt2_with_block(block):
    def impl(ids, wte, wpe, blocks, ln_f, n_head):
        return _ln(_gpt2_body(ids, wte, wpe, blocks, ln_f, n_head, block=block), ln_f) @ wte.T
    return impl


def _gpt2_untransposed(ids, wte, wpe, blocks, ln_f, n_head):
    return _ln(_gpt2_body(ids, wte, wpe, blocks, ln_f, n_head), ln_f) @ wte


def _gpt2_from_embeddings(x, wte, blocks, ln_f, n_head):
    for b in blocks:
        x = solutions.transformer_block(x, **b, n_head=n_head)
    return _ln(x, ln_f) @ wte.T


def _gpt2_wpe_shifted(ids, wte, wpe, blocks, ln_f, n_head):  # positions 1..n_seq instead of 0..n_seq-1
    solutions.embed(ids, wte, wpe)  # the right ValueError for a too-long sequence (that case is not about this bug)
    ids = np.asarray(ids)
    return _gpt2_from_embeddings(wte[ids] + wpe[1:len(ids) + 1], wte, blocks, ln_f, n_head)


def _gpt2_unchecked_length(ids, wte, wpe, blocks, ln_f, n_head):  # picoGPT's wpe[range(len(inputs))]
    ids = np.asarray(ids)
    return _gpt2_from_embeddings(wte[ids] + wpe[range(len(ids))], wte, blocks, ln_f, n_head)


def _bad_block(mistake: Mistake) -> Mistake:
    """gpt2 right, but running a block of its own with one of transformer_block's known mistakes."""
    return Mistake("gpt2 itself looks right, but the block it runs is not — " + mistake.hint,
                   _gpt2_with_block(mistake.impl), id=f"bad-block:{mistake.id}")

GPT2_MISTAKES = [
    Mistake("the final LayerNorm is missing: logits = layer_norm(x, **ln_f) @ wte.T after the last block.",
            _gpt2_no_ln_f),
    Mistake("the output projection is tied to the *token* embeddings: logits = layer_norm(x, **ln_f) @ wte.T, "
            "not wpe.T.", _gpt2_wpe_out),
    Mistake("the position embeddings are missing: the input is wte[ids] + wpe[:n_seq] (use embed from "
            "chapter 01).", _gpt2_no_positions),
    Mistake("return the logits of every position, [n_seq, n_vocab], not only the last one: generation picks "
            "the last row later, training uses them all.", _gpt2_last_only),
    Mistake("return the logits of every position, [n_seq, n_vocab], not only the first one.", _gpt2_first_only),
    Mistake("gpt2 returns logits, not probabilities: don't apply a softmax at the end.", _gpt2_probabilities),
    Mistake("ln_f is applied once, after the last block, not after every block (each block has its own "
            "ln_1 and ln_2 inside).", _gpt2_ln_f_every_block),
    Mistake("ln_f is applied once, at the end: after the last block, just before the unembedding @ wte.T.",
            _gpt2_ln_f_at_start),
    *[_bad_block(m) for m in BLOCK_MISTAKES],
    Mistake("the unembedding is x @ wte.T, [n_seq, n_embd] @ [n_embd, n_vocab]; wte itself is [n_vocab, n_embd].",
            _gpt2_untransposed),
    Mistake("the position embeddings are shifted by one: token i gets wpe[i], so add wpe[:n_seq] (rows 0 to "
            "n_seq - 1), not wpe[1:n_seq + 1].", _gpt2_wpe_shifted, id="wpe-off-by-one"),
    Mistake("a sequence longer than n_ctx must raise a ValueError that names both numbers, before any look-up; "
            "yours raised an IndexError from indexing wpe — compare len(ids) with wpe.shape[0] first (embed from "
            "chapter 01 does).", _gpt2_unchecked_length, id="too-long-index-error"),
]

GPT2 = register(Exercise(
    name="gpt2", chapter="06", points=3, hidden_points=2,
    solution=solutions.gpt2, make_cases=gpt2_cases, mistakes=GPT2_MISTAKES,
))


# ----------------------------------------------------------------------------------------------------------------
# count_parameters
# ----------------------------------------------------------------------------------------------------------------


GPT2_MEDIUM = {"n_vocab": 50257, "n_ctx": 1024, "n_embd": 1024, "n_head": 16, "n_layer": 24}


def count_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    if hidden:
        a, b, c = (int(v) for v in rng.choice(np.arange(2, 10), size=3, replace=False))  # a=b=2: a+b = a·b
        hparams = {"n_vocab": int(rng.integers(10, 40)), "n_ctx": int(rng.integers(4, 12)),
                   "n_embd": 2 * int(rng.integers(2, 6)), "n_head": 2, "n_layer": int(rng.integers(1, 4))}
        big = dict(GPT2_MEDIUM, n_layer=int(rng.integers(2, 24)))
    else:
        a, b, c = 3, 4, 5
        hparams = {"n_vocab": 11, "n_ctx": 6, "n_embd": 8, "n_head": 2, "n_layer": 2}
        big = solutions.GPT2_SMALL
    tiny = solutions.init_params(hparams, seed=int(rng.integers(2**31)))
    return [
        Case(f"one array [{a}, {b}]", (arr(a, b),)),
        Case(f"a linear layer {{w: [{a}, {b}], b: [{b}]}}", ({"w": arr(a, b), "b": arr(b)},)),
        Case("a list of arrays", ([arr(a), arr(b, c), arr(c, a, 2)],)),
        Case(f"a tiny GPT-2 from init_params ({hparams['n_layer']} blocks)", (tiny,)),
        Case("a GPT-2 without blocks", ({**tiny, "blocks": []},)),
        Case(f"GPT-2 with n_embd={big['n_embd']}, n_layer={big['n_layer']}: "
             f"{solutions.count_parameters(_shape_tree(big)):,} parameters", (big,), probe=count_of_size,
             hint="count every array of the tree once, whatever its depth: wte, wpe, ln_f and each block's "
                  "ln_1, attn, ln_2 and mlp."),
    ]


def _count_leaves(params):
    if isinstance(params, dict):
        return sum(_count_leaves(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(_count_leaves(v) for v in params)
    return 1


def _count_first_axis(params):
    if isinstance(params, dict):
        return sum(_count_first_axis(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(_count_first_axis(v) for v in params)
    return len(params)


def _count_bytes(params):
    if isinstance(params, dict):
        return sum(_count_bytes(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(_count_bytes(v) for v in params)
    return int(params.nbytes)


def _count_tied_twice(params):
    extra = np.size(params["wte"]) if isinstance(params, dict) and "wte" in params else 0
    return solutions.count_parameters(params) + extra


def _count_dicts_only(params):
    if isinstance(params, dict):
        return sum(_count_dicts_only(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return 0
    return int(np.size(params))


def _count_matrices_only(params):
    if isinstance(params, dict):
        return sum(_count_matrices_only(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(_count_matrices_only(v) for v in params)
    return int(np.size(params)) if np.ndim(params) >= 2 else 0


def _count_top_level(params):
    if isinstance(params, dict):
        return sum(int(np.size(v)) for v in params.values() if isinstance(v, np.ndarray))
    return solutions.count_parameters(params)


def _count_float(params):
    return float(solutions.count_parameters(params))


COUNT_MISTAKES = [
    Mistake("the unembedding is wte itself (tied), so wte counts once: don't add n_vocab × n_embd for the "
            "output layer.", _count_tied_twice),
    Mistake("you counted the arrays, not their entries: add up a.size for every array.", _count_leaves),
    Mistake("len(a) is only the first axis: a.size counts all the entries of an array.", _count_first_axis),
    Mistake("you counted bytes (nbytes); count entries (a.size) — a float32 parameter is 4 bytes.", _count_bytes),
    Mistake("the blocks are a list of dicts: recurse into lists (and tuples) as well as dicts.", _count_dicts_only),
    Mistake("biases and LayerNorm gains are parameters too: count the 1-D arrays as well.", _count_matrices_only),
    Mistake("recurse into nested dicts and lists: the blocks' arrays sit several levels deep.", _count_top_level),
    Mistake("a count is a whole number: return an int, not a float.", _count_float),
]

COUNT_PARAMETERS = register(Exercise(
    name="count_parameters", chapter="06", points=1, hidden_points=1,
    solution=solutions.count_parameters, make_cases=count_cases, mistakes=COUNT_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# --------------------------------------------------------------------------------------------------------------
# count_parameters comes first: it calls no other exercise and nothing calls it, so in a whole notebook
# (tests/test_grading_cli.py) its mutant costs exactly its own points; a wrong transformer_block also breaks the
# learner's gpt2. Mutants reach the reference's transformer_block as S.transformer_block: a `from solutions
# import transformer_block` in a notebook is reported by the grader as borrowing the answer.
COUNT_PARAMETERS_MUTANTS = [
    Mutant("count_parameters", "tied matrix counted twice", "count_tied_twice", '''
def count_parameters(params):
    def total(tree):
        if isinstance(tree, dict):
            return sum(total(v) for v in tree.values())
        if isinstance(tree, list):
            return sum(total(v) for v in tree)
        return tree.size
    n = total(params)
    if isinstance(params, dict) and "wte" in params:
        n += params["wte"].size  # the output layer: n_embd -> n_vocab
    return n
'''),
    Mutant("count_parameters", "counts arrays", "count_leaves", '''
def count_parameters(params):
    if isinstance(params, dict):
        params = list(params.values())
    if isinstance(params, list):
        return sum(count_parameters(p) for p in params)
    return 1
'''),
    Mutant("count_parameters", "len instead of size", "count_first_axis", '''
def count_parameters(params):
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return len(params)
'''),
    Mutant("count_parameters", "counts bytes", "count_bytes", '''
def count_parameters(params):
    if isinstance(params, np.ndarray):
        return params.nbytes
    children = params.values() if isinstance(params, dict) else params
    return sum(count_parameters(c) for c in children)
'''),
    Mutant("count_parameters", "lists not followed", "count_dicts_only", '''
def count_parameters(params):
    if isinstance(params, np.ndarray):
        return params.size
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    return 0
'''),
    Mutant("count_parameters", "weight matrices only", "count_matrices_only", '''
def count_parameters(params):
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return params.shape[0] * params.shape[1] if params.ndim == 2 else 0
'''),
    Mutant("count_parameters", "top level only", "count_top_level", '''
def count_parameters(params):
    if isinstance(params, np.ndarray):
        return params.size
    if isinstance(params, list):
        return sum(p.size for p in params)
    return sum(v.size for v in params.values() if isinstance(v, np.ndarray))
'''),
    Mutant("count_parameters", "returns a float", "count_float", '''
def count_parameters(params):
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return float(np.prod(params.shape))
'''),
]

TRANSFORMER_BLOCK_MUTANTS = [
    Mutant("transformer_block", "post-norm", "block_post_norm", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = layer_norm(x + mha(x, **attn, n_head=n_head), **ln_1)
    x = layer_norm(x + ffn(x, **mlp), **ln_2)
    return x
'''),
    Mutant("transformer_block", "ln_1 used in place of ln_2", "block_ln_1_twice", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x = x + ffn(layer_norm(x, **ln_1), **mlp)
    return x
'''),
    Mutant("transformer_block", "ln_1 and ln_2 swapped", "block_ln_swapped", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, ln_2["g"], ln_2["b"]), attn["c_attn"], attn["c_proj"], n_head)
    return x + ffn(layer_norm(x, ln_1["g"], ln_1["b"]), mlp["c_fc"], mlp["c_proj"])
'''),
    Mutant("transformer_block", "no shortcut around the MLP", "block_no_mlp_shortcut", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return ffn(layer_norm(x, **ln_2), **mlp)
'''),
    Mutant("transformer_block", "no shortcut around attention", "block_no_attn_shortcut", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    h = mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return h + ffn(layer_norm(h, **ln_2), **mlp)
'''),
    Mutant("transformer_block", "no shortcuts", "block_no_shortcuts", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x = ffn(layer_norm(x, **ln_2), **mlp)
    return x
'''),
    Mutant("transformer_block", "shortcut from the normalised x", "block_normalised_shortcut", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = layer_norm(x, **ln_1)
    x = x + mha(x, **attn, n_head=n_head)
    x = layer_norm(x, **ln_2)
    x = x + ffn(x, **mlp)
    return x
'''),
    Mutant("transformer_block", "no LayerNorms", "block_no_norms", '''
from solutions import ffn, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(x, **attn, n_head=n_head)
    return x + ffn(x, **mlp)
'''),
    Mutant("transformer_block", "MLP before attention", "block_mlp_first", '''
from solutions import ffn, pre_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = pre_norm(x, ln_2, lambda h: ffn(h, **mlp))
    return pre_norm(x, ln_1, lambda h: mha(h, **attn, n_head=n_head))
'''),
    Mutant("transformer_block", "parallel sub-layers", "block_parallel", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    a = mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    m = ffn(layer_norm(x, **ln_2), **mlp)
    return x + a + m
'''),
    Mutant("transformer_block", "normalised again at the end", "block_final_norm", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x = x + ffn(layer_norm(x, **ln_2), **mlp)
    return layer_norm(x, **ln_2)
'''),
    Mutant("transformer_block", "adds in place", "mutated-input", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x += mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x += ffn(layer_norm(x, **ln_2), **mlp)
    return x
'''),
    Mutant("transformer_block", "float64 promotion", "block-float64", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = np.asarray(x, dtype=np.float64)
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return x + ffn(layer_norm(x, **ln_2), **mlp)
'''),
]

GPT2_MUTANTS = [
    Mutant("gpt2", "missing ln_f", "gpt2_no_ln_f", '''
import solutions as S
from solutions import embed

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return x @ wte.T
'''),
    Mutant("gpt2", "unembedding with wpe", "gpt2_wpe_out", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, block["mlp"], block["attn"], block["ln_1"], block["ln_2"], n_head)
    return layer_norm(x, **ln_f) @ wpe.T
'''),
    Mutant("gpt2", "untied random output matrix", "unembedding-not-wte", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    n_vocab, n_embd = wte.shape
    w_out = np.random.default_rng(0).normal(0, 0.02, (n_embd, n_vocab)).astype(wte.dtype)  # a new output layer
    return layer_norm(x, **ln_f) @ w_out
'''),
    Mutant("gpt2", "position embeddings dropped", "gpt2_no_positions", '''
import solutions as S
from solutions import layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = wte[ids]
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "logits of the last position only", "gpt2_last_only", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x[-1], **ln_f) @ wte.T  # the next token
'''),
    Mutant("gpt2", "logits of the first position only", "gpt2_first_only", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    logits = layer_norm(x, **ln_f) @ wte.T
    return logits[0]
'''),
    Mutant("gpt2", "returns probabilities", "gpt2_probabilities", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    logits = layer_norm(x, **ln_f) @ wte.T
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''),
    Mutant("gpt2", "ln_f after every block", "gpt2_ln_f_every_block", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = layer_norm(S.transformer_block(x, **block, n_head=n_head), **ln_f)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "ln_f before the blocks", "gpt2_ln_f_at_start", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = layer_norm(embed(ids, wte, wpe), **ln_f)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return x @ wte.T
'''),
    Mutant("gpt2", "uses a post-norm block", "bad-block:block_post_norm", '''
from solutions import embed, ffn, layer_norm, mha

def my_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = layer_norm(x + mha(x, **attn, n_head=n_head), **ln_1)
    return layer_norm(x + ffn(x, **mlp), **ln_2)

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = my_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "x @ wte", "gpt2_untransposed", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte
'''),
]

TRANSFORMER_BLOCK_MUTANTS += [
    Mutant("transformer_block", "picoGPT's gelu with np.sqrt inside the block", "block-float64", '''
from solutions import layer_norm, linear, mha

def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return x + linear(gelu(linear(layer_norm(x, **ln_2), **mlp["c_fc"])), **mlp["c_proj"])
'''),
    Mutant("transformer_block", "its own GELU is the exact erf form", "block-erf-gelu", '''
from solutions import layer_norm, mha

def gelu(x):  # x * Phi(x), the "exact" GELU
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    h = gelu(layer_norm(x, **ln_2) @ mlp["c_fc"]["w"] + mlp["c_fc"]["b"])
    return x + h @ mlp["c_proj"]["w"] + mlp["c_proj"]["b"]
'''),
]


def _gpt2_with_own_block(block: Mutant) -> Mutant:
    """A gpt2 that runs a block of its own (one of the block mutants, renamed), so the block's bug reaches gpt2."""
    source = block.source.replace("def transformer_block(", "def my_block(")
    return Mutant("gpt2", f"its own block: {block.name}", f"bad-block:{block.mistake}", source + '''
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = my_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
''')


_SHOWN = {"block_post_norm"}  # already a hand-written gpt2 mutant above
GPT2_MUTANTS += [_gpt2_with_own_block(m) for m in TRANSFORMER_BLOCK_MUTANTS
         if m.mistake != "mutated-input" and m.mistake not in _SHOWN and m.name != "float64 promotion"]
GPT2_MUTANTS += [
    Mutant("gpt2", "wpe off by one", "wpe-off-by-one", '''
import solutions as S
from solutions import layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = wte[ids] + wpe[1:len(ids) + 1]  # positions 1, 2, ..., n_seq
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "picoGPT's: IndexError for a too-long sequence", "too-long-index-error", '''
import solutions as S
from solutions import layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = wte[ids] + wpe[range(len(ids))]
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    x = layer_norm(x, **ln_f)
    return x @ wte.T
'''),
    Mutant("gpt2", "a ValueError that names no numbers", "too-long-value-error", '''
import solutions as S
from solutions import layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    if len(ids) > len(wpe):
        raise ValueError("sequence too long")
    x = wte[ids] + wpe[: len(ids)]
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "its own transformer_block is post-norm", "fix-first:transformer_block", '''
from solutions import embed, ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = layer_norm(x + mha(x, **attn, n_head=n_head), **ln_1)
    return layer_norm(x + ffn(x, **mlp), **ln_2)

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
]

MUTANTS = COUNT_PARAMETERS_MUTANTS + TRANSFORMER_BLOCK_MUTANTS + GPT2_MUTANTS

register_mutants(MUTANTS)
