"""Correct bpe_encode_piece and embed implementations of different shapes, graded like submissions."""


import math

from . import Alternative

BPE = [
    Alternative("bpe_encode_piece", "tiktoken's educational bpe_encode (tiktoken/_educational.py)", "tiktoken", '''
def bpe_encode_piece(piece, ranks):
    mergeable_ranks, input = ranks, piece
    parts = [bytes([b]) for b in input]
    while True:
        # Iterate over all pairs and find the pair we want to merge the most
        min_idx = None
        min_rank = None
        for i, pair in enumerate(zip(parts[:-1], parts[1:])):
            rank = mergeable_ranks.get(pair[0] + pair[1])
            if rank is not None and (min_rank is None or rank < min_rank):
                min_idx = i
                min_rank = rank

        # If there were no pairs we could merge, we're done!
        if min_rank is None:
            break
        assert min_idx is not None

        # Otherwise, merge that pair and leave the rest unchanged. Then repeat.
        parts = parts[:min_idx] + [parts[min_idx] + parts[min_idx + 1]] + parts[min_idx + 2 :]

    tokens = [mergeable_ranks[part] for part in parts]
    return tokens
'''),
    Alternative("bpe_encode_piece", "Hugging Face's GPT2Tokenizer.bpe (every occurrence of the best bigram)",
                "Hugging Face", '''
def get_pairs(word):
    return [(word[i], word[i + 1]) for i in range(len(word) - 1)]  # in order: min() keeps the leftmost


def bpe_encode_piece(piece, ranks):
    word = tuple(piece[i:i + 1] for i in range(len(piece)))
    pairs = get_pairs(word)
    while pairs:
        bigram = min(pairs, key=lambda pair: ranks.get(pair[0] + pair[1], float("inf")))
        if bigram[0] + bigram[1] not in ranks:
            break
        first, second = bigram
        new_word = []
        i = 0
        while i < len(word):
            try:
                j = word.index(first, i)
            except ValueError:
                new_word.extend(word[i:])
                break
            else:
                new_word.extend(word[i:j])
                i = j

            if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
        if len(word) == 1:
            break
        pairs = get_pairs(word)
    return [ranks[token] for token in word]
'''),
    Alternative("bpe_encode_piece", "a priority queue over a linked list of parts", "independent", '''
import heapq


def bpe_encode_piece(piece, ranks):
    n = len(piece)
    start = list(range(n))  # part i covers piece[i:end[i]]; parts are linked by nxt/prv
    end = [i + 1 for i in range(n)]
    nxt, prv = list(range(1, n + 1)), list(range(-1, n - 1))
    alive = [True] * n
    heap = []

    def push(i):
        j = nxt[i]
        if j < n:
            rank = ranks.get(piece[i:end[j]])
            if rank is not None:
                heapq.heappush(heap, (rank, i, end[j]))  # ties: the smaller start, i.e. the leftmost pair

    for i in range(n - 1):
        push(i)
    while heap:
        rank, i, stop = heapq.heappop(heap)
        j = nxt[i] if alive[i] else n
        if not alive[i] or j >= n or end[j] != stop:
            continue  # stale: one of the two parts has changed since
        end[i] = end[j]
        alive[j] = False
        nxt[i] = nxt[j]
        if nxt[i] < n:
            prv[nxt[i]] = i
        push(i)
        if prv[i] >= 0:
            push(prv[i])
    ids, i = [], 0
    while i < n:
        ids.append(ranks[piece[i:end[i]]])
        i = nxt[i]
    return ids
'''),
    Alternative("bpe_encode_piece", "recursive: merge the best pair, then encode the result", "independent", '''
def merge_best(parts, ranks):
    found = [(ranks[a + b], i) for i, (a, b) in enumerate(zip(parts, parts[1:])) if a + b in ranks]
    if not found:
        return parts
    _, i = min(found)  # the lowest rank; on a tie, the smallest i
    return merge_best(parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:], ranks)


def bpe_encode_piece(piece, ranks):
    return [ranks[p] for p in merge_best([piece[i:i + 1] for i in range(len(piece))], ranks)]
'''),
]

EMBED = [
    Alternative("embed", "picoGPT's wte[inputs] + wpe[range(len(inputs))], with validation", "picoGPT", '''
def embed(ids, wte, wpe):
    inputs = list(ids)
    if len(inputs) > len(wpe):
        raise ValueError(f"too many tokens: {len(inputs)} > {len(wpe)}")
    for i in inputs:
        if not 0 <= i < len(wte):
            raise ValueError(f"token id {i} is not in the vocabulary of {len(wte)} tokens")
    return wte[inputs] + wpe[range(len(inputs))]  # token + positional embeddings
'''),
    Alternative("embed", "np.take, ids checked first", "independent", '''
def embed(ids, wte, wpe):
    ids = np.asarray(ids, dtype=np.int64)
    n_vocab, n_ctx = wte.shape[0], wpe.shape[0]
    outside = (ids < 0) | (ids >= n_vocab)
    if outside.any():
        raise ValueError(f"ids {ids[outside].tolist()} are outside [0, {n_vocab})")
    if ids.size > n_ctx:
        raise ValueError(f"{ids.size} tokens do not fit: wpe has only {n_ctx} rows")
    return np.take(wte, ids, axis=0) + np.take(wpe, np.arange(ids.size), axis=0)
'''),
    Alternative("embed", "one-hot matrix products in the tables' dtype", "independent", '''
def embed(ids, wte, wpe):
    n_vocab, n_ctx = len(wte), len(wpe)
    n = len(ids)
    if n > n_ctx:
        raise ValueError(f"n_seq = {n} exceeds n_ctx = {n_ctx}")
    if n and not (0 <= min(ids) and max(ids) < n_vocab):
        bad = min(ids) if min(ids) < 0 else max(ids)
        raise ValueError(f"id {bad} is outside the vocabulary (n_vocab = {n_vocab})")
    one_hot = np.zeros((n, n_vocab), dtype=wte.dtype)
    one_hot[np.arange(n), ids] = 1
    positions = np.eye(n, n_ctx, dtype=wpe.dtype)
    return one_hot @ wte + positions @ wpe
'''),
    Alternative("embed", "torch.nn.functional.embedding", "independent", '''
def embed(ids, wte, wpe):
    import torch
    import torch.nn.functional as F

    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    if ids.numel() > wpe.shape[0]:
        raise ValueError(f"the sequence has {ids.numel()} tokens but the context holds {wpe.shape[0]}")
    if ids.numel() and (ids.min() < 0 or ids.max() >= wte.shape[0]):
        bad = int(ids.min()) if ids.min() < 0 else int(ids.max())
        raise ValueError(f"token {bad} is not an id of the {wte.shape[0]}-token vocabulary")
    positions = torch.arange(ids.numel())
    return (F.embedding(ids, torch.as_tensor(wte)) + F.embedding(positions, torch.as_tensor(wpe))).numpy()
'''),
]

ALTERNATIVES = BPE + EMBED

# Both exercises compare exactly: token ids with a custom comparison (0 or inf), and embed by indexing (a correct
# implementation, even a one-hot product in the tables' dtype, reproduces the rows bit for bit).
MEASURED = {
    "bpe_encode_piece": (0.0, math.inf),
    "embed": (0.0, math.inf),
}
