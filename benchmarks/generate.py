"""Greedy generation speed on GPT-2 small shapes: Hugging Face vs our NumPy (with/without KV cache) vs our PyTorch port.

    .venv/bin/python benchmarks/generate.py            # 124M shapes, 8-token prompt, 64 new tokens (a few minutes)
    .venv/bin/python benchmarks/generate.py --quick    # a tiny model, a few seconds: a smoke run

Random weights (float32, batch 1, 2 threads for both NumPy's BLAS and PyTorch); every path generates the same
token ids (checked), with eos disabled so each one produces exactly n_new tokens. Timings are the median of
--runs runs; the uncached NumPy path re-runs the whole sequence for every token and gets --slow-runs runs.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # before NumPy loads its BLAS
os.environ.setdefault("OMP_NUM_THREADS", "2")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from solutions import GPT2, GPT2_SMALL, generate, generate_cached, init_params  # noqa: E402

TINY = {"n_vocab": 1000, "n_ctx": 128, "n_embd": 64, "n_head": 4, "n_layer": 2}


def hf_model(model: GPT2):
    """Hugging Face GPT2LMHeadModel (eager attention) holding the same weights as our PyTorch port."""
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging

    logging.set_verbosity_error()
    hp = model.hparams
    config = GPT2Config(vocab_size=hp["n_vocab"], n_positions=hp["n_ctx"], n_embd=hp["n_embd"],
                        n_head=hp["n_head"], n_layer=hp["n_layer"], bos_token_id=None, eos_token_id=None,
                        pad_token_id=None, attn_implementation="eager")
    hf = GPT2LMHeadModel(config).eval()
    hf.load_state_dict(model.state_dict(), strict=True)  # our state_dict keys are Hugging Face's
    return hf


def timed(fn, runs: int) -> tuple[float, list[int]]:
    """Median wall-clock seconds of `runs` calls (after one warm-up call) and the ids of the last one."""
    out = fn()  # warm-up: first-call allocations, BLAS thread start-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), list(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny model, few runs: a smoke test")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per fast path (median reported)")
    parser.add_argument("--slow-runs", type=int, default=3, help="timed runs for the uncached NumPy path")
    parser.add_argument("--n-new", type=int, default=64)
    parser.add_argument("--n-long", type=int, default=256, help="new tokens for the cache speed-up measurement")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    hparams = TINY if args.quick else GPT2_SMALL
    runs, slow_runs = (2, 1) if args.quick else (args.runs, args.slow_runs)
    n_long = min(args.n_long, 64) if args.quick else args.n_long

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    params = init_params(hparams, seed=0)
    n_head = hparams["n_head"]
    ours = GPT2.from_params(hparams, params).eval()
    hf = hf_model(ours)
    prompt = [int(i) for i in np.random.default_rng(1).integers(0, hparams["n_vocab"], size=8)]
    prompt_t = torch.tensor([prompt])

    def run_hf(n_new):
        with torch.no_grad():
            out = hf.generate(prompt_t, attention_mask=torch.ones_like(prompt_t), do_sample=False,
                              max_new_tokens=n_new, min_new_tokens=n_new, eos_token_id=None, pad_token_id=0)
        return out[0, len(prompt):].tolist()

    paths = {  # name: (function of n_new, runs)
        "Hugging Face `generate` (eager)": (run_hf, runs),
        "NumPy `generate_cached` (KV cache)": (lambda n: generate_cached(prompt, params, n_head, n, eos_id=None), runs),
        "NumPy `generate` (no cache)": (lambda n: generate(prompt, params, n_head, n, eos_id=None), slow_runs),
        "PyTorch `GPT2.generate` (KV cache)": (lambda n: ours.generate(prompt, n, eos_id=None), runs),
    }
    print(f"# GPT-2 generation benchmark — {'tiny (--quick)' if args.quick else '124M'} shapes {hparams}")
    print(f"# float32, batch 1, prompt {len(prompt)} tokens, {args.n_new} new tokens, greedy, "
          f"{args.threads} threads; {platform.processor() or platform.machine()}, numpy {np.__version__}, "
          f"torch {torch.__version__}\n")
    results, reference_ids = {}, None
    for name, (fn, n_runs) in paths.items():
        seconds, ids = timed(lambda fn=fn: fn(args.n_new), n_runs)
        if len(ids) != args.n_new or (reference_ids is not None and ids != reference_ids):
            raise SystemExit(f"{name} generated different ids: {ids[:10]}... vs {reference_ids[:10]}...")
        reference_ids = reference_ids or ids
        results[name] = (args.n_new / seconds, n_runs)
        print(f"  {name}: {args.n_new / seconds:.1f} tok/s (median of {n_runs})", file=sys.stderr)

    hf_speed = next(iter(results.values()))[0]
    print("| implementation | tokens/s | vs HF | runs |")
    print("|---|---:|---:|---:|")
    for name, (speed, n_runs) in results.items():
        print(f"| {name} | {speed:.1f} | {speed / hf_speed:.2f}x | {n_runs} |")
    print(f"\nAll four generated the same {args.n_new} token ids.")

    # The KV cache's speed-up grows with the length: the uncached loop costs O(n^2) forward positions.
    t_cached, ids_cached = timed(lambda: generate_cached(prompt, params, n_head, n_long, eos_id=None), 1)
    start = time.perf_counter()  # no warm-up for this one: it takes minutes and the model is warm by now
    ids_plain = generate(prompt, params, n_head, n_long, eos_id=None)
    t_plain = time.perf_counter() - start
    assert ids_plain == ids_cached, "cached and uncached NumPy generation disagree"
    print(f"\nNumPy, {n_long} new tokens (one run each): with KV cache {n_long / t_cached:.1f} tok/s, "
          f"without {n_long / t_plain:.1f} tok/s -> the cache is {t_plain / t_cached:.1f}x faster.")


if __name__ == "__main__":
    main()
