"""The oracle outputs that ship in autograder/fixtures/ still match the library that computed them.

Chapter 06's check of `gpt2` compares with Hugging Face's GPT2LMHeadModel through stored logits, so that grading
needs no `transformers`. Here transformers recomputes them, from the weights `solutions.init_params` regenerates.
"""

import subprocess
import sys

import numpy as np
import pytest

import solutions
from autograder.exercises import ch06_transformer_block

pytest.importorskip("transformers")


def test_stored_hf_logits_are_what_transformers_computes(tmp_path, monkeypatch):
    shipped = ch06_transformer_block.stored_hf()
    monkeypatch.setattr(ch06_transformer_block, "FIXTURE", tmp_path / "ch06_gpt2_hf.npz")
    (rebuilt_path,) = ch06_transformer_block.rebuild_fixtures()
    with np.load(rebuilt_path) as rebuilt:
        assert set(rebuilt.files) == set(shipped)
        np.testing.assert_array_equal(rebuilt["ids"], shipped["ids"])
        assert rebuilt["logits"].dtype == np.float32
        # the same computation on the same machine is bit-identical; BLAS threading may move the last bit
        np.testing.assert_allclose(rebuilt["logits"], shipped["logits"], rtol=1e-6, atol=1e-6)


def test_fixture_is_small_and_matches_the_reference():
    assert ch06_transformer_block.FIXTURE.stat().st_size < 20_000
    stored = ch06_transformer_block.stored_hf()
    params = ch06_transformer_block.fixture_params()
    logits = solutions.gpt2(stored["ids"], **params, n_head=ch06_transformer_block.FIXTURE_HPARAMS["n_head"])
    assert logits.shape == stored["logits"].shape == (ch06_transformer_block.FIXTURE_HPARAMS["n_ctx"],
                                                     ch06_transformer_block.FIXTURE_HPARAMS["n_vocab"])
    diff = np.max(np.abs(logits - stored["logits"]))
    assert diff < 1e-5, diff  # well inside the check's tolerance (1e-5 + 1e-5·|logit|)
    assert np.std(stored["logits"]) > 0.5  # logits large enough that every known mistake shows


def test_rebuild_command_is_there():
    proc = subprocess.run([sys.executable, "-m", "autograder.exercises", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "rebuild-fixtures" in proc.stdout


def _recorded():
    from autograder import load_all
    from autograder.recorded import Recorded

    load_all()
    modules = [m for name, m in sorted(sys.modules.items()) if name.startswith("autograder.exercises.ch")]
    return [v for m in modules for v in vars(m).values() if isinstance(v, Recorded)]


RECORDED = _recorded()


@pytest.mark.parametrize("oracle", RECORDED, ids=[r.name for r in RECORDED])
def test_recorded_torch_outputs_are_what_torch_computes(oracle):
    """The checks' PyTorch oracles are stored outputs (grading a NumPy chapter loads no PyTorch): PyTorch, run here,
    must still give them, for the inputs they were recorded for."""
    from autograder.recorded import fingerprint

    with np.load(oracle.path) as stored:
        assert str(stored["inputs"]) == fingerprint(oracle.args)
        np.testing.assert_allclose(oracle.compute(*oracle.args), stored["output"], rtol=1e-6, atol=1e-7)
    assert oracle.oracle(*oracle.args).dtype == oracle.output.dtype
    with pytest.raises(RuntimeError, match="only knows its own inputs"):
        oracle.oracle(*[a + 1 if isinstance(a, np.ndarray) else a for a in oracle.args])


def test_every_exercise_module_with_recorded_oracles_can_rebuild_them():
    assert {r.name for r in RECORDED} >= {"ch02_torch_layer_norm", "ch03_torch_gelu", "ch05_torch_mha"}
