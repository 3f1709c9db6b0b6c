"""Chapter 01 — tokens and embeddings: byte-level BPE and the embedding lookup."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
RANKS_PATH = DATA_DIR / "r50k_base.tiktoken"
# sha256 of OpenAI's r50k_base.tiktoken, as given by tiktoken_ext/openai_public.py.
RANKS_SHA256 = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
ENDOFTEXT = "<|endoftext|>"
ENDOFTEXT_ID = 50256
N_VOCAB = 50257


@functools.cache
def load_ranks(path: str | os.PathLike = RANKS_PATH) -> dict[bytes, int]:
    """GPT-2's BPE merge ranks {token bytes: rank}, read offline and checked against their sha256."""
    from tiktoken.load import load_tiktoken_bpe

    # An empty TIKTOKEN_CACHE_DIR stops tiktoken from copying the file into a cache directory.
    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = ""
    try:
        return load_tiktoken_bpe(str(path), expected_hash=RANKS_SHA256)
    finally:
        if old is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old


@functools.cache
def gpt2_tokenizer():
    """tiktoken's `gpt2` encoding, built from the ranks in data/ (no network)."""
    import tiktoken
    from tiktoken_ext.openai_public import r50k_pat_str

    return tiktoken.Encoding(
        name="gpt2",
        pat_str=r50k_pat_str,
        mergeable_ranks=load_ranks(),
        special_tokens={ENDOFTEXT: ENDOFTEXT_ID},
        explicit_n_vocab=N_VOCAB,
    )


def bpe_encode_piece(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    """Byte-level BPE on one pre-tokenised piece: its bytes -> its token ids.

    piece: the UTF-8 bytes of one piece (n bytes), e.g. b" embeddings".
    ranks: {token bytes: rank}, e.g. ranks[b" embed"] == 11525.
    Returns a list of at most n ints, the rank of each final part,
    e.g. [11525, 67, 654] for b" embeddings".
    Start with one part per byte. Repeatedly merge the adjacent pair whose
    concatenation has the lowest rank in `ranks`; stop when no adjacent
    pair is in `ranks`. On a tie (the same pair twice, as "aa" in b"aaa"),
    merge the leftmost one. Use only the `ranks` you are given: the check
    also tries small made-up tables.
    Hint: piece[i:i+1] is a one-byte bytes object; piece[i] is an int.
    """
    parts = [piece[i : i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        best_rank, best_i = None, None
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and (best_rank is None or rank < best_rank):
                best_rank, best_i = rank, i
        if best_i is None:
            break
        parts[best_i : best_i + 2] = [parts[best_i] + parts[best_i + 1]]
    return [ranks[part] for part in parts]


def encode(text: str, allowed_special: str | set = "all") -> list[int]:
    """Text -> GPT-2 token ids: the tokenizer's pre-split, then `bpe_encode_piece` on each piece."""
    return gpt2_tokenizer().encode(text, allowed_special=allowed_special)


def decode(ids) -> str:
    """GPT-2 token ids -> text."""
    return gpt2_tokenizer().decode([int(i) for i in ids])


def embed(ids, wte: np.ndarray, wpe: np.ndarray) -> np.ndarray:
    """GPT-2's input: each token's embedding plus its position's embedding.

    ids: [n_seq] token ids (a list or a NumPy array)
    wte: [n_vocab, n_embd]; wpe: [n_ctx, n_embd]
    Returns x: [n_seq, n_embd], the dtype of the tables, with
    x[t] = wte[ids[t]] + wpe[t].
    Raise ValueError before indexing when n_seq > n_ctx (the message must
    name both numbers, e.g. "9 tokens > n_ctx = 8") or when an id is not in
    [0, n_vocab) (the message must name the bad id and n_vocab).
    Hint: n_vocab = wte.shape[0] and n_ctx = wpe.shape[0].
    """
    ids = np.asarray(ids)
    n_vocab, n_ctx = wte.shape[0], wpe.shape[0]
    if ids.ndim != 1:
        raise ValueError(f"ids must be a 1-D sequence of token ids, got shape {ids.shape}")
    if len(ids) > n_ctx:
        raise ValueError(f"sequence of {len(ids)} tokens is longer than the context n_ctx={n_ctx}")
    bad = ids[(ids < 0) | (ids >= n_vocab)]
    if len(bad):
        raise ValueError(f"token id {bad[0]} is out of range: ids must lie in [0, n_vocab={n_vocab})")
    return wte[ids] + wpe[: len(ids)]
