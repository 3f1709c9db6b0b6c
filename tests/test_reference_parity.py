"""The reference solutions against independent oracles: Hugging Face transformers, torch, tiktoken.

Everything runs offline on small models built here (random weights, float32, eval mode, eager attention).
Run with `-s` to see the measured logit differences (lines starting with PARITY).
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import solutions as S

transformers = pytest.importorskip("transformers")
from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402
from transformers.generation.logits_process import (  # noqa: E402
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)
from transformers.models.gpt2.modeling_gpt2 import GPT2Attention  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

# Small configurations that differ in every hyper-parameter (n_head=1 and n_layer=1 included).
SMALL_CONFIGS = {
    "v101-ctx16-e32-h4-l2": {"n_vocab": 101, "n_ctx": 16, "n_embd": 32, "n_head": 4, "n_layer": 2},
    "v257-ctx64-e48-h3-l3": {"n_vocab": 257, "n_ctx": 64, "n_embd": 48, "n_head": 3, "n_layer": 3},
    "v500-ctx40-e64-h8-l1": {"n_vocab": 500, "n_ctx": 40, "n_embd": 64, "n_head": 8, "n_layer": 1},
    "v64-ctx128-e24-h1-l4": {"n_vocab": 64, "n_ctx": 128, "n_embd": 24, "n_head": 1, "n_layer": 4},
}
TINY = SMALL_CONFIGS["v101-ctx16-e32-h4-l2"]


# ----------------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------------


def hf_gpt2(hparams: dict, seed: int = 0, noise: float = 0.02) -> GPT2LMHeadModel:
    """A Hugging Face GPT-2 with random weights: HF's own init plus N(0, noise) on every parameter, so biases and
    layer-norm parameters are not the trivial 0 and 1."""
    has_eos = hparams["n_vocab"] > 50256
    config = GPT2Config(vocab_size=hparams["n_vocab"], n_positions=hparams["n_ctx"], n_embd=hparams["n_embd"],
                        n_head=hparams["n_head"], n_layer=hparams["n_layer"], attn_implementation="eager",
                        bos_token_id=50256 if has_eos else None, eos_token_id=50256 if has_eos else None)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for param in model.parameters():  # the tied wte/lm_head appears once
            param.add_(torch.randn_like(param) * noise)
    return model


def hf_logits(model: GPT2LMHeadModel, ids) -> np.ndarray:
    """# [n_seq] -> [n_seq, n_vocab]"""
    with torch.no_grad():
        return model(torch.tensor([list(ids)])).logits[0].numpy()


def logit_difference(ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Max |ours - reference| and the same relative to the reference's largest |logit|."""
    diff = float(np.max(np.abs(ours.astype(np.float64) - reference.astype(np.float64))))
    return diff, diff / float(np.max(np.abs(reference)))


def report(label: str, ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    abs_diff, rel_diff = logit_difference(ours, reference)
    print(f"PARITY {label}: max|logit|={np.max(np.abs(reference)):.3g} max abs diff={abs_diff:.2e} "
          f"relative={rel_diff:.2e}")
    return abs_diff, rel_diff


@functools.cache
def saved_hf_dir(name: str, tmp_root: str) -> str:
    """save_pretrained of hf_gpt2(SMALL_CONFIGS[name]) into tmp_root/name (built once per test module)."""
    path = f"{tmp_root}/{name}"
    hf_gpt2(SMALL_CONFIGS[name]).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("hf_models"))


def random_ids(hparams: dict, n_seq: int, seed: int = 0) -> list[int]:
    return [int(i) for i in np.random.default_rng(seed).integers(0, hparams["n_vocab"], size=n_seq)]


# ----------------------------------------------------------------------------------------------------------------
# Chapter 07: whole-model logits against Hugging Face
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SMALL_CONFIGS)
def test_logits_match_hf_small_configs(name, tmp_root):
    hparams_expected = SMALL_CONFIGS[name]
    model_dir = saved_hf_dir(name, tmp_root)
    hf = GPT2LMHeadModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    hparams, params = S.load_gpt2_params(model_dir)
    assert hparams == hparams_expected
    ids = random_ids(hparams, min(hparams["n_ctx"], 24))  # the whole context for n_ctx=16
    logits = S.gpt2(ids, **params, n_head=hparams["n_head"])
    assert logits.dtype == np.float32 and logits.shape == (len(ids), hparams["n_vocab"])
    abs_diff, rel_diff = report(f"numpy gpt2 vs HF [{name}]", logits, hf_logits(hf, ids))
    assert abs_diff <= 1e-4 and rel_diff <= 1e-5


@pytest.mark.slow
def test_gpt2_small_124m_matches_hf(tmp_path):
    """The 124M shapes: logits, the PyTorch port and the parameter count, all against one HF model."""
    hf = hf_gpt2(S.GPT2_SMALL, seed=1)
    hf.save_pretrained(tmp_path)
    hparams, params = S.load_gpt2_params(tmp_path)
    assert hparams == S.GPT2_SMALL
    ids = random_ids(hparams, 16)
    reference = hf_logits(hf, ids)

    logits = S.gpt2(ids, **params, n_head=hparams["n_head"])
    assert logits.dtype == np.float32
    abs_diff, rel_diff = report("numpy gpt2 vs HF [124M]", logits, reference)
    assert abs_diff <= 1e-4 and rel_diff <= 1e-5

    ours = S.GPT2.from_hparams(hparams).eval()
    ours.load_state_dict(hf.state_dict(), strict=True)
    with torch.no_grad():
        torch_logits = ours(torch.tensor(ids)).numpy()
    abs_diff, rel_diff = report("torch GPT2 vs HF [124M]", torch_logits, reference)
    assert abs_diff <= 1e-4 and rel_diff <= 1e-5

    assert S.count_parameters(params) == hf.num_parameters() == 124_439_808


@pytest.mark.slow
def test_count_parameters_of_init_params_gpt2_small():
    assert S.count_parameters(S.init_params(S.GPT2_SMALL)) == 124_439_808


def test_count_parameters_equals_hf_num_parameters(tmp_root):
    for name, hparams in SMALL_CONFIGS.items():
        hf = GPT2LMHeadModel.from_pretrained(saved_hf_dir(name, tmp_root))
        assert S.count_parameters(S.init_params(hparams)) == hf.num_parameters(), name


# ----------------------------------------------------------------------------------------------------------------
# Chapter 07: the loader's two layouts, its errors, and save_gpt2_params
# ----------------------------------------------------------------------------------------------------------------


def rewrite_checkpoint(src: str, dst, edit) -> None:
    """Copy a HF directory, passing its tensors {name: array} through `edit`."""
    from safetensors.numpy import load_file, save_file

    dst.mkdir(parents=True, exist_ok=True)
    (dst / "config.json").write_text(open(f"{src}/config.json").read())
    save_file(edit(load_file(f"{src}/model.safetensors")), dst / "model.safetensors", metadata={"format": "pt"})


def assert_same_tree(a, b) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same_tree(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_tree(x, y)
    else:
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def published_layout(tensors: dict, n_ctx: int, lm_head=True) -> dict:
    """save_pretrained's names -> the published `gpt2` checkpoint's: no prefix, attn.bias/masked_bias buffers,
    and (optionally) lm_head.weight."""
    out = {name.removeprefix("transformer."): array for name, array in tensors.items()}
    n_layer = 1 + max(int(name.split(".")[1]) for name in out if name.startswith("h."))
    for i in range(n_layer):
        out[f"h.{i}.attn.bias"] = np.tril(np.ones((n_ctx, n_ctx), dtype=np.float32))[None, None]
        out[f"h.{i}.attn.masked_bias"] = np.array(-1e4, dtype=np.float32)
    if lm_head:
        out["lm_head.weight"] = out["wte.weight"].copy()
    return out


def test_published_layout_loads_identically(tmp_root, tmp_path):
    name = "v257-ctx64-e48-h3-l3"
    src = saved_hf_dir(name, tmp_root)
    n_ctx = SMALL_CONFIGS[name]["n_ctx"]
    expected = S.load_gpt2_params(src)
    for lm_head in (True, False):
        dst = tmp_path / f"published-{lm_head}"
        rewrite_checkpoint(src, dst, lambda t, lm_head=lm_head: published_layout(t, n_ctx, lm_head))
        hparams, params = S.load_gpt2_params(dst)
        assert hparams == expected[0]
        assert_same_tree(params, expected[1])


@pytest.mark.parametrize("edit, message", [
    (lambda t: {k: v for k, v in t.items() if k != "transformer.h.1.mlp.c_fc.bias"}, "h.1.mlp.c_fc.bias"),
    (lambda t: {**t, "transformer.h.0.attn.q_attn.weight": np.zeros((2, 2), np.float32)}, "h.0.attn.q_attn.weight"),
    (lambda t: {**t, "transformer.wpe.weight": t["transformer.wpe.weight"][:-1]}, "wpe.weight"),
    (lambda t: {**t, "transformer.h.2.attn.c_attn.weight": t["transformer.h.2.attn.c_attn.weight"].T.copy()},
     "h.2.attn.c_attn.weight"),
    (lambda t: {**published_layout(t, 64), "lm_head.weight": t["transformer.wte.weight"] + 1}, "lm_head.weight"),
    (lambda t: {**t, "wte.weight": t["transformer.wte.weight"]}, "wte.weight"),
])
def test_loader_names_the_bad_tensor(edit, message, tmp_root, tmp_path):
    rewrite_checkpoint(saved_hf_dir("v257-ctx64-e48-h3-l3", tmp_root), tmp_path, edit)
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        S.load_gpt2_params(tmp_path)


def test_loader_rejects_config_it_cannot_run(tmp_root, tmp_path):
    src = saved_hf_dir("v101-ctx16-e32-h4-l2", tmp_root)
    rewrite_checkpoint(src, tmp_path, lambda t: t)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "activation_function": "relu"}))
    with pytest.raises(ValueError, match="activation_function"):
        S.load_gpt2_params(tmp_path)
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        S.load_gpt2_params(tmp_path / "nowhere")


def test_save_gpt2_params_loads_in_hf_without_missing_keys(tmp_path):
    hparams = SMALL_CONFIGS["v500-ctx40-e64-h8-l1"]
    params = S.init_params(hparams, seed=3)
    S.save_gpt2_params(hparams, params, tmp_path)
    hf, info = GPT2LMHeadModel.from_pretrained(tmp_path, attn_implementation="eager", output_loading_info=True)
    assert all(not keys for keys in info.values()), info
    ids = random_ids(hparams, 20)
    abs_diff, _ = report("numpy gpt2 vs HF from save_gpt2_params", S.gpt2(ids, **params, n_head=8),
                         hf_logits(hf.eval(), ids))
    assert abs_diff <= 1e-4
    assert_same_tree(S.load_gpt2_params(tmp_path)[1], params)


# ----------------------------------------------------------------------------------------------------------------
# Chapter 07: the PyTorch port
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["v257-ctx64-e48-h3-l3", "v64-ctx128-e24-h1-l4"])
def test_torch_gpt2_loads_hf_state_dict_and_matches(name, tmp_root):
    hparams = SMALL_CONFIGS[name]
    hf = GPT2LMHeadModel.from_pretrained(saved_hf_dir(name, tmp_root), attn_implementation="eager").eval()
    ours = S.GPT2(**hparams).eval()
    assert list(ours.state_dict()) == list(hf.state_dict())
    ours.load_state_dict(hf.state_dict(), strict=True)
    assert ours.lm_head.weight.data_ptr() == ours.transformer.wte.weight.data_ptr()  # still tied

    ids = random_ids(hparams, 20)
    with torch.no_grad():
        logits = ours(torch.tensor(ids)).numpy()
        batch = ours(torch.tensor([ids, ids[::-1]])).numpy()
    abs_diff, _ = report(f"torch GPT2 vs HF [{name}]", logits, hf_logits(hf, ids))
    assert abs_diff <= 1e-4
    assert batch.shape == (2, len(ids), hparams["n_vocab"])
    np.testing.assert_allclose(batch[0], logits, atol=1e-5)
    np.testing.assert_allclose(batch[1], hf_logits(hf, ids[::-1]), atol=1e-4)

    numpy_logits = S.gpt2(ids, **S.load_gpt2_params(saved_hf_dir(name, tmp_root))[1], n_head=hparams["n_head"])
    abs_diff, _ = report(f"torch GPT2 vs numpy gpt2 [{name}]", logits, numpy_logits)
    assert abs_diff <= 1e-4


def test_torch_gpt2_from_params_cache_and_context_limit():
    params = S.init_params(TINY, seed=5)
    model = S.GPT2.from_params(TINY, params).eval()
    ids = random_ids(TINY, TINY["n_ctx"])
    with torch.no_grad():
        full = model(torch.tensor(ids))
        np.testing.assert_allclose(full.numpy(), S.gpt2(ids, **params, n_head=TINY["n_head"]), atol=1e-5)
        cache = model.new_cache()
        steps = [model(torch.tensor(ids[:5]), cache)] + [model(torch.tensor(ids[i:i + 1]), cache)
                                                         for i in range(5, len(ids))]
        assert cache.length == len(ids)
        np.testing.assert_allclose(torch.cat(steps).numpy(), full.numpy(), atol=1e-5)
        with pytest.raises(ValueError, match="n_ctx=16"):
            model(torch.tensor(ids + [0]))
        with pytest.raises(ValueError, match="n_ctx=16"):
            model(torch.tensor([0]), cache)  # the cache is full
    with pytest.raises(ValueError, match="n_ctx=16"):
        model.generate(ids, n_new=1)


# ----------------------------------------------------------------------------------------------------------------
# Chapter 08: generation against Hugging Face, and the KV cache
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lively(tmp_path_factory):
    """A small HF model whose random weights are large enough that greedy decoding doesn't just repeat a token,
    and the same weights loaded through load_gpt2_params.  # -> (hparams, hf, params)"""
    hparams = {"n_vocab": 211, "n_ctx": 64, "n_embd": 48, "n_head": 4, "n_layer": 2}
    hf = hf_gpt2(hparams, seed=7, noise=0.3)
    path = tmp_path_factory.mktemp("lively")
    hf.save_pretrained(path)
    return hparams, hf, S.load_gpt2_params(path)[1]


def hf_greedy(hf, prompt, n_new, eos_id=None) -> list[int]:
    with torch.no_grad():
        out = hf.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                          do_sample=False, max_new_tokens=n_new, eos_token_id=eos_id, pad_token_id=0)
    return out[0, len(prompt):].tolist()


def test_greedy_generation_matches_hf(lively):
    hparams, hf, params = lively
    prompt, n_new = random_ids(hparams, 6, seed=1), 24
    expected = hf_greedy(hf, prompt, n_new)
    assert len(expected) == n_new and len(set(expected)) >= 5, "the test model should not be degenerate"
    n_head = hparams["n_head"]
    assert S.generate(prompt, params, n_head, n_new, eos_id=None) == expected
    assert S.generate_cached(prompt, params, n_head, n_new, eos_id=None) == expected
    model = S.GPT2.from_params(hparams, params).eval()
    assert model.generate(prompt, n_new, eos_id=None) == expected

    # Stopping: make the 8th generated token the end-of-text id; both return it as their last token.
    eos = expected[7]
    stop = expected.index(eos) + 1
    assert hf_greedy(hf, prompt, n_new, eos_id=eos) == expected[:stop]
    assert S.generate(prompt, params, n_head, n_new, eos_id=eos) == expected[:stop]
    assert S.generate_cached(prompt, params, n_head, n_new, eos_id=eos) == expected[:stop]
    assert model.generate(prompt, n_new, eos_id=eos) == expected[:stop]


def logits_step_by_step(ids, params, n_head, n_prompt):
    """gpt2_cached on the first n_prompt ids, then one id per step, checking the cache passed in is left alone.

    # [n_seq] -> ([n_seq, n_vocab], cache of n_seq positions)
    """
    logits, cache = S.gpt2_cached(ids[:n_prompt], params, n_head)
    steps = [logits]
    for i in range(n_prompt, len(ids)):
        before = [(k.copy(), v.copy()) for k, v in cache]
        logits, new_cache = S.gpt2_cached([ids[i]], params, n_head, cache)
        assert all(np.array_equal(k, k0) and np.array_equal(v, v0) for (k, v), (k0, v0) in zip(cache, before))
        cache = new_cache
        steps.append(logits)
    return np.concatenate(steps), cache


def test_kv_cache_logits_match_uncached(lively, tmp_root):
    normal_scale = S.load_gpt2_params(saved_hf_dir("v257-ctx64-e48-h3-l3", tmp_root))[1]
    for label, params, n_head in [("v257-ctx64-e48-h3-l3", normal_scale, 3), ("lively", lively[2], 4)]:
        ids = random_ids(lively[0], 30, seed=2)
        full = S.gpt2(ids, **params, n_head=n_head)
        cached, cache = logits_step_by_step(ids, params, n_head, n_prompt=7)
        assert cached.dtype == np.float32 and S.ch08_decoding.cache_length(cache) == len(ids)
        abs_diff, rel_diff = report(f"KV cache vs uncached, per-step logits [{label}]", cached, full)
        assert rel_diff <= 1e-5
        if label != "lively":  # the lively model's logits reach ~10, so float32 rounding alone is ~1e-6 there
            assert abs_diff <= 1e-5

        first, cache = S.gpt2_cached(ids[:20], params, n_head)  # the cache also takes several new ids at once
        chunk, _ = S.gpt2_cached(ids[20:25], params, n_head, cache)
        np.testing.assert_allclose(np.concatenate([first, chunk]), full[:25], atol=1e-5 * np.max(np.abs(full)))


def test_kv_cache_ids_match_uncached(lively):
    hparams, _, params = lively
    n_head, n_ctx = hparams["n_head"], hparams["n_ctx"]
    prompt = random_ids(hparams, 5, seed=3)
    expected = S.generate(prompt, params, n_head, n_ctx - 5, eos_id=None)  # up to the last position
    assert S.generate_cached(prompt, params, n_head, n_ctx - 5, eos_id=None) == expected
    for seed in range(3):
        kwargs = {"temperature": 0.8, "top_k": 20, "top_p": 0.9, "eos_id": None}
        sampled = S.generate_cached(prompt, params, n_head, 20, rng=np.random.default_rng(seed), **kwargs)
        assert sampled == S.generate(prompt, params, n_head, 20, rng=np.random.default_rng(seed), **kwargs)
        assert sampled != expected[:20]


def test_context_limit_gives_a_clear_error():
    params = S.init_params(TINY, seed=0)
    n_ctx = TINY["n_ctx"]
    full_prompt = random_ids(TINY, n_ctx)
    for fn in (S.generate, S.generate_cached):
        with pytest.raises(ValueError, match=f"n_ctx={n_ctx}"):
            fn(full_prompt, params, TINY["n_head"], 1)
        with pytest.raises(ValueError, match=f"n_ctx={n_ctx}"):
            fn(full_prompt[:10], params, TINY["n_head"], 7)
        assert len(fn(full_prompt[:10], params, TINY["n_head"], 6, eos_id=None)) == 6
        assert fn(full_prompt, params, TINY["n_head"], 0) == []
        with pytest.raises(ValueError, match="empty"):
            fn([], params, TINY["n_head"], 1)
    _, cache = S.gpt2_cached(full_prompt, params, TINY["n_head"])
    with pytest.raises(ValueError, match=f"n_ctx={n_ctx}"):
        S.gpt2_cached([0], params, TINY["n_head"], cache)


# ----------------------------------------------------------------------------------------------------------------
# Chapter 08: logits processors against Hugging Face's warpers
# ----------------------------------------------------------------------------------------------------------------


def tie_heavy_logits(seed: int, batch: int = 16, n_vocab: int = 300) -> np.ndarray:
    """Rows mixing continuous logits, coarsely rounded ones (many ties), a constant row and -inf entries."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=(batch, n_vocab)).astype(np.float32)
    logits[: batch // 2] = np.round(logits[: batch // 2])  # heavy ties
    logits[batch // 2] = 0.0  # all tied
    logits[-1, rng.integers(0, n_vocab, 20)] = -np.inf
    return logits


def hf_warp(warper, logits: np.ndarray) -> np.ndarray:
    return warper(None, torch.tensor(logits)).numpy()


@pytest.mark.parametrize("temperature", [0.3, 0.7, 1.0, 1.5, 4.0])
def test_temperature_matches_hf(temperature):
    logits = tie_heavy_logits(0)
    ours = S.apply_temperature(logits, temperature)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours, hf_warp(TemperatureLogitsWarper(temperature), logits))
    for bad in (0, 0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            S.apply_temperature(logits, bad)


@pytest.mark.parametrize("k", [1, 2, 5, 17, 299, 300, 1000])
def test_top_k_matches_hf_including_ties(k):
    for seed in range(3):
        logits = tie_heavy_logits(seed)
        ours = S.top_k_filter(logits, k)
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, hf_warp(TopKLogitsWarper(k), logits))
        assert np.all(np.sum(ours > -np.inf, axis=-1) >= min(k, 300) - 20)  # ties keep more, -inf rows fewer
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="top_k"):
            S.top_k_filter(logits, bad)


TOP_P_VALUES = [0.0, 0.05, 0.3, 0.5, 0.75, 0.9, 0.95, 0.999, 1.0]


@pytest.mark.parametrize("p", TOP_P_VALUES)
def test_top_p_matches_hf_with_a_stable_sort(p, monkeypatch):
    """Exactly HF's TopPLogitsWarper, once its torch.sort breaks ties by index as ours does."""
    monkeypatch.setattr(torch, "sort", functools.partial(torch.sort, stable=True))
    for seed in range(4):
        logits = tie_heavy_logits(seed)
        ours = S.top_p_filter(logits, p)
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, hf_warp(TopPLogitsWarper(p), logits))


@pytest.mark.parametrize("p", TOP_P_VALUES)
def test_top_p_matches_hf_up_to_which_tied_tokens_are_cut(p):
    """With HF's default (unstable) sort: the same number of tokens kept per row, and wherever the kept sets differ
    the tokens have the same logit (a tie straddling the cut)."""
    for seed in range(4):
        logits = tie_heavy_logits(seed)
        ours, theirs = S.top_p_filter(logits, p), hf_warp(TopPLogitsWarper(p), logits)
        kept, kept_hf = ours > -np.inf, theirs > -np.inf
        np.testing.assert_array_equal(kept.sum(-1), kept_hf.sum(-1))
        for row, (a, b) in enumerate(zip(kept, kept_hf)):
            assert len(set(logits[row][a != b])) <= 1, f"row {row}: kept sets differ beyond a tie"
        np.testing.assert_array_equal(ours[kept], logits[kept])


def test_top_p_boundaries():
    uniform = np.zeros(4, dtype=np.float32)  # probabilities 0.25 each: the cumulative sums are exact
    assert (S.top_p_filter(uniform, 0.5) > -np.inf).tolist() == [False, False, True, True]
    assert (S.top_p_filter(uniform, 0.75) > -np.inf).tolist() == [False, True, True, True]
    assert (S.top_p_filter(uniform, 0.0) > -np.inf).sum() == 1  # at least one token survives
    logits = np.array([2.0, -np.inf, 1.0, 0.5], dtype=np.float32)
    np.testing.assert_array_equal(S.top_p_filter(logits, 1.0), logits)  # p=1 keeps all but probability-0 tokens
    for bad in (-0.1, 1.1):
        with pytest.raises(ValueError, match="top_p"):
            S.top_p_filter(logits, bad)


# ----------------------------------------------------------------------------------------------------------------
# Chapter 08: greedy and sampling
# ----------------------------------------------------------------------------------------------------------------


def test_greedy_picks_the_last_positions_argmax():
    logits = np.array([[0.0, 5.0, 1.0], [3.0, 1.0, 3.0]], dtype=np.float32)
    assert S.greedy(logits) == 0 and S.greedy(logits[0]) == 1
    assert isinstance(S.greedy(logits), int)


def test_sample_next_is_reproducible_and_follows_the_filters():
    logits = tie_heavy_logits(1)[9]
    draws = [S.sample_next(logits, np.random.default_rng(42), 0.8, 10, 0.9) for _ in range(3)]
    assert len(set(draws)) == 1 and isinstance(draws[0], int)
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    seq_a = [S.sample_next(logits, rng_a, top_k=50) for _ in range(50)]
    assert seq_a == [S.sample_next(logits, rng_b, top_k=50) for _ in range(50)]
    assert len(set(seq_a)) > 5

    allowed = S.top_p_filter(S.top_k_filter(S.apply_temperature(logits, 0.8), 10), 0.9) > -np.inf
    rng = np.random.default_rng(0)
    assert all(allowed[S.sample_next(logits, rng, 0.8, 10, 0.9)] for _ in range(200))
    assert S.sample_next(logits, rng, temperature=0) == S.greedy(logits)
    assert S.sample_next(logits, rng, top_k=1) == S.greedy(logits)
    assert S.sample_next(np.stack([logits, -logits]), rng, top_k=1) == S.greedy(-logits)  # last position


def test_sample_next_frequencies_follow_softmax():
    logits = np.log(np.array([0.5, 0.25, 0.15, 0.1], dtype=np.float32))
    rng = np.random.default_rng(0)
    counts = np.bincount([S.sample_next(logits, rng) for _ in range(4000)], minlength=4)
    np.testing.assert_allclose(counts / 4000, [0.5, 0.25, 0.15, 0.1], atol=0.03)


# ----------------------------------------------------------------------------------------------------------------
# Components against torch (chapters 02, 03, 05)
# ----------------------------------------------------------------------------------------------------------------


def test_layer_norm_matches_torch():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(3, 5, 64)) * 3 + 10).astype(np.float32)
    x[0, 0] = 7.0  # a constant row
    g, b = rng.normal(size=64).astype(np.float32), rng.normal(size=64).astype(np.float32)
    ours = S.layer_norm(x, g, b)
    assert ours.dtype == np.float32
    expected = F.layer_norm(torch.tensor(x), (64,), torch.tensor(g), torch.tensor(b), eps=1e-5).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5, rtol=0)


def test_gelu_matches_torch_tanh_form():
    x = np.concatenate([np.linspace(-10, 10, 2001), [-1e4, 1e4, 0.0]]).astype(np.float32)
    ours = S.gelu(x)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, F.gelu(torch.tensor(x), approximate="tanh").numpy(), atol=1e-6, rtol=1e-6)
    # the erf form differs by up to 4.7e-4: our tolerance is far below that
    assert np.max(np.abs(ours - F.gelu(torch.tensor(x)).numpy())) > 1e-4


def test_softmax_matches_torch_including_huge_logits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 50)).astype(np.float32) * 5
    x[0] = 1e4
    x[1, ::2], x[1, 1::2] = 1e4, -1e4
    x[2] = -1e4
    x[3, 7] = 1e4
    ours = S.softmax(x)
    assert ours.dtype == np.float32 and np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, torch.softmax(torch.tensor(x), dim=-1).numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(S.softmax(x, axis=0), torch.softmax(torch.tensor(x), dim=0).numpy(), atol=1e-6)


@pytest.mark.parametrize("n_seq, d_head", [(1, 8), (7, 16), (33, 64)])
def test_attention_matches_sdpa(n_seq, d_head):
    rng = np.random.default_rng(n_seq)
    q, k, v = (rng.normal(size=(n_seq, d_head)).astype(np.float32) for _ in range(3))
    ours = S.attention(q, k, v, S.causal_mask(n_seq))
    assert ours.dtype == np.float32
    expected = F.scaled_dot_product_attention(*(torch.tensor(t) for t in (q, k, v)), is_causal=True).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5, rtol=0)


def test_mha_matches_hf_gpt2_attention():
    n_seq, n_embd, n_head = 11, 48, 6
    config = GPT2Config(n_embd=n_embd, n_head=n_head, n_positions=32, vocab_size=10, attn_implementation="eager",
                        bos_token_id=None, eos_token_id=None)
    hf = GPT2Attention(config, layer_idx=0).eval()
    rng = np.random.default_rng(0)
    lin = {name: {"w": rng.normal(0, 0.2, (n_embd, n_out)).astype(np.float32),
                  "b": rng.normal(0, 0.2, n_out).astype(np.float32)}
           for name, n_out in (("c_attn", 3 * n_embd), ("c_proj", n_embd))}
    with torch.no_grad():
        for name, p in lin.items():
            getattr(hf, name).weight.copy_(torch.tensor(p["w"]))
            getattr(hf, name).bias.copy_(torch.tensor(p["b"]))
    x = rng.normal(size=(n_seq, n_embd)).astype(np.float32)
    future = torch.triu(torch.full((n_seq, n_seq), torch.finfo(torch.float32).min), diagonal=1)
    with torch.no_grad():  # GPT2Attention takes the causal mask from GPT2Model, so pass it in explicitly
        expected = hf(torch.tensor(x)[None], attention_mask=future[None, None])[0][0].numpy()
    ours = S.mha(x, lin["c_attn"], lin["c_proj"], n_head)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, atol=1e-5, rtol=0)


# ----------------------------------------------------------------------------------------------------------------
# Chapter 01: byte-level BPE against tiktoken
# ----------------------------------------------------------------------------------------------------------------

CORPUS = [
    "Hello, world! GPT-2 builds text one token at a time.",
    "I'm sure you're right; they'll say we've done it, he'd agree, it's DON'T and Can'T.",
    "  leading spaces,   runs   of spaces,\ttabs\t\tand\nnew\n\n\nlines \r\n trailing   ",
    "naïve café résumé Ünïcödé façade — “quotes” and ‘apostrophes’ … ¿qué? ¡sí!",
    "東京は日本の首都です。 Привет, мир! مرحبا بالعالم שלום עולם नमस्ते दुनिया",
    "emoji 😀🤖🎉 family 👩‍👩‍👧‍👦 flag 🇫🇷 skin 👍🏽 keycap 1️⃣",
    "numbers 1234567890 3.14159 -42 1e-10 $100,000.00 50% 0x1F",
    "code: def f(x):\n    return x**2  # comment\n\tif a != b: print(a[0])",
    "e\u0301 (combining acute), \u00a0non-breaking\u00a0space, zero\u200bwidth, \ufeffBOM",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!!!!!!!!!!!!!!!!!!!!!!!!????",
    "first document<|endoftext|>second document <|endoftext|> third",
    "",
    " ",
    "\n",
]


def random_unicode_text(seed: int, n: int = 200) -> str:
    rng = np.random.default_rng(seed)
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x4E00, 0x4FFF), (0x1F300, 0x1F64F)]
    chars = []
    for _ in range(n):
        lo, hi = ranges[rng.integers(len(ranges))]
        chars.append(chr(rng.integers(lo, hi + 1)) if rng.random() > 0.15 else " \n\t"[rng.integers(3)])
    return "".join(chars)


def our_encode(text: str) -> list[int]:
    """Pre-split with GPT-2's regex, bpe_encode_piece on every piece; <|endoftext|> as its special id."""
    import regex
    from tiktoken_ext.openai_public import r50k_pat_str

    ranks = S.load_ranks()
    ids = []
    for i, chunk in enumerate(text.split("<|endoftext|>")):
        if i:
            ids.append(50256)
        for piece in regex.findall(r50k_pat_str, chunk):
            ids += S.bpe_encode_piece(piece.encode("utf-8"), ranks)
    return ids


@pytest.mark.parametrize("text", CORPUS + [random_unicode_text(seed) for seed in range(3)])
def test_bpe_matches_tiktoken(text):
    tiktoken_gpt2 = S.gpt2_tokenizer()
    expected = tiktoken_gpt2.encode(text, allowed_special="all")
    assert our_encode(text) == expected
    assert S.encode(text) == expected
    assert S.decode(expected) == text
    if "<|endoftext|>" not in text:
        assert our_encode(text) == tiktoken_gpt2.encode_ordinary(text)
