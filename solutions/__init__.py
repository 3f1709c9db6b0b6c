"""The reference implementation of "GPT-2 from scratch": one module per chapter, every exercise by its name.

    from solutions import layer_norm, gpt2, generate

Names are imported on first use, so `from solutions import layer_norm` does not pay for importing PyTorch.
"""

import importlib

_MODULES = {
    "ch01_tokens_and_embeddings": ["bpe_encode_piece", "decode", "embed", "encode", "gpt2_tokenizer", "load_ranks"],
    "ch02_layer_norm": ["layer_norm"],
    "ch03_gelu_ffn": ["ffn", "gelu", "linear"],
    "ch04_residuals": ["DeepMLP", "layer_gradients", "pre_norm", "residual"],
    "ch05_attention": ["attention", "causal_mask", "merge_heads", "mha", "softmax", "split_heads"],
    "ch06_transformer_block": ["count_parameters", "gpt2", "transformer_block"],
    "ch07_gpt2": ["GPT2", "load_gpt2_params", "save_gpt2_params"],
    "ch08_decoding": ["apply_temperature", "generate", "generate_cached", "gpt2_cached", "greedy", "sample_next",
                      "top_k_filter", "top_p_filter"],
    "ch09_training": ["course_model_dir", "cross_entropy", "get_batch", "gpt2_generate", "lr_at", "read_log",
                      "read_works", "split_works", "tokenize_works", "train_step"],
    "params": ["GPT2_SMALL", "HParams", "init_params"],
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'solutions' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
