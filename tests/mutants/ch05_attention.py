from . import Mutant

# mha comes first: it is the last exercise of the chapter, so its mutants break no other exercise in a notebook
# (a wrong softmax also breaks the learner's attention and mha, which call it). Mutants reach the reference's
# softmax, causal_mask and attention as S.<name>; the first one uses no reference at all, because it also goes
# into a whole notebook (tests/test_grading_cli.py), where the grader reports any use of the chapter's reference.
MHA = [
    Mutant("mha", "c_proj missing", "no-c-proj", '''
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd // n_head
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (t.reshape(n_seq, n_head, d_head).transpose(1, 0, 2) for t in (q, k, v))
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(d_head)  # [n_head, n_seq, n_seq]
    scores = np.where(np.tri(n_seq, dtype=bool), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return (weights @ v).transpose(1, 0, 2).reshape(n_seq, n_embd)
'''),
    Mutant("mha", "heads split by a plain reshape", "split-plain-reshape",
           '''
import solutions as S
from solutions import linear, merge_heads

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    qkv = linear(x, **c_attn)
    q, k, v = (qkv[:, i * n_embd:(i + 1) * n_embd].reshape(n_head, n_seq, n_embd // n_head) for i in range(3))
    mask = S.causal_mask(n_seq, dtype=x.dtype.type)
    heads = np.stack([S.attention(q[h], k[h], v[h], mask) for h in range(n_head)])
    return linear(merge_heads(heads), **c_proj)
'''),
    Mutant("mha", "heads merged by a plain reshape", "merge-plain-reshape", '''
import solutions as S
from solutions import linear, split_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = split_heads(q, n_head), split_heads(k, n_head), split_heads(v, n_head)
    mask = S.causal_mask(len(x), dtype=x.dtype.type)
    heads = np.stack([S.attention(q[h], k[h], v[h], mask) for h in range(n_head)])
    return linear(heads.reshape(x.shape), **c_proj)
'''),
    Mutant("mha", "split and merge both plain reshapes", "split-and-merge-plain-reshape",
           '''
import solutions as S
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd // n_head
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (t.reshape(n_head, n_seq, d_head) for t in (q, k, v))
    mask = S.causal_mask(n_seq, dtype=x.dtype.type)
    heads = np.stack([S.attention(q[h], k[h], v[h], mask) for h in range(n_head)])
    return linear(heads.reshape(n_seq, n_embd), **c_proj)
'''),
    Mutant("mha", "interleaved heads", "interleaved-heads", '''
import solutions as S
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    mask = S.causal_mask(n_seq, dtype=x.dtype.type)
    out = np.empty_like(q)
    for h in range(n_head):
        cols = slice(h, None, n_head)  # every n_head-th feature
        out[:, cols] = S.attention(q[:, cols], k[:, cols], v[:, cols], mask)
    return linear(out, **c_proj)
'''),
    Mutant("mha", "k, q, v order", "qkv-order-kqv", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    k, q, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "v, k, q order", "qkv-order-vkq", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    v, k, q = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "scaled by sqrt(n_embd)", "scaled-by-n-embd", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = S.causal_mask(n_seq, dtype=x.dtype.type)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(n_embd) + mask  # [n_head, n_seq, n_seq]
    return linear(merge_heads(S.softmax(scores) @ v), **c_proj)
'''),
    Mutant("mha", "no scaling", "no-scaling", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    weights = S.softmax(q @ np.swapaxes(k, -1, -2) + mask)
    return linear(merge_heads(weights @ v), **c_proj)
'''),
    Mutant("mha", "c_attn bias missing", "no-c-attn-bias", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(x @ c_attn["w"], 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "c_proj bias missing", "no-c-proj-bias", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])) @ c_proj["w"]
'''),
    Mutant("mha", "no causal mask", "no-causal-mask", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    no_mask = np.zeros((x.shape[0], x.shape[0]), dtype=x.dtype)
    return linear(merge_heads(np.stack([S.attention(*h, no_mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "one head over all features", "mha_one_head", '''
import solutions as S
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    q, k, v = np.split(linear(x, **c_attn), 3, axis=-1)
    return linear(S.attention(q, k, v, S.causal_mask(len(x), dtype=x.dtype.type)), **c_proj)
'''),
    Mutant("mha", "mask built in float64", "mha-float64", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    n_seq = x.shape[0]
    mask = np.triu(np.ones((n_seq, n_seq)), k=1) * -1e10
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
]

def _order_mutant(names: str) -> Mutant:
    a, b, c = names
    return Mutant("mha", f"{a}, {b}, {c} order", f"qkv-order-{names}", f'''
import solutions as S
from solutions import linear, split_heads, merge_heads

def mha(x, c_attn, c_proj, n_head):
    {a}, {b}, {c} = np.split(linear(x, **c_attn), 3, axis=-1)
    q, k, v = (split_heads(t, n_head) for t in (q, k, v))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
''')


MHA += [_order_mutant(names) for names in ("qvk", "kvq", "vqk")]
MHA += [
    Mutant("mha", "np.sqrt(d_head) promotes float32", "mha-float64", '''
from solutions import linear

def mha(x, c_attn, c_proj, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd // n_head
    q, k, v = (t.reshape(n_seq, n_head, d_head).transpose(1, 0, 2) for t in np.split(linear(x, **c_attn), 3, -1))
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(d_head)  # a float64 NumPy scalar
    scores = scores + np.triu(np.full((n_seq, n_seq), -1e10, dtype=x.dtype), k=1)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    return linear((w @ v).transpose(1, 0, 2).reshape(n_seq, n_embd), **c_proj)
'''),
    Mutant("mha", "its own causal_mask hides the diagonal", "fix-first:causal_mask", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.full((n_seq, n_seq), -1e10, dtype=dtype))

def mha(x, c_attn, c_proj, n_head):
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "its own split_heads is a plain reshape", "fix-first:split_heads", '''
import solutions as S
from solutions import linear, merge_heads

def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_head, n_seq, n_embd // n_head)

def mha(x, c_attn, c_proj, n_head):
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([S.attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
    Mutant("mha", "its own attention forgets the scaling", "fix-first:attention", '''
import solutions as S
from solutions import linear, split_heads, merge_heads

def attention(q, k, v, mask):
    return S.softmax(q @ k.T + mask) @ v

def mha(x, c_attn, c_proj, n_head):
    q, k, v = (split_heads(t, n_head) for t in np.split(linear(x, **c_attn), 3, axis=-1))
    mask = S.causal_mask(x.shape[0], dtype=x.dtype.type)
    return linear(merge_heads(np.stack([attention(*h, mask) for h in zip(q, k, v)])), **c_proj)
'''),
]

SPLIT_HEADS = [
    Mutant("split_heads", "plain reshape", "split-plain-reshape", '''
def split_heads(x, n_head):
    return x.reshape(n_head, x.shape[0], x.shape[1] // n_head)
'''),
    Mutant("split_heads", "every n_head-th feature", "split-interleaved", '''
def split_heads(x, n_head):
    return np.stack([x[:, h::n_head] for h in range(n_head)])
'''),
    Mutant("split_heads", "no transpose", "split-no-transpose", '''
def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd // n_head)
'''),
    Mutant("split_heads", ".T after the reshape", "split-full-transpose", '''
def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    return x.reshape(n_seq, n_head, n_embd // n_head).T
'''),
    Mutant("split_heads", "np.split without np.stack", "split-returns-a-list", '''
def split_heads(x, n_head):
    return np.split(x, n_head, axis=-1)
'''),
    Mutant("split_heads", "true division", "split-float-d-head", '''
def split_heads(x, n_head):
    n_seq, n_embd = x.shape
    d_head = n_embd / n_head
    return x.reshape(n_seq, n_head, d_head).transpose(1, 0, 2)
'''),
]

MERGE_HEADS = [
    Mutant("merge_heads", "plain reshape", "merge-plain-reshape", '''
def merge_heads(x):
    n_head, n_seq, d_head = x.shape
    return x.reshape(n_seq, -1)
'''),
    Mutant("merge_heads", "interleaved features", "merge-interleaved", '''
def merge_heads(x):
    n_head, n_seq, d_head = x.shape
    out = np.empty((n_seq, n_head * d_head), dtype=x.dtype)
    for h in range(n_head):
        out[:, h::n_head] = x[h]
    return out
'''),
    Mutant("merge_heads", ".T before the reshape", "merge-full-transpose", '''
def merge_heads(x):
    n_head, n_seq, d_head = x.shape
    return x.T.reshape(n_seq, n_head * d_head)
'''),
    Mutant("merge_heads", "no reshape", "merge-no-reshape", '''
def merge_heads(x):
    return np.transpose(x, (1, 0, 2))
'''),
    Mutant("merge_heads", "heads stacked as rows", "merge-concatenate-rows", '''
def merge_heads(x):
    return np.vstack(x)
'''),
]

SOFTMAX = [
    Mutant("softmax", "no max subtraction", "softmax-overflow", '''
def softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)
'''),
    Mutant("softmax", "max over the whole array", "softmax-one-max-for-all-rows", '''
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=axis, keepdims=True)
'''),
    Mutant("softmax", "axis=0", "softmax_axis_0", '''
def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''),
    Mutant("softmax", "axis argument ignored", "softmax_axis_ignored", '''
def softmax(x, axis=-1):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
'''),
    Mutant("softmax", "axis=1 hard-coded", "softmax_axis_1", '''
def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=1, keepdims=True)
    return np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
'''),
    Mutant("softmax", "divides by the total", "softmax_whole_sum", '''
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum()
'''),
    Mutant("softmax", "missing keepdims", "softmax_no_keepdims", '''
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis))
    return e / np.sum(e, axis=axis)
'''),
    Mutant("softmax", "float64 promotion", "softmax_float64", '''
def softmax(x, axis=-1):
    x = x.astype(np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
'''),
    Mutant("softmax", "deep-ml's softmax over the whole array", "softmax-over-whole-array", '''
def softmax(x, axis=-1):
    return np.exp(x) / np.sum(np.exp(x))
'''),
    Mutant("softmax", "shifts the input in place", "mutated-input", '''
def softmax(x, axis=-1):
    x -= np.max(x, axis=axis, keepdims=True)
    np.exp(x, out=x)
    return x / x.sum(axis=axis, keepdims=True)
'''),
]

CAUSAL_MASK = [
    Mutant("causal_mask", "hides the diagonal", "mask_hides_diagonal", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.full((n_seq, n_seq), -1e10, dtype=dtype))
'''),
    Mutant("causal_mask", "tril where triu belongs", "mask_hides_past", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.tril(np.ones((n_seq, n_seq), dtype=dtype), k=-1) * dtype(-1e10)
'''),
    Mutant("causal_mask", "tril, k=0", "mask_hides_past_and_self", '''
def causal_mask(n_seq, dtype=np.float32):
    return (np.tril(np.ones((n_seq, n_seq))) * -1e10).astype(dtype)
'''),
    Mutant("causal_mask", "0/1 mask", "mask_ones_allowed", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.tri(n_seq, dtype=dtype)
'''),
    Mutant("causal_mask", "1 on the future", "mask_ones_future", '''
def causal_mask(n_seq, dtype=np.float32):
    return 1 - np.tri(n_seq, dtype=dtype)
'''),
    Mutant("causal_mask", "boolean mask", "mask_bool_allowed", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.tri(n_seq, dtype=bool)
'''),
    Mutant("causal_mask", "boolean 'future' mask", "mask_bool_future", '''
def causal_mask(n_seq, dtype=np.float32):
    i = np.arange(n_seq)
    return i[None, :] > i[:, None]
'''),
    Mutant("causal_mask", "+1e10 on the future", "mask_positive", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.full((n_seq, n_seq), 1e10, dtype=dtype), k=1)
'''),
    Mutant("causal_mask", "0 * -inf", "mask_zero_times_inf", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.ones((n_seq, n_seq), dtype=dtype), k=1) * -np.inf
'''),
    Mutant("causal_mask", "dtype ignored", "mask_dtype_ignored", '''
def causal_mask(n_seq, dtype=np.float32):
    return np.triu(np.ones((n_seq, n_seq)), k=1) * -1e10
'''),
]

ATTENTION = [
    Mutant("attention", "mask added after the softmax", "attn_mask_after_softmax", '''
import solutions as S

def attention(q, k, v, mask):
    weights = S.softmax(q @ k.T / math.sqrt(q.shape[-1])) + mask
    return weights @ v
'''),
    Mutant("attention", "mask multiplied", "attn_mask_multiplied", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(mask * (q @ k.T) / math.sqrt(k.shape[1])) @ v
'''),
    Mutant("attention", "mask ignored", "attn_no_mask", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(q.shape[1])) @ v
'''),
    Mutant("attention", "no scaling", "attn_no_scale", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(np.matmul(q, k.T) + mask) @ v
'''),
    Mutant("attention", "divided by d_k", "attn_scale_d", '''
import solutions as S

def attention(q, k, v, mask):
    d_k = q.shape[-1]
    return S.softmax(q @ k.T / d_k + mask) @ v
'''),
    Mutant("attention", "scaled by the number of keys", "attn_scale_n_k", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(len(k)) + mask) @ v
'''),
    Mutant("attention", "scaled by d_v", "attn_scale_d_v", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(v.shape[-1]) + mask) @ v
'''),
    Mutant("attention", "softmax over the queries", "attn_softmax_axis_0", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(q.shape[-1]) + mask, axis=0) @ v
'''),
    Mutant("attention", "k @ q.T", "attn_scores_transposed", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax((k @ q.T) / math.sqrt(q.shape[-1]) + mask) @ v
'''),
    Mutant("attention", "returns the weights", "attn_weights_only", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / math.sqrt(q.shape[-1]) + mask)
'''),
    Mutant("attention", "np.sqrt promotes float32", "attn_float64", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k.T / np.sqrt(q.shape[-1]) + mask) @ v
'''),
    Mutant("attention", "q @ k", "attn_no_transpose", '''
import solutions as S

def attention(q, k, v, mask):
    return S.softmax(q @ k / math.sqrt(q.shape[-1]) + mask) @ v
'''),
]

ATTENTION += [
    Mutant("attention", "0/1 mask multiplied in after the softmax", "attn-01-mask-after-softmax", '''
import solutions as S

def attention(q, k, v, mask):
    weights = S.softmax(q @ k.T / math.sqrt(q.shape[-1]))
    weights = weights * np.tri(len(q), len(k))  # keep the past, drop the future
    return weights @ v
'''),
    Mutant("attention", "its own softmax divides by the total", "fix-first:softmax", '''
def softmax(x, axis=-1):
    return np.exp(x) / np.sum(np.exp(x))

def attention(q, k, v, mask):
    return softmax(q @ k.T / math.sqrt(q.shape[-1]) + mask) @ v
'''),
]

MUTANTS = MHA + SPLIT_HEADS + MERGE_HEADS + SOFTMAX + CAUSAL_MASK + ATTENTION
