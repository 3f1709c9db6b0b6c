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
    Mutant("embed", "no range checks at all", "no_length_check", '''
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
        raise ValueError("token id outside the vocabulary")
    return wte[ids] + wpe[:len(ids)]
'''),
    Mutant("embed", "an unclear error message", "no_length_check", '''
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
]
