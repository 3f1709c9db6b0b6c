"""The expectations of chapters 07 and 08's checks against independent oracles: Hugging Face transformers (its
GPT2LMHeadModel and its logits warpers) and the chi-square distribution (via torch's incomplete gamma function).

The checks themselves compare learners with `solutions`; these tests prove that what they expect is what
Hugging Face computes, on the very inputs the checks use (visible cases and hidden ones for a few seeds).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from autograder import REGISTRY
from autograder.engine import expected
from autograder.exercises import ch07_gpt2, ch08_decoding

transformers = pytest.importorskip("transformers")
from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402
from transformers.generation.logits_process import (  # noqa: E402
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
SEEDS = [None, 0, 1, 2]  # None: the visible cases


def cases_of(name: str, seed):
    exercise = REGISTRY[name]
    return exercise.cases() if seed is None else exercise.cases(hidden=True, seed=seed)


def hf_model(hparams: dict) -> GPT2LMHeadModel:
    config = GPT2Config(vocab_size=hparams["n_vocab"], n_positions=hparams["n_ctx"], n_embd=hparams["n_embd"],
                        n_head=hparams["n_head"], n_layer=hparams["n_layer"], attn_implementation="eager",
                        bos_token_id=None, eos_token_id=None)
    return GPT2LMHeadModel(config).eval()


# ------------------------------------------------------------------------------------------------------------------
# Chapter 07
# ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_gpt2_expectations_are_hugging_faces(seed):
    for case in cases_of("GPT2", seed):
        hparams = case.args[0]
        hf = hf_model(hparams)
        if case.probe is ch07_gpt2.probe_state_dict:
            assert expected(REGISTRY["GPT2"], case).value == {k: tuple(v.shape) for k, v in hf.state_dict().items()}
        elif case.probe is ch07_gpt2.probe_tied:
            assert expected(REGISTRY["GPT2"], case).value is True
            assert hf.lm_head.weight.data_ptr() == hf.transformer.wte.weight.data_ptr()
        elif case.probe in (ch07_gpt2.probe_logits, ch07_gpt2.probe_from_params) and not case.raises:
            params, ids = case.args[1], case.args[2]
            hf.load_state_dict(ch07_gpt2.reference_state_dict(hparams, params), strict=True)
            with torch.no_grad():
                theirs = hf(torch.from_numpy(np.atleast_2d(ids))).logits.numpy().reshape(
                    *ids.shape, hparams["n_vocab"])
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
    hf, info = GPT2LMHeadModel.from_pretrained(tmp_path, attn_implementation="eager", output_loading_info=True)
    assert not info["missing_keys"] and not info["mismatched_keys"], info
    ids = np.arange(hparams["n_ctx"]) % hparams["n_vocab"]
    with torch.no_grad():
        theirs = hf.eval()(torch.from_numpy(ids)[None]).logits[0].numpy()
    from solutions import gpt2

    np.testing.assert_allclose(gpt2(ids, **params, n_head=hparams["n_head"]), theirs, atol=2e-5, rtol=2e-5)


# ------------------------------------------------------------------------------------------------------------------
# Chapter 08: the filters against Hugging Face's warpers, on the checks' own inputs
# ------------------------------------------------------------------------------------------------------------------
def hf_warp(warper, logits: np.ndarray) -> np.ndarray:
    flat = torch.from_numpy(np.ascontiguousarray(logits.reshape(-1, logits.shape[-1])))
    return warper(None, flat).numpy().reshape(logits.shape)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name, warper", [
    ("apply_temperature", TemperatureLogitsWarper),
    ("top_k_filter", TopKLogitsWarper),
    ("top_p_filter", TopPLogitsWarper),
])
def test_filter_expectations_are_hugging_faces(name, warper, seed, monkeypatch):
    if name == "top_p_filter":  # ties at the cut: compare with HF's sort made stable, as the reference's is
        monkeypatch.setattr(torch, "sort", functools.partial(torch.sort, stable=True))
    n_checked = 0
    for case in cases_of(name, seed):
        if case.raises:
            continue
        logits, setting = case.args
        theirs = hf_warp(warper(setting), logits.astype(np.float32))
        ours = expected(REGISTRY[name], case).value
        assert ours.dtype == logits.dtype
        if name == "apply_temperature":
            np.testing.assert_allclose(ours, theirs, rtol=1e-6)
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=case.label)
        n_checked += 1
    assert n_checked >= 4


@pytest.mark.parametrize("seed", SEEDS)
def test_sampling_distribution_is_hugging_faces(seed):
    """sampling_probs (what the chi-square case expects) = softmax after HF's temperature, top-k and top-p."""
    for case in cases_of("sample_next", seed):
        if case.probe is not ch08_decoding.probe_counts:
            continue
        logits, kwargs = torch.from_numpy(np.atleast_2d(case.args[0])[-1:].copy()), case.kwargs
        for warper, key in ((TemperatureLogitsWarper, "temperature"), (TopKLogitsWarper, "top_k"),
                            (TopPLogitsWarper, "top_p")):
            if kwargs.get(key) is not None:
                logits = warper(kwargs[key])(None, logits)
        theirs = torch.softmax(logits.double(), dim=-1)[0].numpy()
        np.testing.assert_allclose(ch08_decoding.sampling_probs(case.args[0], **kwargs), theirs, atol=1e-7)


def test_chi_square_critical_values():
    """P(chi2_df > critical) = 0.001: the regularised upper incomplete gamma function Q(df/2, x/2)."""
    for df, critical in ch08_decoding.CHI2_CRITICAL.items():
        q = torch.special.gammaincc(torch.tensor(df / 2, dtype=torch.float64),
                                    torch.tensor(critical / 2, dtype=torch.float64)).item()
        assert q == pytest.approx(1e-3, rel=2e-3), df


def test_frequency_case_rejects_a_wrong_distribution_and_accepts_other_draws_from_the_right_one():
    case = next(c for c in cases_of("sample_next", None) if c.probe is ch08_decoding.probe_counts)
    logits, seed, n = case.args
    right = ch08_decoding.probe_counts(ch08_decoding._sample_multinomial, logits, seed, n, **case.kwargs)
    reference = expected(REGISTRY["sample_next"], case).value
    assert not np.array_equal(right, reference) and ch08_decoding._compare_counts(right, reference, case) is None
    wrong = ch08_decoding.probe_counts(ch08_decoding._temperature_after_softmax, logits, seed, n, **case.kwargs)
    assert "chi-square" in ch08_decoding._compare_counts(wrong, reference, case)


def test_generation_cases_match_hugging_faces_greedy_generate():
    """The greedy generate case expects Hugging Face's generate(do_sample=False) tokens."""
    case = cases_of("generate", None)[0]
    prompt, params, n_head, n_new = case.args
    hparams = {"n_vocab": params["wte"].shape[0], "n_ctx": params["wpe"].shape[0],
               "n_embd": params["wte"].shape[1], "n_head": n_head, "n_layer": len(params["blocks"])}
    hf = hf_model(hparams)
    hf.load_state_dict(ch07_gpt2.reference_state_dict(hparams, params), strict=True)
    with torch.no_grad():
        out = hf.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                          do_sample=False, max_new_tokens=n_new, eos_token_id=None, pad_token_id=0)
    assert expected(REGISTRY["generate"], case).value == out[0, len(prompt):].tolist()
