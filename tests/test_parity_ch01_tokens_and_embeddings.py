"""Chapter 01 against an independent oracle: the reference byte-level BPE (`solutions.bpe_encode_piece`, `encode`,
`decode`) gives exactly tiktoken's GPT-2 ids, on a corpus of awkward text (contractions, whitespace runs, accents,
CJK and right-to-left scripts, emoji sequences, combining marks, <|endoftext|>) and on random Unicode."""

from __future__ import annotations

import numpy as np
import pytest

import solutions as S

CORPUS = [
    "Hello, world! GPT-2 builds text one token at a time.",
    "I'm sure you're right; they'll say we've done it, he'd agree, it's DON'T and Can'T.",
    "  leading spaces,   runs   of spaces,\ttabs\t\tand\nnew\n\n\nlines \r\n trailing   ",
    "naïve café résumé Ünïcödé façade — “quotes” and ‘apostrophes’ … ¿qué? ¡sí!",
    "東京は日本の首都です。 Привет, мир! مرحبا بالعالم שלום עולם नमस्ते दुनिया",
    "emoji 😀🤖🎉 family 👩‍👩‍👧‍👦 flag 🇫🇷 skin 👍🏽 keycap 1️⃣",
    "numbers 1234567890 3.14159 -42 1e-10 $100,000.00 50% 0x1F",
    "code: def f(x):\n    return x**2  # comment\n\tif a != b: print(a[0])",
    "e\u0301 (combining acute), \u00a0non-breaking\u00a0space, zero\u200bwidth, \ufeffBOM",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!!!!!!!!!!!!!!!!!!!!!!!!????",
    "first document<|endoftext|>second document <|endoftext|> third",
    "",
    " ",
    "\n",
]


def random_unicode_text(seed: int, n: int = 200) -> str:
    rng = np.random.default_rng(seed)
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x4E00, 0x4FFF), (0x1F300, 0x1F64F)]
    chars = []
    for _ in range(n):
        lo, hi = ranges[rng.integers(len(ranges))]
        chars.append(chr(rng.integers(lo, hi + 1)) if rng.random() > 0.15 else " \n\t"[rng.integers(3)])
    return "".join(chars)


def our_encode(text: str) -> list[int]:
    """Pre-split with GPT-2's regex, bpe_encode_piece on every piece; <|endoftext|> as its special id."""
    import regex
    from tiktoken_ext.openai_public import r50k_pat_str

    ranks = S.load_ranks()
    ids = []
    for i, chunk in enumerate(text.split("<|endoftext|>")):
        if i:
            ids.append(S.ENDOFTEXT_ID)
        for piece in regex.findall(r50k_pat_str, chunk):
            ids += S.bpe_encode_piece(piece.encode("utf-8"), ranks)
    return ids


@pytest.mark.parametrize("text", CORPUS + [random_unicode_text(seed) for seed in range(3)])
def test_bpe_matches_tiktoken(text):
    tiktoken_gpt2 = S.gpt2_tokenizer()
    expected = tiktoken_gpt2.encode(text, allowed_special="all")
    assert our_encode(text) == expected
    assert S.encode(text) == expected
    assert S.decode(expected) == text
    if "<|endoftext|>" not in text:
        assert our_encode(text) == tiktoken_gpt2.encode_ordinary(text)
