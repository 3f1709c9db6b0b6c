"""Greedy generation speed on GPT-2 small shapes: Hugging Face vs our NumPy (with/without KV cache) vs our PyTorch port.

    .venv/bin/python benchmarks/generate.py            # 124M shapes, 8-token prompt, 64 new tokens (a few minutes)
    .venv/bin/python benchmarks/generate.py --quick    # a tiny model, a few seconds: a smoke run

Random weights (float32, batch 1, 2 threads for both NumPy's BLAS and PyTorch); every path generates the same
token ids (checked), with eos disabled so each one produces exactly n_new tokens. Timings are the median of
--runs runs; the uncached NumPy path re-runs the whole sequence for every token and gets --slow-runs runs.
"""

from __future__ import annotations

import os

THREADS = 2
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))  # before NumPy loads its BLAS

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


def measure(paths: dict, n_new: int) -> dict:
    """Median tokens/s of every path, timed in interleaved rounds so that load from other processes hits all
    paths alike. paths: {name: (fn(n_new) -> ids, runs)} -> {name: tokens/s}. Checks that all ids agree."""
    reference = None
    for name, (fn, _) in paths.items():  # warm-up (first-call allocations, thread start-up) and the ids check
        ids = list(fn(n_new))
        if len(ids) != n_new or ids != (reference or ids):
            raise SystemExit(f"{name} generated different ids: {ids[:8]}... vs {reference[:8]}...")
        reference = ids
    times = {name: [] for name in paths}
    for round_ in range(max(runs for _, runs in paths.values())):
        for name, (fn, runs) in paths.items():
            if round_ < runs:
                start = time.perf_counter()
                fn(n_new)
                times[name].append(time.perf_counter() - start)
    return {name: n_new / statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny model, few runs: a smoke test")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per fast path (median reported)")
    parser.add_argument("--slow-runs", type=int, default=3, help="timed runs for the uncached NumPy path")
    parser.add_argument("--n-new", type=int, default=64)
    parser.add_argument("--n-long", type=int, default=256, help="new tokens for the cache speed-up measurement")
    args = parser.parse_args()
    hparams = TINY if args.quick else GPT2_SMALL
    runs, slow_runs = (2, 1) if args.quick else (args.runs, args.slow_runs)
    n_long = min(args.n_long, 64) if args.quick else args.n_long

    torch.set_num_threads(THREADS)
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
          f"{THREADS} threads; {platform.processor() or platform.machine()}, numpy {np.__version__}, "
          f"torch {torch.__version__}\n")
    speeds = measure(paths, args.n_new)
    hf_speed = next(iter(speeds.values()))
    print("| implementation | tokens/s | vs HF | runs |")
    print("|---|---:|---:|---:|")
    for name, speed in speeds.items():
        print(f"| {name} | {speed:.1f} | {speed / hf_speed:.2f}x | {paths[name][1]} |")
    print(f"\nAll four generated the same {args.n_new} token ids.")

    # The KV cache's speed-up grows with the length: the uncached loop costs O(n^2) forward positions.
    # One run each (the uncached one takes minutes); both functions are warm from the table above.
    start = time.perf_counter()
    cached_ids = generate_cached(prompt, params, n_head, n_long, eos_id=None)
    t_cached = time.perf_counter() - start
    start = time.perf_counter()
    plain_ids = generate(prompt, params, n_head, n_long, eos_id=None)
    t_plain = time.perf_counter() - start
    if cached_ids != plain_ids:
        raise SystemExit(f"cached and uncached NumPy generation disagree at {n_long} new tokens")
    print(f"\nNumPy, {n_long} new tokens (one run each): with the KV cache {n_long / t_cached:.1f} tok/s, "
          f"without {n_long / t_plain:.1f} tok/s -> the cache is {t_plain / t_cached:.1f}x faster.")

if __name__ == "__main__":
    main()
