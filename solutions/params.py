"""GPT-2 hyper-parameters and randomly initialised parameter trees (for tests, demos and benchmarks)."""

from __future__ import annotations

import numpy as np

GPT2_SMALL = {"n_vocab": 50257, "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12}


def init_params(hparams: dict, seed: int = 0, dtype=np.float32, std: float = 0.02) -> dict:
    """Random GPT-2 parameters with the checkpoint's names and shapes (normal(0, std) weights, like GPT-2's init).

    hparams: {n_vocab, n_ctx, n_embd, n_head, n_layer}  # -> {wte, wpe, blocks, ln_f}
    """
    rng = np.random.default_rng(seed)
    n_vocab, n_ctx, n_embd, n_layer = (hparams[k] for k in ("n_vocab", "n_ctx", "n_embd", "n_layer"))
    if n_embd % hparams["n_head"]:
        raise ValueError(f"n_embd={n_embd} is not divisible by n_head={hparams['n_head']}")

    def normal(*shape):
        return (rng.standard_normal(shape) * std).astype(dtype)

    def ln():
        return {"g": (1 + normal(n_embd)).astype(dtype), "b": normal(n_embd)}

    def lin(n_in, n_out):
        return {"w": normal(n_in, n_out), "b": normal(n_out)}

    blocks = [
        {
            "ln_1": ln(),
            "attn": {"c_attn": lin(n_embd, 3 * n_embd), "c_proj": lin(n_embd, n_embd)},
            "ln_2": ln(),
            "mlp": {"c_fc": lin(n_embd, 4 * n_embd), "c_proj": lin(4 * n_embd, n_embd)},
        }
        for _ in range(n_layer)
    ]
    return {"wte": normal(n_vocab, n_embd), "wpe": normal(n_ctx, n_embd), "blocks": blocks, "ln_f": ln()}
