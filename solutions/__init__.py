"""The reference implementation of "GPT-2 from scratch": one module per chapter, every exercise by its name.

    from solutions import layer_norm, gpt2, generate
"""

from .ch01_tokens import bpe_encode_piece, decode, embed, encode, gpt2_tokenizer, load_ranks
from .ch02_layer_norm import layer_norm
from .ch03_ffn import ffn, gelu, linear
from .ch04_residuals import DeepMLP, layer_gradients, pre_norm, residual
from .ch05_attention import attention, causal_mask, merge_heads, mha, softmax, split_heads
from .ch06_block import count_parameters, gpt2, transformer_block
from .ch07_gpt2 import GPT2, load_gpt2_params, save_gpt2_params
from .ch08_decoding import (
    apply_temperature,
    generate,
    generate_cached,
    gpt2_cached,
    greedy,
    sample_next,
    top_k_filter,
    top_p_filter,
)
from .params import GPT2_SMALL, init_params

__all__ = [
    "GPT2", "GPT2_SMALL", "DeepMLP", "apply_temperature", "attention", "bpe_encode_piece", "causal_mask",
    "count_parameters", "decode", "embed", "encode", "ffn", "gelu", "generate", "generate_cached", "gpt2",
    "gpt2_cached", "gpt2_tokenizer", "greedy", "init_params", "layer_gradients", "layer_norm", "linear",
    "load_gpt2_params", "load_ranks", "merge_heads", "mha", "pre_norm", "residual", "sample_next",
    "save_gpt2_params", "softmax", "split_heads", "top_k_filter", "top_p_filter", "transformer_block",
]
