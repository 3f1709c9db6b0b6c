"""Chapter 06 — the transformer block, the whole forward pass, and counting parameters."""

import numpy as np

from .ch01_tokens_and_embeddings import embed
from .ch02_layer_norm import layer_norm
from .ch03_gelu_ffn import ffn
from .ch04_residuals import pre_norm
from .ch05_attention import mha


def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    """GPT-2's block: pre-norm attention, then a pre-norm MLP, each added to x by a shortcut.

    x: [n_seq, n_embd]; attn = {"c_attn", "c_proj"} and mlp = {"c_fc", "c_proj"} hold the sub-layers' weights;
    ln_1, ln_2 = {"g", "b"}; returns [n_seq, n_embd], same dtype as x.
    Hint: pre_norm(x, ln, fn) from chapter 04 computes x + fn(layer_norm(x, **ln)); mha and ffn take the weight
    dicts as keyword arguments, e.g. mha(h, **attn, n_head=n_head).
    """
    x = pre_norm(x, ln_1, lambda h: mha(h, **attn, n_head=n_head))
    x = pre_norm(x, ln_2, lambda h: ffn(h, **mlp))
    return x


def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    """GPT-2's forward pass: embed the ids, run every block in order, apply the final LayerNorm ln_f, then score
    every token of the vocabulary with the tied token embedding matrix.

    ids: [n_seq] token ids; wte: [n_vocab, n_embd]; wpe: [n_ctx, n_embd]; blocks: a list of
    {"ln_1", "attn", "ln_2", "mlp"}; ln_f = {"g", "b"}; returns logits [n_seq, n_vocab], same dtype as wte.
    Raises ValueError when n_seq > n_ctx, with a message that names both numbers (embed from chapter 01 does).
    Hint: a block's keys are transformer_block's argument names, so transformer_block(x, **block, n_head=n_head).
    """
    x = embed(ids, wte, wpe)  # [n_seq] -> [n_seq, n_embd]
    for block in blocks:
        x = transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T  # tied unembedding: [n_seq, n_embd] -> [n_seq, n_vocab]


def count_parameters(params):
    """The number of parameters (scalars) in a parameter tree: nested dicts and lists whose leaves are arrays.

    params: a dict, a list or a NumPy array, e.g. the {wte, wpe, blocks, ln_f} tree; returns an int.
    Hint: a function that calls itself on every value of a dict and on every item of a list reaches the arrays
    at any depth.
    """
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return int(np.size(params))
