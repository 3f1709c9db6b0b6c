"""Fixtures and helpers shared by several test modules: the built book, and the Hugging Face GPT-2 oracle."""

import functools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def book_html(tmp_path_factory) -> Path:
    """The whole book, built once per test session (into a temporary --path-output, with a clean execution cache)
    the way `make book` builds it: offline, warnings as errors, every chapter executed. -> the site's html folder"""
    if os.environ.get("BOOK_HTML"):  # a site already built, e.g. BOOK_HTML=_build/html after `make book`
        return Path(os.environ["BOOK_HTML"]).resolve()
    out = tmp_path_factory.mktemp("book")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out),
         "-W", "-n", "--keep-going"], capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    return out / "_build" / "html"


# ----------------------------------------------------------------------------------------------------------------
# Hugging Face GPT-2: the oracle of the test_parity_ch05/ch07/ch08 modules
# ----------------------------------------------------------------------------------------------------------------
# Every Hugging Face model those tests compare with is built or loaded here, one way: float32, eval mode (dropout
# off), eager attention (softmax(q k^T / sqrt(d_head)) v written out, as ours is, not a fused SDPA kernel), and
# bos/eos ids only when the vocabulary has id 50256. transformers is imported on first use, so a session without it
# still collects every module: a test that asks for a model is skipped.
# Import the plain functions with `from tests.conftest import ...`; saved_hf_dir is a fixture.

# Small configurations that differ in every hyper-parameter (n_head=1 and n_layer=1 included).
SMALL_CONFIGS = {
    "v101-ctx16-e32-h4-l2": {"n_vocab": 101, "n_ctx": 16, "n_embd": 32, "n_head": 4, "n_layer": 2},
    "v257-ctx64-e48-h3-l3": {"n_vocab": 257, "n_ctx": 64, "n_embd": 48, "n_head": 3, "n_layer": 3},
    "v500-ctx40-e64-h8-l1": {"n_vocab": 500, "n_ctx": 40, "n_embd": 64, "n_head": 8, "n_layer": 1},
    "v64-ctx128-e24-h1-l4": {"n_vocab": 64, "n_ctx": 128, "n_embd": 24, "n_head": 1, "n_layer": 4},
}
TINY = SMALL_CONFIGS["v101-ctx16-e32-h4-l2"]


def transformers_or_skip():
    """The transformers module, quiet (errors only, no progress bars); skips the calling test (or module) without it."""
    transformers = pytest.importorskip("transformers")
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return transformers


def hf_config(hparams: dict):
    """Our hparams (n_vocab, n_ctx, n_embd, n_head, n_layer) -> a GPT2Config with eager attention."""
    transformers = transformers_or_skip()
    from solutions import ENDOFTEXT_ID

    # GPT2Config's default eos (50256) is out of a small vocabulary
    eos = ENDOFTEXT_ID if hparams["n_vocab"] > ENDOFTEXT_ID else None
    return transformers.GPT2Config(vocab_size=hparams["n_vocab"], n_positions=hparams["n_ctx"],
                                   n_embd=hparams["n_embd"], n_head=hparams["n_head"], n_layer=hparams["n_layer"],
                                   attn_implementation="eager", bos_token_id=eos, eos_token_id=eos)


def hf_gpt2(hparams: dict, seed: int = 0, noise: float = 0.02):
    """A Hugging Face GPT-2 with random weights, float32 and in eval mode: HF's own init (seeded) plus N(0, noise) on
    every parameter, so biases and layer-norm parameters are not the trivial 0 and 1. To compare with given weights,
    load_state_dict(..., strict=True) into it."""
    import torch

    transformers = transformers_or_skip()
    torch.manual_seed(seed)
    model = transformers.GPT2LMHeadModel(hf_config(hparams)).eval()
    with torch.no_grad():
        for param in model.parameters():  # the tied wte/lm_head appears once
            param.add_(torch.randn_like(param) * noise)
    assert model.config._attn_implementation == "eager" and model.dtype == torch.float32
    return model


def hf_from_pretrained(path, **kwargs):
    """GPT2LMHeadModel.from_pretrained(path) with eager attention, as float32 (transformers 5 would otherwise keep
    the file's dtype), in eval mode. output_loading_info=True -> (model, info) as in transformers."""
    import torch

    transformers = transformers_or_skip()
    loaded = transformers.GPT2LMHeadModel.from_pretrained(path, attn_implementation="eager", dtype=torch.float32,
                                                          **kwargs)
    model = loaded[0] if isinstance(loaded, tuple) else loaded
    model.eval()
    assert model.config._attn_implementation == "eager" and model.dtype == torch.float32
    return loaded


def hf_logits(model, ids) -> np.ndarray:
    """# [n_seq] -> [n_seq, n_vocab], or [n_batch, n_seq] -> [n_batch, n_seq, n_vocab]"""
    import torch

    ids = np.asarray(ids)
    with torch.no_grad():
        logits = model(torch.as_tensor(np.atleast_2d(ids))).logits.numpy()
    return logits.reshape(*ids.shape, logits.shape[-1])


@pytest.fixture(scope="session")
def saved_hf_dir(tmp_path_factory):
    """name -> a directory holding hf_gpt2(SMALL_CONFIGS[name]).save_pretrained(...), each written once per session."""
    root = tmp_path_factory.mktemp("hf_models")

    @functools.cache
    def save(name: str) -> str:
        path = str(root / name)
        hf_gpt2(SMALL_CONFIGS[name]).save_pretrained(path)
        return path

    return save


def random_ids(hparams: dict, n_seq: int, seed: int = 0) -> list[int]:
    return [int(i) for i in np.random.default_rng(seed).integers(0, hparams["n_vocab"], size=n_seq)]


def logit_difference(ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Max |ours - reference| and the same relative to the reference's largest |logit|."""
    diff = float(np.max(np.abs(ours.astype(np.float64) - reference.astype(np.float64))))
    return diff, diff / float(np.max(np.abs(reference)))


def report(label: str, ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """logit_difference, printed on a line starting with PARITY (run pytest with -s to see them)."""
    abs_diff, rel_diff = logit_difference(ours, reference)
    print(f"PARITY {label}: max|logit|={np.max(np.abs(reference)):.3g} max abs diff={abs_diff:.2e} "
          f"relative={rel_diff:.2e}")
    return abs_diff, rel_diff


def cases_of(name: str, seed):
    """The autograder's cases of exercise `name`: the visible ones (seed None) or the hidden ones for `seed`.
    The exercise's module must have been imported (it registers the exercise)."""
    from autograder import REGISTRY

    exercise = REGISTRY[name]
    return exercise.cases() if seed is None else exercise.cases(hidden=True, seed=seed)
