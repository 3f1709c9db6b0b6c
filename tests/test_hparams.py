"""solutions.params.HParams: GPT-2's five hyper-parameters, checked once, and still usable as the dict the chapters
(and load_gpt2_params's contract) hand around."""

from __future__ import annotations

import dataclasses
import json
import pickle
from dataclasses import asdict

import numpy as np
import pytest

from solutions.params import GPT2_SMALL, HParams, init_params

NAMES = ["n_vocab", "n_ctx", "n_embd", "n_head", "n_layer"]  # GPT2(...)'s argument order
TINY = {"n_vocab": 11, "n_ctx": 6, "n_embd": 8, "n_head": 2, "n_layer": 1}


def test_gpt2_small_has_the_124m_shapes():
    assert isinstance(GPT2_SMALL, HParams)
    assert asdict(GPT2_SMALL) == {"n_vocab": 50257, "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12}
    assert GPT2_SMALL.d_head == 64


@pytest.mark.parametrize("n_embd, n_head, d_head", [(768, 12, 64), (8, 2, 4), (24, 3, 8), (5, 1, 5), (4, 4, 1)])
def test_d_head_is_n_embd_over_n_head(n_embd, n_head, d_head):
    assert HParams(n_vocab=3, n_ctx=2, n_embd=n_embd, n_head=n_head, n_layer=1).d_head == d_head


def test_n_head_must_divide_n_embd():
    with pytest.raises(ValueError, match=r"n_embd=768 is not divisible by n_head=5"):
        HParams(n_vocab=50257, n_ctx=1024, n_embd=768, n_head=5, n_layer=12)
    with pytest.raises(ValueError, match=r"n_embd.*n_head"):
        dataclasses.replace(GPT2_SMALL, n_head=7)


@pytest.mark.parametrize("name, value", [("n_vocab", 0), ("n_ctx", -1), ("n_embd", 0), ("n_head", 0),
                                         ("n_layer", -1)])
def test_sizes_must_be_positive(name, value):
    with pytest.raises(ValueError, match=name):
        HParams(**{**TINY, name: value})


def test_no_blocks_is_allowed():  # chapter 01 builds wte and wpe only
    assert HParams(**{**TINY, "n_layer": 0}).n_layer == 0
    assert init_params({**TINY, "n_layer": 0})["blocks"] == []


@pytest.mark.parametrize("value", [8.0, "8", True, None])
def test_sizes_must_be_ints(value):
    with pytest.raises(TypeError, match="n_embd"):
        HParams(**{**TINY, "n_embd": value})


def test_numpy_ints_become_python_ints():
    h = HParams(**{k: np.int64(v) for k, v in TINY.items()})
    assert all(type(v) is int for v in asdict(h).values())
    assert json.loads(json.dumps(asdict(h))) == TINY


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        GPT2_SMALL.n_head = 16
    assert GPT2_SMALL.n_head == 12


def test_asdict_round_trip():
    d = asdict(GPT2_SMALL)
    assert list(d) == NAMES and type(d) is dict
    assert HParams(**d) == GPT2_SMALL
    assert HParams.of(d) == GPT2_SMALL


def test_of_takes_an_hparams_or_a_dict():
    assert HParams.of(GPT2_SMALL) is GPT2_SMALL
    h = HParams.of(TINY)
    assert isinstance(h, HParams) and asdict(h) == TINY
    # a run's whole config: the five are picked out, the other settings ignored
    assert HParams.of({**TINY, "batch_size": 16, "max_lr": 3e-3}) == h
    with pytest.raises(KeyError, match="n_head"):
        HParams.of({k: v for k, v in TINY.items() if k != "n_head"})
    with pytest.raises(ValueError, match="n_head"):
        HParams.of({**TINY, "n_head": 3})


def test_reads_like_the_five_key_dict():
    """Where the chapters used the dict: h["n_head"], **h, dict(h), comparison with a dict, keys in order."""
    h = HParams.of(TINY)
    assert h["n_head"] == 2 and "n_layer" in h and "d_head" not in h and len(h) == 5
    assert list(h) == NAMES and dict(h) == TINY and {**h} == TINY
    assert h == TINY and TINY == h and h != {**TINY, "n_layer": 2}
    assert hash(h) == hash(HParams.of(dict(TINY)))
    with pytest.raises(KeyError):
        h["d_head"]


def test_picogpt_style_unpacking():
    from solutions import GPT2, gpt2

    h = HParams.of(TINY)
    params = init_params(h, seed=0)
    ids = np.arange(h.n_ctx) % h.n_vocab
    logits = gpt2(ids, **params, n_head=h.n_head)
    assert logits.shape == (h.n_ctx, h.n_vocab)
    model = GPT2(**asdict(h))
    assert model.hparams == h and model.hparams.d_head == h.d_head
    assert GPT2.from_hparams(TINY).hparams == GPT2.from_hparams(h).hparams == TINY


def test_init_params_shapes_from_hparams_or_dict():
    for hparams in (TINY, HParams.of(TINY)):
        params = init_params(hparams, seed=1)
        assert params["wte"].shape == (11, 8) and params["wpe"].shape == (6, 8) and len(params["blocks"]) == 1
        assert params["blocks"][0]["attn"]["c_attn"]["w"].shape == (8, 24)
    with pytest.raises(ValueError, match="n_head"):
        init_params({**TINY, "n_head": 3})


def test_pickles():
    assert pickle.loads(pickle.dumps(GPT2_SMALL)) == GPT2_SMALL


def test_config_json_with_heads_that_do_not_fit_is_refused():
    from solutions.ch07_gpt2 import config_from_hparams, hparams_from_config

    config = config_from_hparams(TINY)
    hparams = hparams_from_config(config)
    assert type(hparams) is dict and hparams == TINY  # load_gpt2_params's contract: a plain dict
    with pytest.raises(ValueError, match=r"config.json: n_embd=8 is not divisible by n_head=3"):
        hparams_from_config({**config, "n_head": 3})
