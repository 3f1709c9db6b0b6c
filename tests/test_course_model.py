"""The course model (data/course_model/) and chapter 09's training code (solutions/ch09_training.py).

- The committed model loads unchanged in the three implementations — our NumPy `gpt2` (via load_gpt2_params), the
  PyTorch `GPT2` and Hugging Face's GPT2LMHeadModel (eager attention) — and their logits agree.
- The committed report is consistent: its numbers are the summary's, and the model beats the bigram baseline.
- The shipped files stay under 20 MB.
- The training code's pieces: cross_entropy against torch (huge logits included), the uniform guess, get_batch,
  lr_at, train_step, evaluate, add_dropout, and the corpus (skipped with a reason when data/shakespeare.tar.xz is
  absent; it ships with the course).
Run with `-s` to see the measured logit differences (lines starting with PARITY).
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import asdict

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import solutions as S
from solutions import ch09_training as T
from solutions.params import HParams

MODEL_DIR = T.COURSE_MODEL_DIR
MAX_SHIPPED_BYTES = 20 * 10**6
# Julius Caesar III.2, a held-out work: the model never saw these lines.
PROMPT = ("ANTONY.\nFriends, Romans, countrymen, lend me your ears;\nI come to bury Caesar, not to praise him.\n"
          "The evil that men do lives after them;\nThe good is oft interred with their bones;\n"
          "So let it be with Caesar.")


@pytest.fixture(scope="module")
def summary() -> dict:
    return json.loads((MODEL_DIR / "summary.json").read_text())


# ----------------------------------------------------------------------------------------------------------------
# The committed model in the three implementations
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def numpy_model():
    return S.load_gpt2_params(MODEL_DIR)


def relative_difference(ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Max |ours - reference| and the same relative to the reference's largest |logit|."""
    diff = float(np.max(np.abs(ours.astype(np.float64) - reference.astype(np.float64))))
    print(f"PARITY max|logit|={np.max(np.abs(reference)):.3g} max abs diff={diff:.2e} "
          f"relative={diff / float(np.max(np.abs(reference))):.2e}")
    return diff, diff / float(np.max(np.abs(reference)))


def test_course_model_loads_as_float32_with_gpt2_vocabulary(numpy_model, summary):
    hparams, params = numpy_model
    config = summary["config"]
    assert type(hparams) is dict and hparams == asdict(HParams.of(config))  # the run's config holds the model's five
    assert hparams["n_vocab"] == 50257  # GPT-2's ids: chapter 01's tokenizer works unchanged
    assert params["wte"].dtype == np.float32 and params["blocks"][0]["mlp"]["c_fc"]["w"].dtype == np.float32
    assert S.count_parameters(params) == summary["n_parameters"]


def test_three_implementations_agree_on_the_course_model(numpy_model):
    transformers = pytest.importorskip("transformers")
    transformers.utils.logging.set_verbosity_error()
    hparams, params = numpy_model
    ids = S.encode(PROMPT)
    numpy_logits = S.gpt2(ids, **params, n_head=hparams["n_head"])  # [n_seq, n_vocab]
    assert numpy_logits.dtype == np.float32 and numpy_logits.shape == (len(ids), 50257)

    ours = S.GPT2.from_params(hparams, params).eval()
    hf = transformers.GPT2LMHeadModel.from_pretrained(MODEL_DIR, attn_implementation="eager").eval()
    assert hf.dtype == torch.float32  # float16 on disk, float32 once loaded (config.json's "dtype")
    with torch.no_grad():
        torch_logits = ours(torch.tensor(ids)).numpy()
        hf_logits = hf(torch.tensor([ids])).logits[0].numpy()
    for label, logits in (("numpy vs HF", numpy_logits), ("torch vs HF", torch_logits)):
        abs_diff, rel_diff = relative_difference(logits, hf_logits)
        assert abs_diff <= 1e-4 and rel_diff <= 1e-5, label
    # ... and they all read it as a trained model: 4.25 nats per token on these unseen lines (uniform: 10.82)
    nll = F.cross_entropy(torch.tensor(hf_logits[:-1]), torch.tensor(ids[1:])).item()
    assert nll < 5.0


def test_greedy_text_is_the_same_in_numpy_and_torch(numpy_model):
    hparams, params = numpy_model
    ids = S.encode("KING.\nMy lords,")
    numpy_new = S.generate(ids, params, hparams["n_head"], 12)
    torch_new = S.GPT2.from_params(hparams, params).eval().generate(ids, 12)
    assert numpy_new == torch_new


# ----------------------------------------------------------------------------------------------------------------
# The committed report, log and sizes
# ----------------------------------------------------------------------------------------------------------------


def test_model_beats_the_baselines(summary):
    assert summary["val_loss_shipped"] < summary["bigram_loss"] < summary["unigram_loss"] < summary["uniform_loss"]
    assert summary["uniform_loss"] == pytest.approx(math.log(50257))
    assert abs(summary["val_loss_shipped"] - summary["val_loss"]) < 0.01  # float16 storage costs < 0.01 nats


def test_report_quotes_the_summary(summary):
    report = (MODEL_DIR / "REPORT.md").read_text()
    for key in ("val_loss_shipped", "unigram_loss", "bigram_loss"):
        assert f"{summary[key]:.3f}" in report, f"REPORT.md does not quote {key} = {summary[key]:.3f}"
    assert f"{summary['n_parameters']:,}" in report
    for prompt, samples in summary["samples"].items():
        assert samples["greedy"].startswith(prompt)


def test_training_log_matches_the_summary(summary):
    with open(MODEL_DIR / "training_log.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "train_loss", "val_loss", "lr", "elapsed_s"]
    train_rows = [r for r in rows if r["train_loss"]]
    assert len(train_rows) == summary["config"]["max_steps"]
    assert [int(r["step"]) for r in train_rows] == list(range(1, summary["config"]["max_steps"] + 1))
    lrs = [float(r["lr"]) for r in train_rows]
    assert max(lrs) == pytest.approx(summary["config"]["max_lr"], rel=1e-5)
    first, last = float(train_rows[0]["train_loss"]), float(train_rows[-1]["train_loss"])
    assert first > 10 and last < first - 4  # from a uniform guess (10.8) to a model that has learnt
    log = T.read_log(MODEL_DIR / "training_log.csv")
    assert np.all(np.diff(log["elapsed_s"]) >= 0)


def test_shipped_files_are_small_and_match_their_checksums(summary):
    total = 0
    for path in MODEL_DIR.iterdir():
        assert path.stat().st_size < MAX_SHIPPED_BYTES, path
        total += path.stat().st_size
    assert total < MAX_SHIPPED_BYTES
    assert T.CORPUS_PATH.stat().st_size < MAX_SHIPPED_BYTES
    for name, digest in summary["sha256"].items():
        assert T.sha256_of(MODEL_DIR / name) == digest, name


# ----------------------------------------------------------------------------------------------------------------
# The loss
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_cross_entropy_matches_torch(scale):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((3, 5, 11)) * scale).astype(np.float32)
    targets = rng.integers(0, 11, size=(3, 5))
    expected = F.cross_entropy(torch.tensor(logits, dtype=torch.float64).reshape(-1, 11),
                               torch.tensor(targets).reshape(-1)).item()
    ours = T.cross_entropy(logits, targets)
    assert math.isfinite(ours)
    assert ours == pytest.approx(expected, rel=1e-6, abs=1e-6)
    torch_loss = T.torch_cross_entropy(torch.tensor(logits, dtype=torch.float64), torch.tensor(targets)).item()
    assert torch_loss == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_of_huge_logits_is_finite():
    logits = np.array([[1000.0, 0.0, -1000.0], [1e30, 1e30, 0.0]])
    assert T.cross_entropy(logits, np.array([0, 2])) == pytest.approx((0.0 + (1e30 + math.log(2))) / 2)
    assert T.cross_entropy(logits[:1], np.array([1])) == pytest.approx(1000.0)


def test_uniform_guess_costs_ln_n_vocab():
    for n_vocab in (2, 11, 50257):
        logits = np.full((4, n_vocab), 3.5, dtype=np.float32)
        assert T.cross_entropy(logits, np.arange(4) % n_vocab) == pytest.approx(math.log(n_vocab), rel=1e-6)
    assert math.log(50257) == pytest.approx(10.8249, abs=1e-4)


def test_cross_entropy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="disagree"):
        T.cross_entropy(np.zeros((2, 3, 5)), np.zeros((3, 2), dtype=int))


# ----------------------------------------------------------------------------------------------------------------
# Batches, schedule, one step, evaluation, dropout
# ----------------------------------------------------------------------------------------------------------------


def test_get_batch_shapes_and_shift():
    tokens = np.arange(1000, dtype=np.uint16)
    x, y = T.get_batch(tokens, 8, 16, np.random.default_rng(0))
    assert x.shape == y.shape == (8, 16) and x.dtype == y.dtype == np.int64
    assert np.array_equal(y[:, :-1], x[:, 1:]) and np.array_equal(y, x + 1)  # y is x one token later
    assert x.max() < 999 and y.max() <= 999  # windows never run off the end
    x2, y2 = T.get_batch(tokens, 8, 16, np.random.default_rng(0))
    assert np.array_equal(x, x2) and np.array_equal(y, y2)  # the rng decides everything
    x3, _ = T.get_batch(tokens, 8, 16, np.random.default_rng(1))
    assert not np.array_equal(x, x3)
    with pytest.raises(ValueError):
        T.get_batch(tokens[:16], 1, 16, np.random.default_rng(0))
    x, y = T.get_batch(tokens[:17], 4, 16, np.random.default_rng(0))  # exactly one window fits
    assert np.array_equal(x[0], np.arange(16)) and np.array_equal(y[0], np.arange(1, 17))


def test_lr_schedule_warmup_then_cosine():
    kw = {"max_lr": 1e-3, "min_lr": 1e-4, "warmup_steps": 10, "max_steps": 110}
    assert T.lr_at(0, **kw) == pytest.approx(1e-4)  # max_lr / warmup_steps: never 0
    assert T.lr_at(9, **kw) == pytest.approx(1e-3)  # the end of the warm-up
    assert T.lr_at(10, **kw) == pytest.approx(1e-3)  # the top of the cosine
    assert T.lr_at(60, **kw) == pytest.approx(5.5e-4)  # half way down: the mean of max and min
    assert T.lr_at(110, **kw) == pytest.approx(1e-4) and T.lr_at(500, **kw) == pytest.approx(1e-4)
    lrs = [T.lr_at(s, **kw) for s in range(111)]
    assert np.all(np.diff(lrs[:10]) > 0) and np.all(np.diff(lrs[10:]) <= 0)


TOY = {"n_vocab": 50, "n_ctx": 16, "n_embd": 32, "n_head": 4, "n_layer": 2}


def toy_model(seed: int = 0):
    torch.manual_seed(seed)
    model = S.GPT2.from_hparams(TOY)
    T.init_weights(model)
    return model


def test_train_step_lowers_the_loss_on_a_repeated_batch():
    model = toy_model()
    optimizer = T.configure_optimizer(model, lr=1e-2, weight_decay=0.1)
    x, y = T.get_batch(np.arange(200) % 50, 4, 16, np.random.default_rng(0))
    losses = [T.train_step(model, optimizer, x, y, clip=1.0) for _ in range(20)]
    assert losses[0] == pytest.approx(math.log(50), abs=0.3)  # an untrained model is close to a uniform guess
    assert losses[-1] < losses[0] - 1.0
    assert all(p.grad is not None for p in model.parameters())


def test_training_is_deterministic():
    """Same seed, same thread count: the same weights, bit for bit (what makes `make course-model` reproducible)."""
    threads = torch.get_num_threads()

    def run():
        T.make_deterministic(seed=7, n_threads=1)
        model = S.GPT2.from_hparams(TOY)
        T.init_weights(model)
        optimizer = T.configure_optimizer(model, lr=1e-2, weight_decay=0.1)
        rng = np.random.default_rng(7)
        for _ in range(3):
            T.train_step(model, optimizer, *T.get_batch(np.arange(300) % 50, 4, 16, rng), clip=1.0)
        return model.state_dict()

    try:
        first, second = run(), run()
    finally:
        torch.use_deterministic_algorithms(False)
        torch.set_num_threads(threads)
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_configure_optimizer_decays_matrices_only():
    model = toy_model()
    decay, no_decay = T.configure_optimizer(model, lr=1e-3, weight_decay=0.1).param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decay["params"]) and all(p.dim() == 1 for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_evaluate_predicts_every_token_once():
    model = toy_model().eval()
    tokens = np.random.default_rng(0).integers(0, 50, size=16 * 3 + 7)  # 3 full windows and a short one
    with torch.no_grad():
        logits = [model(torch.tensor(tokens[s : s + 16][: len(tokens) - 1 - s])).numpy()
                  for s in range(0, len(tokens) - 1, 16)]
    expected = T.cross_entropy(np.concatenate(logits), tokens[1:])
    assert T.evaluate(model, tokens, n_ctx=16, batch_size=2) == pytest.approx(expected, rel=1e-5)
    assert not torch.is_grad_enabled() or all(p.grad is None for p in model.parameters())
    sampled = T.evaluate(model, tokens, n_ctx=16, max_windows=2)
    assert math.isfinite(sampled)


def test_add_dropout_acts_in_training_only_and_comes_off():
    model = toy_model()
    ids = torch.arange(16) % 50
    with torch.no_grad():
        before = model.eval()(ids)
        handles = T.add_dropout(model, 0.5)
        assert len(handles) == 1 + 2 * TOY["n_layer"]
        assert torch.equal(model.eval()(ids), before)  # eval mode: dropout is off
        assert not torch.allclose(model.train()(ids), before)
        for handle in handles:
            handle.remove()
        assert torch.equal(model.train()(ids), before)
    assert T.add_dropout(model, 0.0) == []


def test_compact_ids_map_present_tokens_and_share_the_rest():
    present = T.present_ids(np.array([7, 3, 3, 9, 7], dtype=np.uint16))
    assert present.tolist() == [3, 7, 9]
    assert T.compact_ids(np.array([[3, 9], [4, 7]]), present, n_vocab=12).tolist() == [[0, 2], [3, 1]]


def test_shared_absent_rows_is_the_full_model_with_equal_absent_rows():
    """The compact model's log-probabilities are the full GPT-2's: the same for present tokens, and M times one
    absent token's for the shared row; train_step works on it unchanged."""
    tokens = np.random.default_rng(0).integers(0, 20, size=300) * 2  # even ids only: 20 of TOY's 50 present
    present = T.present_ids(tokens)
    torch.manual_seed(0)
    compact = T.SharedAbsentRows(TOY, present)
    T.init_weights(compact)
    optimizer = T.configure_optimizer(compact, lr=1e-2, weight_decay=0.1)
    batches = T.compact_ids(tokens, present, n_vocab=TOY["n_vocab"])
    for seed in range(3):
        T.train_step(compact, optimizer, *T.get_batch(batches, 4, 16, np.random.default_rng(seed)), clip=1.0)
    full = compact.to_gpt2()
    assert full.hparams == TOY and isinstance(full, S.GPT2)
    assert torch.equal(full.transformer.wte.weight[1], full.transformer.wte.weight[49])  # absent rows are equal
    with torch.no_grad():
        full_logp = torch.log_softmax(full(torch.tensor(tokens[:16])), -1)  # [16, 50]
        compact_logp = torch.log_softmax(compact.eval()(torch.tensor(batches[:16])), -1)  # [16, 21]
    assert torch.allclose(full_logp[:, torch.as_tensor(present)], compact_logp[:, :-1], atol=1e-5)
    assert torch.allclose(full_logp[:, 1] + math.log(50 - 20), compact_logp[:, -1], atol=1e-5)


# ----------------------------------------------------------------------------------------------------------------
# The corpus and the baselines (they need data/shakespeare.tar.xz, which ships with the course)
# ----------------------------------------------------------------------------------------------------------------

needs_corpus = pytest.mark.skipif(not T.CORPUS_PATH.is_file(),
                                  reason=f"{T.CORPUS_PATH} is absent (it ships with the course: see data/README.md)")


@pytest.fixture(scope="module")
def corpus():
    works = T.read_works()
    train, val = T.split_works(works)
    return works, T.tokenize_works(train), T.tokenize_works(val)


@needs_corpus
def test_corpus_is_shakespeare_split_by_work(corpus, summary):
    works, train_tokens, val_tokens = corpus
    assert len(works) == 42 and "hamlet" in works and "sonnets" in works
    assert set(T.VALIDATION_WORKS) <= set(works)
    assert summary["validation_works"] == sorted(T.VALIDATION_WORKS)
    for text in works.values():
        assert "Gutenberg" not in text and "*** START OF" not in text
    assert works["hamlet"].startswith("HAMLET, PRINCE OF DENMARK")
    assert len(train_tokens) == summary["n_train_tokens"] and len(val_tokens) == summary["n_val_tokens"]
    assert train_tokens.dtype == np.uint16
    n_works = len(works) - len(T.VALIDATION_WORKS)
    assert np.sum(train_tokens == S.encode("<|endoftext|>")[0]) == n_works  # one after each work
    assert S.decode(val_tokens[:6]).startswith(T.read_works()[sorted(T.VALIDATION_WORKS)[0]][:10])


@needs_corpus
def test_baselines_reproduce_the_summary(corpus, summary):
    _, train_tokens, val_tokens = corpus
    assert T.unigram_loss(train_tokens, val_tokens) == pytest.approx(summary["unigram_loss"], rel=1e-9)
    assert T.bigram_loss(train_tokens, val_tokens) == pytest.approx(summary["bigram_loss"], rel=1e-9)


def test_bigram_baseline_is_a_distribution():
    """p(w | v) of the Kneser-Ney bigram sums to 1 over w, for a seen and an unseen history."""
    train = np.array([0, 1, 2, 1, 2, 3, 1, 0, 2, 2])
    n_vocab = 6
    for v in (1, 5):  # 5 never occurs
        probs = [math.exp(-T.bigram_loss(train, np.array([v, w]), n_vocab=n_vocab)) for w in range(n_vocab)]
        assert sum(probs) == pytest.approx(1.0)
    probs = [math.exp(-T.unigram_loss(train, np.array([0, w]), n_vocab=n_vocab)) for w in range(n_vocab)]
    assert sum(probs) == pytest.approx(1.0)


def test_strip_gutenberg_keeps_the_text_between_the_markers():
    text = "The Project Gutenberg EBook\n*** START OF THIS PROJECT ***\nHAMLET\nTo be.\n*** END OF THIS ***\nlicence"
    assert T.strip_gutenberg(text) == "HAMLET\nTo be.\n"
    assert T.strip_gutenberg("HAMLET\r\nTo be.\r\n\r\n") == "HAMLET\nTo be.\n"


def test_report_names_the_validation_works():
    report = (MODEL_DIR / "REPORT.md").read_text()
    for name in T.VALIDATION_WORKS:
        assert re.search(name, report), name
