"""Chapter 08 against independent oracles, offline:

- Hugging Face transformers (the GPT2LMHeadModel made in conftest.py: random weights, float32, eval mode, eager
  attention): the reference `generate`, `generate_cached` and `GPT2.generate` give HF's greedy generate tokens,
  stopping at an end-of-text id; the KV cache gives the uncached logits; `apply_temperature`, `top_k_filter` and
  `top_p_filter` are HF's TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper (ties included);
- `greedy` and `sample_next`: argmax of the last position, reproducible draws whose frequencies follow the softmax;
- what the autograder's filter, sample_next and generate checks expect is what HF computes on the checks' own inputs,
  and the chi-square critical values of the frequency check are torch's regularised incomplete gamma function.

Run with `-s` to see the measured logit differences (lines starting with PARITY).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

import solutions as S
from tests.conftest import (
    TINY,
    cases_of,
    hf_gpt2,
    random_ids,
    report,
    transformers_or_skip,
)

transformers_or_skip()
from transformers.generation.logits_process import (  # noqa: E402
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from autograder import REGISTRY  # noqa: E402
from autograder.engine import expected  # noqa: E402
from autograder.exercises import ch07_gpt2, ch08_decoding  # noqa: E402

SEEDS = [None, 0, 1, 2]  # None: the visible cases


def hf_greedy(hf, prompt, n_new, eos_id=None) -> list[int]:
    """HF's generate(do_sample=False): the n_new (or fewer, stopping at eos_id) ids after the prompt."""
    with torch.no_grad():
        out = hf.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                          do_sample=False, max_new_tokens=n_new, eos_token_id=eos_id, pad_token_id=0)
    return out[0, len(prompt):].tolist()


def hf_warp(warper, logits: np.ndarray) -> np.ndarray:
    """A Hugging Face logits warper on [..., n_vocab] logits (it takes [batch, n_vocab]); the input is copied."""
    flat = torch.tensor(np.asarray(logits).reshape(-1, logits.shape[-1]))
    return warper(None, flat).numpy().reshape(logits.shape)


# ----------------------------------------------------------------------------------------------------------------
# Generation against Hugging Face, and the KV cache
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


def test_kv_cache_logits_match_uncached(lively, saved_hf_dir):
    normal_scale = S.load_gpt2_params(saved_hf_dir("v257-ctx64-e48-h3-l3"))[1]
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
# Logits processors against Hugging Face's warpers
# ----------------------------------------------------------------------------------------------------------------


def tie_heavy_logits(seed: int, batch: int = 16, n_vocab: int = 300) -> np.ndarray:
    """Rows mixing continuous logits, coarsely rounded ones (many ties), a constant row and -inf entries."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=(batch, n_vocab)).astype(np.float32)
    logits[: batch // 2] = np.round(logits[: batch // 2])  # heavy ties
    logits[batch // 2] = 0.0  # all tied
    logits[-1, rng.integers(0, n_vocab, 20)] = -np.inf
    return logits


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
# Greedy and sampling
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
# The autograder's expectations (filters, sample_next, generate) are Hugging Face's, on the checks' own inputs
# (visible cases and hidden ones for a few seeds). The checks compare learners with `solutions`.
# ----------------------------------------------------------------------------------------------------------------


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
    # the sample_next mistake "temperature after softmax" (its apply_temperature namesake is _temperature_after_softmax)
    wrong = ch08_decoding.probe_counts(ch08_decoding._sample_temperature_after_softmax, logits, seed, n, **case.kwargs)
    assert "chi-square" in ch08_decoding._compare_counts(wrong, reference, case)


def test_generation_cases_match_hugging_faces_greedy_generate():
    """The greedy generate case expects Hugging Face's generate(do_sample=False) tokens."""
    case = cases_of("generate", None)[0]
    prompt, params, n_head, n_new = case.args
    hparams = {"n_vocab": params["wte"].shape[0], "n_ctx": params["wpe"].shape[0],
               "n_embd": params["wte"].shape[1], "n_head": n_head, "n_layer": len(params["blocks"])}
    hf = hf_gpt2(hparams)
    hf.load_state_dict(ch07_gpt2.reference_state_dict(hparams, params), strict=True)
    assert expected(REGISTRY["generate"], case).value == hf_greedy(hf, prompt, n_new, eos_id=None)
