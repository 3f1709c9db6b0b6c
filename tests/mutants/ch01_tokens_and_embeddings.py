from . import Mutant

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
