"""Chapter 06 — the transformer block, the whole forward pass, and counting parameters."""

import numpy as np

from .ch01_tokens_and_embeddings import embed
from .ch02_layer_norm import layer_norm
from .ch03_gelu_ffn import ffn
from .ch04_residuals import pre_norm
from .ch05_attention import mha


def transformer_block(x: np.ndarray, mlp: dict, attn: dict, ln_1: dict, ln_2: dict, n_head: int) -> np.ndarray:
    """Pre-norm attention then pre-norm MLP, each with a shortcut.  # [n_seq, n_embd] -> [n_seq, n_embd]"""
    x = pre_norm(x, ln_1, lambda h: mha(h, **attn, n_head=n_head))
    x = pre_norm(x, ln_2, lambda h: ffn(h, **mlp))
    return x


def gpt2(ids, wte: np.ndarray, wpe: np.ndarray, blocks: list, ln_f: dict, n_head: int) -> np.ndarray:
    """GPT-2's forward pass.  # [n_seq] -> [n_seq, n_vocab]"""
    x = embed(ids, wte, wpe)  # [n_seq] -> [n_seq, n_embd]
    for block in blocks:
        x = transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T  # tied unembedding: [n_seq, n_embd] -> [n_seq, n_vocab]


def count_parameters(params) -> int:
    """Number of scalars in a (nested dict/list) parameter tree; the tied wte counts once.  # tree -> int"""
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return int(np.size(params))
