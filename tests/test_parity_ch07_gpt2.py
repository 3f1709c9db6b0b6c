"""Chapter 07 against Hugging Face transformers (the GPT2LMHeadModel made in conftest.py: random weights, float32,
eval mode, eager attention), offline:

- the reference NumPy `gpt2` and `load_gpt2_params` give HF's logits on small configurations and the 124M shapes;
- the loader reads both checkpoint layouts (save_pretrained's and the published `gpt2` one), names a bad tensor,
  refuses a config it cannot run, and `save_gpt2_params` writes a directory HF loads with no key missing;
- the PyTorch port `GPT2` takes HF's state_dict as is and gives its logits, with and without its KV cache;
- what the autograder's GPT2 and load_gpt2_params checks expect is what HF computes on the checks' own inputs.

Run with `-s` to see the measured logit differences (lines starting with PARITY).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import solutions as S
from tests.conftest import (
    SMALL_CONFIGS,
    TINY,
    cases_of,
    hf_from_pretrained,
    hf_gpt2,
    hf_logits,
    random_ids,
    report,
    transformers_or_skip,
)

transformers_or_skip()
from autograder import REGISTRY  # noqa: E402
from autograder.engine import expected  # noqa: E402
from autograder.exercises import ch07_gpt2  # noqa: E402

SEEDS = [None, 0, 1, 2]  # None: the visible cases


# ----------------------------------------------------------------------------------------------------------------
# Whole-model logits against Hugging Face
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SMALL_CONFIGS)
def test_logits_match_hf_small_configs(name, saved_hf_dir):
    hparams_expected = SMALL_CONFIGS[name]
    model_dir = saved_hf_dir(name)
    hf = hf_from_pretrained(model_dir)
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


def test_count_parameters_equals_hf_num_parameters(saved_hf_dir):
    for name, hparams in SMALL_CONFIGS.items():
        hf = hf_from_pretrained(saved_hf_dir(name))
        assert S.count_parameters(S.init_params(hparams)) == hf.num_parameters(), name


# ----------------------------------------------------------------------------------------------------------------
# The loader's two layouts, its errors, and save_gpt2_params
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


def test_published_layout_loads_identically(saved_hf_dir, tmp_path):
    name = "v257-ctx64-e48-h3-l3"
    src = saved_hf_dir(name)
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
def test_loader_names_the_bad_tensor(edit, message, saved_hf_dir, tmp_path):
    rewrite_checkpoint(saved_hf_dir("v257-ctx64-e48-h3-l3"), tmp_path, edit)
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        S.load_gpt2_params(tmp_path)


def test_loader_rejects_config_it_cannot_run(saved_hf_dir, tmp_path):
    src = saved_hf_dir("v101-ctx16-e32-h4-l2")
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
    hf, info = hf_from_pretrained(tmp_path, output_loading_info=True)
    assert all(not keys for keys in info.values()), info
    ids = random_ids(hparams, 20)
    abs_diff, _ = report("numpy gpt2 vs HF from save_gpt2_params", S.gpt2(ids, **params, n_head=8),
                         hf_logits(hf, ids))
    assert abs_diff <= 1e-4
    assert_same_tree(S.load_gpt2_params(tmp_path)[1], params)


# ----------------------------------------------------------------------------------------------------------------
# The PyTorch port
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["v257-ctx64-e48-h3-l3", "v64-ctx128-e24-h1-l4"])
def test_torch_gpt2_loads_hf_state_dict_and_matches(name, saved_hf_dir):
    hparams = SMALL_CONFIGS[name]
    hf = hf_from_pretrained(saved_hf_dir(name))
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

    numpy_logits = S.gpt2(ids, **S.load_gpt2_params(saved_hf_dir(name))[1], n_head=hparams["n_head"])
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
# The autograder's expectations (GPT2, load_gpt2_params) are Hugging Face's, on the checks' own inputs
# (visible cases and hidden ones for a few seeds). The checks compare learners with `solutions`.
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_gpt2_expectations_are_hugging_faces(seed):
    for case in cases_of("GPT2", seed):
        hparams = case.args[0]
        hf = hf_gpt2(hparams)
        if case.probe is ch07_gpt2.probe_state_dict:
            assert expected(REGISTRY["GPT2"], case).value == {k: tuple(v.shape) for k, v in hf.state_dict().items()}
        elif case.probe is ch07_gpt2.probe_tied:
            assert expected(REGISTRY["GPT2"], case).value is True
            assert hf.lm_head.weight.data_ptr() == hf.transformer.wte.weight.data_ptr()
        elif case.probe in (ch07_gpt2.probe_logits, ch07_gpt2.probe_from_params) and not case.raises:
            params, ids = case.args[1], case.args[2]
            hf.load_state_dict(ch07_gpt2.reference_state_dict(hparams, params), strict=True)
            theirs = hf_logits(hf, ids)
            ours = expected(REGISTRY["GPT2"], case).value
            ours = ours["logits"] if isinstance(ours, dict) else ours
            np.testing.assert_allclose(ours, theirs, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("layout", ["save_pretrained", "published"])
def test_the_checks_checkpoints_load_in_transformers(layout, tmp_path):
    """Both layouts the loader check writes are real Hugging Face directories: from_pretrained reads them with
    nothing missing and gives the logits of the NumPy model."""
    case = cases_of("load_gpt2_params", None)[0]
    hparams, params = case.args[0], case.args[1]
    ch07_gpt2.write_checkpoint(tmp_path, hparams, params, layout)
    hf, info = hf_from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["mismatched_keys"], info
    ids = np.arange(hparams["n_ctx"]) % hparams["n_vocab"]
    theirs = hf_logits(hf, ids)
    np.testing.assert_allclose(S.gpt2(ids, **params, n_head=hparams["n_head"]), theirs, atol=2e-5, rtol=2e-5)
