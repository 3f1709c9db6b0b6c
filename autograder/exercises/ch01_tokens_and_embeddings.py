"""Chapter 01 — bpe_encode_piece and embed: cases and known mistakes.

bpe_encode_piece is judged against tiktoken (the oracle) on pieces of a varied corpus split with GPT-2's own
pre-tokenisation regex. The probe loads the 50k BPE ranks in the learner's process (`solutions.load_ranks()`), so
a case ships only its pieces; it calls the learner's function once per piece and records each piece's ids, or the
error it raised, as plain data.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

import solutions

from ..engine import NOT_IMPLEMENTED, Case, Exercise, Mistake, Mutant, register, register_mutants
from ..probes import encode_pieces

# --------------------------------------------------------------------------------------------------------------
# bpe_encode_piece
# --------------------------------------------------------------------------------------------------------------
# Each group of text becomes one case: its pieces (after GPT-2's regex split) are encoded one by one. Visible cases
# use all the pieces of the group's text; hidden cases draw pieces from a larger pool (the text, more text, and
# words generated from the seed).
ASCII_WORDS = """\
The quick brown fox jumps over the lazy dog. Byte pair encoding builds a vocabulary of tokens from the bytes
of a training corpus: embeddings, tokenization, unbelievable, strawberry, newest, lower, learning, merges.
A banana in Mississippi; hahaha, bookkeeper, committee, coffee, aardvark, assesses, Tennessee, referee.
Antidisestablishmentarianism and pneumonoultramicroscopicsilicovolcanoconiosis are long words. GPT transformer
ATTENTION Attention attention aTtEnTiOn zzzzzz xylophone quizzically rhythm sphinx onomatopoeia"""
ASCII_MORE = """\
Language models read text as a sequence of integers, and every integer picks one row of a large matrix of
learned vectors. The merges were learned once, from forty gigabytes of web pages, and are never changed
afterwards. Whoever tokenizes the same text with the same merges gets the same ids, on any machine.
Positional information is added to every token so that the model can tell the first word from the last.
Parallel parallelogram successfully occurrence mississippian nonsense possessiveness shhhhh Ooooh mmmmmmm
BANANA Cocoa cuckoo dodo froufrou hubbub murmur papaya pawpaw tartar tutu voodoo yoyo agogo bonbon"""
REPEATS = ("banana", "Mississippi", "hahaha", "bookkeeper", "Tennessee", "assesses", "murmur", "papaya", "tutu",
           "cuckoo", "froufrou", "voodoo", "bonbon", "pawpaw", "yoyo", "dodo", "hubbub", "tartar", "agogo")
CONTRACTIONS = """\
I'm sure it's fine: don't worry, we've checked, they'll see, she'd agree and you're right. Isn't it? It's
the cat's toy -- "quoted", 'single', (brackets) [square] {curly} <angle> ... !!! ??? ?! ;-) :) @user #tag $5 %
AREN'T YOU'LL O'Neill rock'n'roll ''' ``` ~~~ *** --- ___ === +++ /// \\\\ ||| &&& ^^^"""
CONTRACTIONS_MORE = """\
We'd've gone if they'd asked. Y'all can't say it wasn't fun; ma'am, that's the doctor's and the doctors' room.
"Yes!" (no?) [maybe...] {ok}; <tag/> -> => <= != == === !== ?? ** // %% @@ ## $$ && || ;; :: ,, .."""
NUMBERS = """\
In 2019 GPT-2 had 1.5 billion parameters; 124M for the small one. 50257 tokens, 1024 positions, 768 features.
Pi is 3.14159265358979, e is 2.718281828, and 1,000,000 is a million. 007 0 00 000 1e-5 0x1F -42 +7 99.9%
Call 555-0199 on 2026-11-22 at 10:30. 12345678901234567890 is long; ²³ ½ ¾ are digits too, and so is ٣."""
NUMBERS_MORE = """\
Version 3.11.7 was released in 2023; 1024*768=786432; 50257*768=38597376; 4 8 15 16 23 42; 1/3=0.3333333;
Invoice #00042 total 1,234.56 EUR, 99 bottles, 101 dalmatians, 1984, 2001, 3000000000, 0.000001, 6.022e23"""
WHITESPACE = "  two spaces,   three,\tone tab,\t\ttwo tabs,\n\nblank line,\n    indented\n\n\n   \t  \n end  "
WHITESPACE_RUNS = (" ", "  ", "   ", "    ", "        ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", " \n", "\n    ",
                   "\r\n", "\u00a0", "\u3000")
CODE = """\
def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }  // dot product
{"n_vocab": 50257, "n_ctx": 1024, "url": "https://example.com/path?q=1&lang=en"}
SELECT name, COUNT(*) FROM users WHERE id >= 10 GROUP BY name;  -- sql
<div class="token">Hello</div> $ git commit -m "fix: off-by-one" && echo $HOME"""
CODE_MORE = """\
class Tokenizer:
    def __init__(self, ranks: dict[bytes, int]) -> None:
        self.ranks = ranks  # {token bytes: rank}
        self._cache = {}

x = [i ** 2 for i in range(10) if i % 2 == 0]; y = {k: v for k, v in zip("abc", (1, 2, 3))}
if (ptr != NULL && *ptr == '\\0') { return -1; } else { ptr->next = NULL; }
#include <stdio.h>
fn main() { let v: Vec<u32> = (0..8).map(|i| i << 2).collect(); println!("{:?}", v); }"""
UNICODE = """\
Café, naïve, résumé, coöperate, Straße, Ærøskøbing, Łódź, İstanbul, señor, façade, e\u0301 (e + accent).
Привет, мир! Καλημέρα κόσμε. שלום עולם. مرحبا بالعالم. नमस्ते दुनिया. こんにちは世界、日本語のテキスト。
你好，世界。안녕하세요 세계. Xin chào thế giới. ∑ ∞ ≠ ≤ ≥ √ ∫ π ∂ ∇ ⊗ → ⇒ ∀ ∃ ∈ ℝ ℕ ™ © ® § ¶ † € £ ¥ ₿"""
UNICODE_MORE = """\
Größenwahn Übermäßig Ölçü Çağlayan Ñandú Åsa Żółć Ďábel Ťava Ľudia Ōsaka Ūnion Ğ ſ ß ﬁ ﬂ Ǆ ǅ
Ελληνικά Ωμέγα Русский Українська Български Қазақша Ἀθῆναι עִבְרִית العربية فارسی اردو हिन्दी বাংলা தமிழ் ไทย
中文字符 漢字 汉字 ひらがな カタカナ 한국어 ᄀᄂᄃ ⺀ 𠀀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐁𝐨𝐥𝐝 ℌ𝔢𝔩𝔩𝔬 Ⅻ ⅻ ① ② ③"""
EMOJI = "Emoji: 🤖 🚀🚀 😀😃😄 👍🏽 ❤️ 🇬🇧 🇯🇵 👨‍👩‍👧‍👦 🧑🏻‍💻 ☕ ✨ 🎉 🦄 #️⃣ 1️⃣ and text🙂mixed 🐍py"
EMOJI_MORE = "🌍🌎🌏 🍕🍔🍟 🐶🐱🐭 💯 🔥🔥🔥 🤔 🙈🙉🙊 🏳️‍🌈 👩🏾‍🔬 🧬 🪐 🫠 🥲 ⚡ ☀️ ⛄ ♻️ ✅ ❌ 🆗 🅰️ ⬆️ ↩️ 🀄 🃏"

# Code points for generated "words" in hidden cases: (first, last) inclusive ranges of letters and symbols.
SCRIPTS = [(0x00C0, 0x00FF), (0x0100, 0x017F), (0x0391, 0x03C9), (0x0410, 0x044F), (0x05D0, 0x05EA),
           (0x0627, 0x064A), (0x0905, 0x0939), (0x3041, 0x3096), (0x30A1, 0x30FA), (0x4E00, 0x9FFF),
           (0xAC00, 0xD7A3), (0x2200, 0x22FF)]
EMOJI_RANGES = [(0x1F300, 0x1F5FF), (0x1F600, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F900, 0x1F9FF), (0x2600, 0x26FF)]


def split(text: str) -> list[bytes]:
    """GPT-2's pre-tokenisation: text -> the UTF-8 bytes of each piece, in order."""
    import regex
    from tiktoken_ext.openai_public import r50k_pat_str

    return [piece.encode("utf-8") for piece in regex.findall(r50k_pat_str, text)]


def _unique(pieces) -> list[bytes]:
    return list(dict.fromkeys(pieces))


def _draw(rng: np.random.Generator, pool: list[bytes], k: int) -> list[bytes]:
    pool = _unique(pool)
    return [pool[i] for i in rng.choice(len(pool), size=min(k, len(pool)), replace=False)]


def _word(rng: np.random.Generator, ranges, n: int) -> str:
    chars = []
    for _ in range(n):
        lo, hi = ranges[int(rng.integers(len(ranges)))]
        chars.append(chr(int(rng.integers(lo, hi + 1))))
    return "".join(chars)


def _generated_unicode(rng: np.random.Generator, k: int) -> str:
    words = []
    for _ in range(k):
        script = SCRIPTS[int(rng.integers(len(SCRIPTS)))]
        words.append(_word(rng, [script], int(rng.integers(1, 6))))
    return " ".join(words)


def _generated_numbers(rng: np.random.Generator, k: int) -> str:
    return " ".join(str(int(rng.integers(0, 10 ** int(rng.integers(1, 16))))).zfill(int(rng.integers(1, 4)))
                    for _ in range(k))


def _generated_whitespace(rng: np.random.Generator, k: int) -> list[bytes]:
    runs = ["".join(rng.choice([" ", " ", "\t", "\n"], size=int(rng.integers(1, 12)))) for _ in range(k)]
    return [r.encode() for r in runs] + [r.encode() for r in rng.choice(WHITESPACE_RUNS, size=4)]


def _stable(pieces: list[bytes]) -> list[bytes]:
    """Keep the pieces that GPT-2's regex splits into themselves, so tiktoken's encode_ordinary of the piece is
    exactly BPE on the piece's bytes (every piece of a regex split is; generated whitespace runs may not be)."""
    return [p for p in pieces if split(p.decode("utf-8")) == [p]]


def bpe_groups(rng: np.random.Generator, hidden: bool) -> list[tuple[str, list[bytes], str | None]]:
    """(label, pieces, hint) per case, in the order the learner sees them."""
    if not hidden:
        groups = [
            ("English words, with and without a leading space", split(ASCII_WORDS)),
            ("contractions and punctuation ('s, 'll, !!!, ...)", split(CONTRACTIONS)),
            ("numbers", split(NUMBERS)),
            ("whitespace runs: spaces, tabs, newlines", split(WHITESPACE) + [r.encode() for r in WHITESPACE_RUNS]),
            ("pieces of source code (Python, C, JSON, SQL, HTML)", split(CODE)),
            ("accented letters and other scripts (2- and 3-byte UTF-8)", split(UNICODE)),
            ("emoji (4-byte UTF-8, skin tones, flags, joined sequences)", split(EMOJI)),
        ]
    else:
        repeats = [f"{' ' * int(rng.integers(2))}{w}".encode() for w in rng.choice(REPEATS, size=3, replace=False)]
        groups = [
            ("English words, with and without a leading space",
             _draw(rng, split(ASCII_WORDS + "\n" + ASCII_MORE), 24) + repeats),
            ("contractions and punctuation", _draw(rng, split(CONTRACTIONS + "\n" + CONTRACTIONS_MORE), 24)),
            ("numbers", _draw(rng, split(NUMBERS + "\n" + NUMBERS_MORE + "\n" + _generated_numbers(rng, 12)), 24)),
            ("whitespace runs", _stable(_generated_whitespace(rng, 10))),
            ("pieces of source code", _draw(rng, split(CODE + "\n" + CODE_MORE), 30)),
            ("accented letters and other scripts",
             _draw(rng, split(UNICODE + "\n" + UNICODE_MORE + "\n" + _generated_unicode(rng, 12)), 30)),
            ("emoji", _draw(rng, split(EMOJI + " " + EMOJI_MORE + " "
                                       + " ".join(_word(rng, EMOJI_RANGES, int(rng.integers(1, 4)))
                                                  for _ in range(8))), 24)),
        ]
    return [(label, _unique(pieces)) for label, pieces in groups]


def _same(got, want) -> bool:
    if isinstance(got, dict) and isinstance(want, dict):  # two errors: the same kind of error is the same outcome
        return (got.get("raised"), got.get("key")) == (want.get("raised"), want.get("key"))
    return got == want


def _show(outcome, table: dict | None = None) -> str:
    """An outcome for the learner: ids with the tokens they stand for (in `table`, {id: bytes}, else GPT-2's)."""
    if isinstance(outcome, dict):
        where = f" (at {outcome['where']})" if outcome.get("where") else ""
        return f"your function raised {outcome.get('raised')}: {outcome.get('message')}{where}"
    if isinstance(outcome, list):
        shown = f"[{', '.join(str(i) for i in outcome)}]"
        if table is None:
            enc = solutions.gpt2_tokenizer()
            table = {i: enc.decode_single_token_bytes(i) for i in outcome
                     if isinstance(i, int) and 0 <= i < enc.n_vocab}
        if all(isinstance(i, int) and i in table for i in outcome):
            shown += "  = " + " | ".join(_token(table[i]) for i in outcome)
        return shown
    return str(outcome)


def _token(raw: bytes) -> str:
    """A token as text, or as bytes when it is only a fragment of a character."""
    try:
        return repr(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return repr(raw)


def compare_pieces(got, want, case) -> str | None:
    """None when every piece's outcome matches, else the first piece that differs (and how many do)."""
    pieces = case.args[0]
    if not isinstance(got, list) or len(got) != len(want):
        return f"expected one result per piece ({len(want)}), got {str(got)[:100]}"
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if not _same(g, w)]
    if not bad:
        return None
    i = bad[0]
    text = repr(pieces[i].decode("utf-8", "replace"))
    if not pieces[i].isascii():
        text += f" = bytes {pieces[i]!r}"
    table = {rank: token for token, rank in case.args[1].items()} if len(case.args) > 1 else None
    return (f"{len(bad)} of {len(pieces)} pieces differ; the first is {text}\n"
            f"expected {_show(want[i], table)}\ngot      {_show(got[i], table)}")


def tiktoken_encode_piece(piece: bytes, ranks=None) -> list[int]:
    """The oracle: tiktoken's own encoding of the piece (one token when the piece is in the vocabulary)."""
    enc = solutions.gpt2_tokenizer()
    try:
        return [enc.encode_single_token(piece)]
    except KeyError:
        return enc.encode_ordinary(piece.decode("utf-8"))


def educational_bpe(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    """The oracle of the made-up tables: tiktoken's own educational BPE (tiktoken/_educational.py)."""
    from tiktoken._educational import bpe_encode

    return bpe_encode(ranks, piece, visualise=None)


# A small made-up rank table, written with four letters a, b, c, d (hidden cases draw other letters and other rank
# values, same order). Its merges and pieces are chosen so that every known mistake gives its own output:
#   b"aaa", b"aaaaa"  the pair "aa" occurs twice: a tie, the leftmost pair merges first  -> [aa, a], [aaaa, a]
#   b"abc"            "bc" ranks below "ab": lowest rank first, not leftmost, not the longest prefix -> [a, bc]
#   b"abcd"           only bc -> bcd -> abcd reaches the whole piece; merging "ab" first blocks it
#   b"aabab"          "ab" is the most frequent pair, but "aa" ranks lower
#   b"dab", b"dcba"   unmerged single letters: their ids are their ranks, not their byte values
SYNTHETIC_MERGES = ("aa", "bc", "bcd", "ab", "aaaa", "abcd", "da")
SYNTHETIC_PIECES = ("abc", "abcd", "aaa", "aaaaa", "aabab", "dab", "cab", "dcba", "bcbc", "aa")


def synthetic_table(rng: np.random.Generator, hidden: bool) -> tuple[dict[bytes, int], list[bytes]]:
    """A made-up rank table (singles first, then the merges in order) and the pieces to encode with it."""
    letters, singles = "abcd", [3, 1, 0, 2]  # the ranks of a, b, c, d
    gaps = [1] * len(SYNTHETIC_MERGES)
    if hidden:
        letters = "".join(rng.choice(list("efghijklmnopqrstuvwxyz"), size=4, replace=False))
        singles = [int(r) for r in rng.permutation(4)]
        gaps = [int(g) for g in rng.integers(1, 40, size=len(SYNTHETIC_MERGES))]
    spell = str.maketrans("abcd", letters)
    ranks = {letters[i].encode(): singles[i] for i in range(4)}
    rank = 3
    for merge, gap in zip(SYNTHETIC_MERGES, gaps):
        rank += gap
        ranks[merge.translate(spell).encode()] = rank
    pieces = [p.translate(spell).encode() for p in SYNTHETIC_PIECES]
    if hidden:
        pieces += [bytes(rng.choice(list(letters.encode()), size=int(rng.integers(2, 9)))) for _ in range(6)]
    return ranks, _unique(pieces)


def make_bpe_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    ranks, pieces = synthetic_table(rng, hidden)
    made_up = Case("a small made-up rank table, not GPT-2's (ties merge the leftmost pair): "
                   + ", ".join(f"{t.decode()}={r}" for t, r in ranks.items()),
                   (tuple(pieces), ranks), probe=encode_pieces, compare=compare_pieces, oracle=educational_bpe)
    return [made_up] + [Case(label, (tuple(pieces),), probe=encode_pieces, compare=compare_pieces,
                             oracle=tiktoken_encode_piece) for label, pieces in bpe_groups(rng, hidden)]


# Known mistakes, most specific first.
def _parts(piece: bytes) -> list[bytes]:
    return [piece[i : i + 1] for i in range(len(piece))]


def _merge_at(parts: list[bytes], i: int) -> list[bytes]:
    return parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2 :]


def _pair_ranks(parts, ranks) -> list[tuple[int, int]]:
    """(rank, position) of every adjacent pair that is in the vocabulary."""
    pairs = [(ranks.get(parts[i] + parts[i + 1]), i) for i in range(len(parts) - 1)]
    return [(r, i) for r, i in pairs if r is not None]


def _returns_bytes(piece, ranks):
    return _lowest_rank_parts(piece, ranks)


def _lowest_rank_parts(parts, ranks):
    parts = _parts(parts) if isinstance(parts, bytes) else parts
    while candidates := _pair_ranks(parts, ranks):
        parts = _merge_at(parts, min(candidates)[1])
    return parts


def _ints(piece, ranks):
    raise KeyError(piece[0])  # iterating over bytes gives ints: no pair is ever found, then ranks[int] fails


def _str_keys(piece, ranks):
    raise KeyError(piece.decode("utf-8")[0])  # str keys are never in ranks: ranks[str] fails


def _characters(piece, ranks):
    parts = _lowest_rank_parts([ch.encode("utf-8") for ch in piece.decode("utf-8")], ranks)
    return [ranks[p] for p in parts]


def _no_merges(piece, ranks):
    return [ranks[p] for p in _parts(piece)]


def _one_merge(piece, ranks):
    parts = _parts(piece)
    if candidates := _pair_ranks(parts, ranks):
        parts = _merge_at(parts, min(candidates)[1])
    return [ranks[p] for p in parts]


def _stops_at_position_0(piece, ranks):
    parts = _parts(piece)
    while (candidates := _pair_ranks(parts, ranks)) and min(candidates)[1] != 0:
        parts = _merge_at(parts, min(candidates)[1])
    return [ranks[p] for p in parts]


def _left_to_right(piece, ranks):
    parts = _parts(piece)
    while candidates := _pair_ranks(parts, ranks):
        parts = _merge_at(parts, min(i for _, i in candidates))
    return [ranks[p] for p in parts]


def _highest_rank(piece, ranks):
    parts = _parts(piece)
    while candidates := _pair_ranks(parts, ranks):
        parts = _merge_at(parts, max(candidates)[1])
    return [ranks[p] for p in parts]


def _most_frequent(piece, ranks):
    """Merge the most frequent adjacent pair (the first seen on a tie), all its occurrences at once."""
    parts = _parts(piece)
    while True:
        counts = Counter(pair for pair in zip(parts, parts[1:]) if pair[0] + pair[1] in ranks)
        if not counts:
            return [ranks[p] for p in parts]
        best = counts.most_common(1)[0][0]
        merged, i = [], 0
        while i < len(parts):
            if i + 1 < len(parts) and (parts[i], parts[i + 1]) == best:
                merged.append(parts[i] + parts[i + 1])
                i += 2
            else:
                merged.append(parts[i])
                i += 1
        parts = merged


def _ignores_ranks(piece, ranks):
    return tiktoken_encode_piece(piece)  # GPT-2's own table, whatever `ranks` says


def _byte_values(piece, ranks):
    return [p[0] if len(p) == 1 else ranks[p] for p in _lowest_rank_parts(piece, ranks)]


def _longest_prefix(piece, ranks):
    """Greedy tokenisation: at each position, the longest prefix that is a token."""
    out, i = [], 0
    while i < len(piece):
        j = max(j for j in range(i + 1, len(piece) + 1) if piece[i:j] in ranks or j == i + 1)
        out.append(ranks[piece[i:j]])
        i = j
    return out


def _rightmost_on_ties(piece, ranks):
    parts = _parts(piece)
    while candidates := _pair_ranks(parts, ranks):
        parts = _merge_at(parts, min(candidates, key=lambda c: (c[0], -c[1]))[1])
    return [ranks[p] for p in parts]


def _initial_pairs_only(piece, ranks):
    """One pass over the pairs of the original bytes, in rank order: pairs made by a merge are never considered."""
    parts = _parts(piece)
    for _, pair in sorted({(ranks[a + b], a + b) for a, b in zip(parts, parts[1:]) if a + b in ranks}):
        i = 0
        while i + 1 < len(parts):
            if parts[i] + parts[i + 1] == pair:
                parts = _merge_at(parts, i)
            i += 1
    return [ranks[p] for p in parts]


BPE_MISTAKES = [
    Mistake("your function ignores its ranks argument (these are GPT-2's ids, not the given table's): merge and "
            "look up with the ranks you are given, not a tokenizer of your own.", _ignores_ranks,
            id="ignores-ranks"),
    Mistake("single bytes came back as their byte values (e.g. b'a' -> 97): every part, one byte or merged, has "
            "the id ranks[part].", _byte_values, id="byte-values"),
    Mistake("you returned the merged byte strings themselves: return their ids, [ranks[part] for part in parts].",
            _returns_bytes),
    Mistake("iterating over a bytes object gives ints (list(b'hi') == [104, 105]): start from one-byte bytes "
            "objects, [piece[i:i+1] for i in range(len(piece))].", _ints),
    Mistake("you looked up str in ranks, whose keys are bytes: work on the piece's bytes, never decode it.",
            _str_keys),
    Mistake("you started from the characters of the decoded text, not from its bytes: a character such as 'é' or "
            "'🤖' is several bytes, and BPE starts from single bytes (piece[i:i+1]).", _characters),
    Mistake("nothing was ever merged: ranks is keyed by the merged bytes (a + b), not by the pair (a, b); "
            "look up ranks.get(parts[i] + parts[i+1]).", _no_merges),
    Mistake("you made one merge and stopped: repeat (while True) until no adjacent pair is in ranks.", _one_merge),
    Mistake("the loop stops when the best pair is at position 0: test `best_i is None`, not `not best_i` "
            "(0 is falsy).", _stops_at_position_0),
    Mistake("you merged the first (leftmost) pair that is in ranks; merge the pair with the LOWEST rank, wherever "
            "it is, then look again.", _left_to_right),
    Mistake("you took the longest prefix that is a token at each step (greedy, as WordPiece does); BPE instead "
            "repeatedly merges the adjacent pair with the lowest rank, wherever it is.", _longest_prefix,
            id="longest-prefix"),
    Mistake("on a tie (the same pair twice, e.g. 'aa' in 'aaa') you merged the rightmost one; merge the leftmost "
            "(keep the first pair with the lowest rank: compare with <, not <=).", _rightmost_on_ties,
            id="rightmost-on-ties"),
    Mistake("you merged the pair with the highest rank; the lowest rank was learned first and must be merged "
            "first (min, not max).", _highest_rank),
    Mistake("you merged the most frequent pair, as BPE training does; encoding merges the pair with the lowest "
            "rank in ranks, whatever its count.", _most_frequent),
    Mistake("pairs created by a merge were never considered: after each merge, look again at all adjacent pairs "
            "of the current parts.", _initial_pairs_only),
]

BPE_ENCODE_PIECE = register(Exercise(
    name="bpe_encode_piece", chapter="01", points=3, hidden_points=2,
    solution=solutions.bpe_encode_piece, make_cases=make_bpe_cases, mistakes=BPE_MISTAKES,
))


# --------------------------------------------------------------------------------------------------------------
# embed
# --------------------------------------------------------------------------------------------------------------
def _numbers(message: str) -> set[int]:
    """The integers a message mentions (a minus sign right before digits makes them negative too)."""
    found = {int(m) for m in re.findall(r"\d+", message)}
    return found | {-int(m) for m in re.findall(r"-\s*(\d+)", message)}


def _names(*required: int):
    """A predicate on an error message: it mentions every number of `required` and is not NumPy's own broadcasting
    error (which mentions both shapes, and so the numbers, without saying what is wrong)."""
    def says(message: str) -> bool:
        return set(required) <= _numbers(message) and "broadcast" not in message.lower()
    says.__qualname__ = f"names {required}"
    return says


def _either(*predicates):
    return lambda message: any(p(message) for p in predicates)


def make_embed_cases(rng: np.random.Generator, hidden: bool) -> list[Case]:
    # n_vocab > n_ctx, as in GPT-2, so that confusing the two shows; ids are drawn over the whole vocabulary.
    if hidden:
        n_ctx, n_embd = int(rng.integers(5, 12)), int(rng.integers(3, 9))
        n_vocab = n_ctx + int(rng.integers(4, 20))
    else:
        n_vocab, n_ctx, n_embd = 13, 8, 4

    def tables(dtype=np.float64):
        wte = rng.standard_normal((n_vocab, n_embd)).astype(dtype)
        wpe = rng.standard_normal((n_ctx, n_embd)).astype(dtype)
        return wte, wpe

    wte, wpe = tables()
    n = n_ctx - 3
    ids = rng.integers(0, n_vocab, size=n)
    ids[-1] = ids[0]  # the same token twice, at different positions
    full = rng.integers(0, n_vocab, size=n_ctx)
    full[:2] = [0, n_vocab - 1]  # the first and the last id of the vocabulary
    wte32, wpe32 = tables(np.float32)
    too_long = rng.integers(0, n_vocab, size=n_ctx + 1)
    past_end, negative = ids.copy(), ids.copy()
    past_end[1] = n_vocab
    negative[-1] = -1
    both = too_long.copy()
    both[1] = n_vocab
    message_rule = "the message names the sequence length and n_ctx, or the bad id and n_vocab"
    return [
        Case("a sequence of token ids (NumPy array)", (ids, wte, wpe)),
        Case("a single token", (ids[:1], wte, wpe)),
        Case("ids as a Python list", ([int(i) for i in ids], wte, wpe)),
        Case(f"a sequence of exactly n_ctx = {n_ctx} tokens (the longest allowed), ids 0 and n_vocab - 1",
             (full, wte, wpe)),
        Case("float32 tables in, float32 out", (ids, wte32, wpe32),
             hint="float32 tables must give float32 vectors: index the tables, don't build float64 arrays."),
        Case(f"n_ctx + 1 = {n_ctx + 1} tokens, one of them the id n_vocab = {n_vocab}, must raise ValueError "
             f"({message_rule})", (both, wte, wpe), raises=ValueError,
             message=_either(_names(n_ctx + 1, n_ctx), _names(n_vocab))),
        Case(f"a sequence of n_ctx + 1 = {n_ctx + 1} tokens must raise ValueError naming {n_ctx + 1} and "
             f"n_ctx = {n_ctx}", (too_long, wte, wpe), raises=ValueError, message=_names(n_ctx + 1, n_ctx)),
        Case(f"the id n_vocab = {n_vocab} (one past the last row of wte) must raise ValueError naming it and "
             "n_vocab", (past_end, wte, wpe), raises=ValueError, message=_names(n_vocab)),
        Case(f"the id -1 must raise ValueError naming -1 and n_vocab = {n_vocab}", (negative, wte, wpe),
             raises=ValueError, message=_names(-1, n_vocab)),
    ]


def _no_validation(ids, wte, wpe):
    return wte[ids] + wpe[: len(ids)]


def _message_without_numbers(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > len(wpe):
        raise ValueError("the sequence is too long")
    if len(ids) and (ids.min() < 0 or ids.max() >= len(wte)):
        raise ValueError("token id out of range")
    return wte[ids] + wpe[: len(ids)]


def _checked(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > len(wpe):
        raise ValueError(f"sequence of {len(ids)} tokens is longer than n_ctx={len(wpe)}")
    if len(ids) and (ids.min() < 0 or ids.max() >= len(wte)):
        raise ValueError(f"token id out of range [0, {len(wte)})")
    return ids


def _positions_from_1(ids, wte, wpe):
    ids = _checked(ids, wte, wpe)
    return wte[ids] + wpe[1 : len(ids) + 1]


def _positions_are_ids(ids, wte, wpe):
    ids = _checked(ids, wte, wpe)
    return wte[ids] + wpe[ids]


def _no_positions(ids, wte, wpe):
    return wte[_checked(ids, wte, wpe)]


def _rejects_n_ctx(ids, wte, wpe):
    if len(ids) >= len(wpe):
        raise ValueError(f"sequence of {len(ids)} tokens is too long for n_ctx={len(wpe)}")
    return solutions.embed(ids, wte, wpe)


def _no_length_check(ids, wte, wpe):
    ids = np.asarray(ids)
    if ids.min() < 0 or ids.max() >= len(wte):
        raise ValueError(f"token id out of range [0, {len(wte)})")
    return wte[ids] + wpe[: len(ids)]


def _no_upper_check(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > len(wpe):
        raise ValueError(f"sequence of {len(ids)} tokens is longer than n_ctx={len(wpe)}")
    return wte[ids] + wpe[: len(ids)]


def _no_negative_check(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > len(wpe):
        raise ValueError(f"sequence of {len(ids)} tokens is longer than n_ctx={len(wpe)}")
    if ids.max() >= len(wte):
        raise ValueError(f"token id {ids.max()} is not below n_vocab={len(wte)}")
    return wte[ids] + wpe[: len(ids)]


EMBED_MISTAKES = [
    Mistake("a sequence of exactly n_ctx tokens is allowed: reject only len(ids) > n_ctx (positions run from 0 "
            "to n_ctx - 1).", _rejects_n_ctx),
    Mistake("positions start at 0: the first token gets wpe[0], so add wpe[:n], not wpe[1:n+1].",
            _positions_from_1),
    Mistake("you indexed wpe with the token ids: a token's position (0, 1, ..., n-1) picks its row of wpe, "
            "so add wpe[:n], not wpe[ids].", _positions_are_ids),
    Mistake("the position embedding is missing: add wpe[:n] to wte[ids], so the same token at two positions "
            "gets two different vectors.", _no_positions),
    Mistake("a sequence longer than n_ctx must raise a ValueError that says so: check len(ids) > n_ctx "
            "(n_ctx = wpe.shape[0], not wte's) before indexing, or NumPy fails with an unclear broadcasting "
            "error.", _no_length_check),
    Mistake("a negative id was accepted: NumPy reads wte[-1] as the last row instead of failing, so check "
            "ids.min() >= 0 too.", _no_negative_check),
    Mistake("an id equal to n_vocab (one past the last row) reached wte[ids]: check that every id is < n_vocab "
            "(ids run from 0 to n_vocab - 1) and raise a ValueError naming the bad id.", _no_upper_check),
    Mistake("your embed checks nothing before indexing: raise a ValueError when len(ids) > n_ctx or an id is "
            "outside [0, n_vocab) — NumPy's own IndexError or broadcasting error doesn't say what is wrong.",
            _no_validation, id="no-validation"),
    Mistake("your ValueError doesn't say what is wrong with the numbers: name the sequence length and n_ctx "
            "(e.g. '9 tokens > n_ctx = 8'), or the bad id and n_vocab.", _message_without_numbers,
            id="message-without-numbers"),
]

EMBED = register(Exercise(
    name="embed", chapter="01", points=2, hidden_points=1,
    solution=solutions.embed, make_cases=make_embed_cases, mistakes=EMBED_MISTAKES,
))

__all__ = ["BPE_ENCODE_PIECE", "EMBED", "NOT_IMPLEMENTED", "encode_pieces", "split"]


# --------------------------------------------------------------------------------------------------------------
# Mutants: learner-style wrong implementations, each naming the mistake id its check must report
# --------------------------------------------------------------------------------------------------------------
MUTANTS = [
    # ---------------------------------------------------------------------------------------- bpe_encode_piece
    Mutant("bpe_encode_piece", "merges the first mergeable pair (left to right)", "left_to_right", '''
def bpe_encode_piece(piece, ranks):
    parts = [bytes([b]) for b in piece]
    merged = True
    while merged:
        merged = False
        for i in range(len(parts) - 1):
            if parts[i] + parts[i + 1] in ranks:
                parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
                merged = True
                break
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "merges the most frequent pair", "most_frequent", '''
from collections import Counter

def bpe_encode_piece(piece, ranks):
    tokens = [piece[i:i + 1] for i in range(len(piece))]
    while len(tokens) > 1:
        counts = Counter()
        for a, b in zip(tokens, tokens[1:]):
            if a + b in ranks:
                counts[(a, b)] += 1
        if not counts:
            break
        (a, b), _ = counts.most_common(1)[0]
        out, i = [], 0
        while i < len(tokens):
            if i < len(tokens) - 1 and tokens[i] == a and tokens[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(tokens[i])
                i += 1
        tokens = out
    return [ranks[t] for t in tokens]
'''),
    Mutant("bpe_encode_piece", "merges the highest rank first", "highest_rank", '''
def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while True:
        pairs = [(ranks[parts[i] + parts[i + 1]], i) for i in range(len(parts) - 1) if parts[i] + parts[i + 1] in ranks]
        if not pairs:
            break
        _, i = max(pairs)
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "works on str characters", "characters", '''
def bpe_encode_piece(piece, ranks):
    parts = [ch.encode("utf-8") for ch in piece.decode("utf-8")]
    while len(parts) > 1:
        best = None
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            break
        i = best[1]
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "str keys (never encodes)", "str_keys", '''
def bpe_encode_piece(piece, ranks):
    parts = list(piece.decode())
    while len(parts) > 1:
        ranked = [(ranks.get(a + b, math.inf), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
        rank, i = min(ranked)
        if rank == math.inf:
            break
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "iterates over bytes (ints)", "ints", '''
def bpe_encode_piece(piece, ranks):
    parts = list(piece)
    while len(parts) > 1:
        ranked = [(ranks.get(a + b, math.inf), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
        rank, i = min(ranked)
        if rank == math.inf:
            break
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "stops after one merge", "one_merge", '''
def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    best_rank, best_i = None, None
    for i in range(len(parts) - 1):
        rank = ranks.get(parts[i] + parts[i + 1])
        if rank is not None and (best_rank is None or rank < best_rank):
            best_rank, best_i = rank, i
    if best_i is not None:
        parts[best_i:best_i + 2] = [parts[best_i] + parts[best_i + 1]]
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "returns bytes instead of ids", "returns_bytes", '''
def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        rank, i = min((ranks.get(parts[i] + parts[i + 1], math.inf), i) for i in range(len(parts) - 1))
        if rank == math.inf:
            break
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return parts
'''),
    Mutant("bpe_encode_piece", "looks up the pair as a tuple", "no_merges", '''
def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        pairs = {(parts[i], parts[i + 1]): i for i in range(len(parts) - 1)}
        known = [p for p in pairs if p in ranks]
        if not known:
            break
        best = min(known, key=lambda p: ranks[p])
        i = pairs[best]
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "stops when the best pair is at position 0", "stops_at_position_0", '''
def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while True:
        best_rank, best_i = None, None
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and (best_rank is None or rank < best_rank):
                best_rank, best_i = rank, i
        if not best_i:
            break
        parts[best_i:best_i + 2] = [parts[best_i] + parts[best_i + 1]]
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "one pass over the original pairs", "initial_pairs_only", '''
def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    pairs = sorted({a + b for a, b in zip(parts, parts[1:]) if a + b in ranks}, key=ranks.get)
    for pair in pairs:
        i = 0
        while i < len(parts) - 1:
            if parts[i] + parts[i + 1] == pair:
                parts[i:i + 2] = [pair]
            i += 1
    return [ranks[p] for p in parts]
'''),
    Mutant("bpe_encode_piece", "delegates to GPT-2's tokenizer (ignores ranks)", "ignores-ranks", '''
def bpe_encode_piece(piece, ranks):
    from solutions import gpt2_tokenizer

    return gpt2_tokenizer().encode_ordinary(piece.decode("utf-8"))
'''),
    Mutant("bpe_encode_piece", "correct BPE on GPT-2's own table (ignores ranks)", "ignores-ranks", '''
from solutions import load_ranks

GPT2_RANKS = load_ranks()

def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while True:
        pairs = [(GPT2_RANKS[a + b], i) for i, (a, b) in enumerate(zip(parts, parts[1:])) if a + b in GPT2_RANKS]
        if not pairs:
            return [GPT2_RANKS[p] for p in parts]
        _, i = min(pairs)
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
'''),
    Mutant("bpe_encode_piece", "byte values as the ids of single bytes (minbpe style)", "byte-values", '''
def bpe_encode_piece(piece, ranks):
    ids = list(piece)  # the 256 byte values are the first tokens
    parts = [bytes([b]) for b in piece]
    while len(parts) >= 2:
        stats = {i: ranks.get(parts[i] + parts[i + 1], float("inf")) for i in range(len(parts) - 1)}
        i = min(stats, key=stats.get)
        if stats[i] == float("inf"):
            break
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
        ids[i:i + 2] = [ranks[parts[i]]]
    return ids
'''),
    Mutant("bpe_encode_piece", "greedy longest prefix", "longest-prefix", '''
def bpe_encode_piece(piece, ranks):
    ids, start = [], 0
    while start < len(piece):
        end = len(piece)
        while end > start + 1 and piece[start:end] not in ranks:
            end -= 1
        ids.append(ranks[piece[start:end]])
        start = end
    return ids
'''),
    Mutant("bpe_encode_piece", "rightmost pair on ties (<=)", "rightmost-on-ties", '''
def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        best_rank, best_i = None, None
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and (best_rank is None or rank <= best_rank):
                best_rank, best_i = rank, i
        if best_i is None:
            break
        parts[best_i:best_i + 2] = [parts[best_i] + parts[best_i + 1]]
    return [ranks[part] for part in parts]
'''),
    Mutant("bpe_encode_piece", "rightmost pair on ties (scanning from the right)", "rightmost-on-ties", '''
def bpe_encode_piece(piece, ranks):
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while True:
        best = None
        for i in reversed(range(len(parts) - 1)):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            return [ranks[p] for p in parts]
        i = best[1]
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
'''),
    # --------------------------------------------------------------------------------------------------- embed
    Mutant("embed", "positions start at 1", "positions_from_1", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > wpe.shape[0]:
        raise ValueError(f"sequence too long: {len(ids)} > n_ctx={wpe.shape[0]}")
    if np.any(ids < 0) or np.any(ids >= wte.shape[0]):
        raise ValueError("token id outside the vocabulary")
    positions = np.arange(1, len(ids) + 1)
    return wte[ids] + wpe[positions]
'''),
    Mutant("embed", "wpe[ids] instead of wpe[:n]", "positions_are_ids", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > wpe.shape[0]:
        raise ValueError(f"sequence too long: {len(ids)} > n_ctx={wpe.shape[0]}")
    if np.any(ids < 0) or np.any(ids >= wte.shape[0]):
        raise ValueError("token id outside the vocabulary")
    return wte[ids] + wpe[ids]
'''),
    Mutant("embed", "no position embedding", "no_positions", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > wpe.shape[0]:
        raise ValueError(f"sequence too long: {len(ids)} > n_ctx={wpe.shape[0]}")
    if np.any(ids < 0) or np.any(ids >= wte.shape[0]):
        raise ValueError("token id outside the vocabulary")
    return wte[ids]
'''),
    Mutant("embed", "no range checks at all", "no-validation", '''
def embed(ids, wte, wpe):
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "no length check", "no_length_check", '''
def embed(ids, wte, wpe):
    for i in ids:
        if not 0 <= i < len(wte):
            raise ValueError(f"token id {i} is outside the vocabulary of {len(wte)} tokens")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "length compared with n_vocab", "no_length_check", '''
def embed(ids, wte, wpe):
    n_vocab, n_embd = wte.shape
    if len(ids) > n_vocab:
        raise ValueError(f"sequence of {len(ids)} tokens is too long")
    if min(ids) < 0 or max(ids) >= n_vocab:
        raise ValueError(f"token ids must be in [0, {n_vocab}), got {min(ids)}..{max(ids)}")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "an unclear error message", "message-without-numbers", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > wpe.shape[0]:
        raise ValueError("bad input")
    if np.any(ids < 0) or np.any(ids >= wte.shape[0]):
        raise ValueError("token id outside the vocabulary")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "rejects exactly n_ctx tokens (>=)", "rejects_n_ctx", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) >= wpe.shape[0]:
        raise ValueError(f"sequence too long: {len(ids)} tokens, n_ctx={wpe.shape[0]}")
    if np.any(ids < 0) or np.any(ids >= wte.shape[0]):
        raise ValueError("token id outside the vocabulary")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "no id check", "no_upper_check", '''
def embed(ids, wte, wpe):
    n_ctx = wpe.shape[0]
    if len(ids) > n_ctx:
        raise ValueError(f"sequence of {len(ids)} tokens is longer than n_ctx={n_ctx}")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "accepts the id n_vocab (> instead of >=)", "no_upper_check", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > wpe.shape[0]:
        raise ValueError(f"sequence too long: {len(ids)} > n_ctx={wpe.shape[0]}")
    if ids.min() < 0 or ids.max() > wte.shape[0]:
        raise ValueError("token id outside the vocabulary")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "accepts negative ids", "no_negative_check", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > wpe.shape[0]:
        raise ValueError(f"sequence too long: {len(ids)} > n_ctx={wpe.shape[0]}")
    if ids.max() >= wte.shape[0]:
        raise ValueError(f"token id {ids.max()} is not in the vocabulary")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "one-hot product promotes float32 to float64", "case:float32-tables-must-give-float32-vectors", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > wpe.shape[0]:
        raise ValueError(f"sequence too long: {len(ids)} > n_ctx={wpe.shape[0]}")
    if np.any(ids < 0) or np.any(ids >= wte.shape[0]):
        raise ValueError("token id outside the vocabulary")
    one_hot = np.eye(wte.shape[0])[ids]
    return one_hot @ wte + wpe[:len(ids)]
'''),
    Mutant("embed", "keyword-only messages (no numbers)", "message-without-numbers", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    if len(ids) > wpe.shape[0]:
        raise ValueError("sequence too long for the context window (n_ctx)")
    if (ids < 0).any() or (ids >= wte.shape[0]).any():
        raise ValueError("token id out of vocabulary range")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "id message without the bad id", "message-without-numbers", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids)
    n_ctx = wpe.shape[0]
    if len(ids) > n_ctx:
        raise ValueError(f"{len(ids)} tokens > n_ctx = {n_ctx}")
    if (ids < 0).any() or (ids >= wte.shape[0]).any():
        raise ValueError("some token id is not in the vocabulary")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "picoGPT's one-liner, no validation", "no-validation", '''
def embed(ids, wte, wpe):
    return wte[ids] + wpe[range(len(ids))]
'''),
    Mutant("embed", "wpe[ids] without any validation", "positions_are_ids", '''
def embed(ids, wte, wpe):
    return wte[ids] + wpe[ids]
'''),
    Mutant("embed", "validates after indexing", "no-validation", '''
def embed(ids, wte, wpe):
    x = np.take(wte, ids, axis=0) + wpe[:len(ids)]
    if len(ids) > len(wpe) or min(ids) < 0 or max(ids) >= len(wte):
        raise ValueError(f"bad ids: {len(ids)} tokens, n_ctx={len(wpe)}, n_vocab={len(wte)}")
    return x
'''),
]

register_mutants(MUTANTS)
