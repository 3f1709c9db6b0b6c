from . import Mutant

# count_parameters comes first: it calls no other exercise and nothing calls it, so in a whole notebook
# (tests/test_grading_cli.py) its mutant costs exactly its own points; a wrong transformer_block also breaks the
# learner's gpt2. Mutants reach the reference's transformer_block as S.transformer_block: a `from solutions
# import transformer_block` in a notebook is reported by the grader as borrowing the answer.
COUNT_PARAMETERS = [
    Mutant("count_parameters", "tied matrix counted twice", "count_tied_twice", '''
def count_parameters(params):
    def total(tree):
        if isinstance(tree, dict):
            return sum(total(v) for v in tree.values())
        if isinstance(tree, list):
            return sum(total(v) for v in tree)
        return tree.size
    n = total(params)
    if isinstance(params, dict) and "wte" in params:
        n += params["wte"].size  # the output layer: n_embd -> n_vocab
    return n
'''),
    Mutant("count_parameters", "counts arrays", "count_leaves", '''
def count_parameters(params):
    if isinstance(params, dict):
        params = list(params.values())
    if isinstance(params, list):
        return sum(count_parameters(p) for p in params)
    return 1
'''),
    Mutant("count_parameters", "len instead of size", "count_first_axis", '''
def count_parameters(params):
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return len(params)
'''),
    Mutant("count_parameters", "counts bytes", "count_bytes", '''
def count_parameters(params):
    if isinstance(params, np.ndarray):
        return params.nbytes
    children = params.values() if isinstance(params, dict) else params
    return sum(count_parameters(c) for c in children)
'''),
    Mutant("count_parameters", "lists not followed", "count_dicts_only", '''
def count_parameters(params):
    if isinstance(params, np.ndarray):
        return params.size
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    return 0
'''),
    Mutant("count_parameters", "weight matrices only", "count_matrices_only", '''
def count_parameters(params):
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return params.shape[0] * params.shape[1] if params.ndim == 2 else 0
'''),
    Mutant("count_parameters", "top level only", "count_top_level", '''
def count_parameters(params):
    if isinstance(params, np.ndarray):
        return params.size
    if isinstance(params, list):
        return sum(p.size for p in params)
    return sum(v.size for v in params.values() if isinstance(v, np.ndarray))
'''),
    Mutant("count_parameters", "returns a float", "count_float", '''
def count_parameters(params):
    if isinstance(params, dict):
        return sum(count_parameters(v) for v in params.values())
    if isinstance(params, (list, tuple)):
        return sum(count_parameters(v) for v in params)
    return float(np.prod(params.shape))
'''),
]

TRANSFORMER_BLOCK = [
    Mutant("transformer_block", "post-norm", "block_post_norm", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = layer_norm(x + mha(x, **attn, n_head=n_head), **ln_1)
    x = layer_norm(x + ffn(x, **mlp), **ln_2)
    return x
'''),
    Mutant("transformer_block", "ln_1 used in place of ln_2", "block_ln_1_twice", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x = x + ffn(layer_norm(x, **ln_1), **mlp)
    return x
'''),
    Mutant("transformer_block", "ln_1 and ln_2 swapped", "block_ln_swapped", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, ln_2["g"], ln_2["b"]), attn["c_attn"], attn["c_proj"], n_head)
    return x + ffn(layer_norm(x, ln_1["g"], ln_1["b"]), mlp["c_fc"], mlp["c_proj"])
'''),
    Mutant("transformer_block", "no shortcut around the MLP", "block_no_mlp_shortcut", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return ffn(layer_norm(x, **ln_2), **mlp)
'''),
    Mutant("transformer_block", "no shortcut around attention", "block_no_attn_shortcut", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    h = mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return h + ffn(layer_norm(h, **ln_2), **mlp)
'''),
    Mutant("transformer_block", "no shortcuts", "block_no_shortcuts", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x = ffn(layer_norm(x, **ln_2), **mlp)
    return x
'''),
    Mutant("transformer_block", "shortcut from the normalised x", "block_normalised_shortcut", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = layer_norm(x, **ln_1)
    x = x + mha(x, **attn, n_head=n_head)
    x = layer_norm(x, **ln_2)
    x = x + ffn(x, **mlp)
    return x
'''),
    Mutant("transformer_block", "no LayerNorms", "block_no_norms", '''
from solutions import ffn, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(x, **attn, n_head=n_head)
    return x + ffn(x, **mlp)
'''),
    Mutant("transformer_block", "MLP before attention", "block_mlp_first", '''
from solutions import ffn, pre_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = pre_norm(x, ln_2, lambda h: ffn(h, **mlp))
    return pre_norm(x, ln_1, lambda h: mha(h, **attn, n_head=n_head))
'''),
    Mutant("transformer_block", "parallel sub-layers", "block_parallel", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    a = mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    m = ffn(layer_norm(x, **ln_2), **mlp)
    return x + a + m
'''),
    Mutant("transformer_block", "normalised again at the end", "block_final_norm", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x = x + ffn(layer_norm(x, **ln_2), **mlp)
    return layer_norm(x, **ln_2)
'''),
    Mutant("transformer_block", "adds in place", "mutated-input", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x += mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x += ffn(layer_norm(x, **ln_2), **mlp)
    return x
'''),
    Mutant("transformer_block", "float64 promotion", "block-float64", '''
from solutions import ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = np.asarray(x, dtype=np.float64)
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return x + ffn(layer_norm(x, **ln_2), **mlp)
'''),
]

GPT2 = [
    Mutant("gpt2", "missing ln_f", "gpt2_no_ln_f", '''
import solutions as S
from solutions import embed

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return x @ wte.T
'''),
    Mutant("gpt2", "unembedding with wpe", "gpt2_wpe_out", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, block["mlp"], block["attn"], block["ln_1"], block["ln_2"], n_head)
    return layer_norm(x, **ln_f) @ wpe.T
'''),
    Mutant("gpt2", "untied random output matrix", "unembedding-not-wte", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    n_vocab, n_embd = wte.shape
    w_out = np.random.default_rng(0).normal(0, 0.02, (n_embd, n_vocab)).astype(wte.dtype)  # a new output layer
    return layer_norm(x, **ln_f) @ w_out
'''),
    Mutant("gpt2", "position embeddings dropped", "gpt2_no_positions", '''
import solutions as S
from solutions import layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = wte[ids]
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "logits of the last position only", "gpt2_last_only", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x[-1], **ln_f) @ wte.T  # the next token
'''),
    Mutant("gpt2", "logits of the first position only", "gpt2_first_only", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    logits = layer_norm(x, **ln_f) @ wte.T
    return logits[0]
'''),
    Mutant("gpt2", "returns probabilities", "gpt2_probabilities", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    logits = layer_norm(x, **ln_f) @ wte.T
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''),
    Mutant("gpt2", "ln_f after every block", "gpt2_ln_f_every_block", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = layer_norm(S.transformer_block(x, **block, n_head=n_head), **ln_f)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "ln_f before the blocks", "gpt2_ln_f_at_start", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = layer_norm(embed(ids, wte, wpe), **ln_f)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return x @ wte.T
'''),
    Mutant("gpt2", "uses a post-norm block", "bad-block:block_post_norm", '''
from solutions import embed, ffn, layer_norm, mha

def my_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = layer_norm(x + mha(x, **attn, n_head=n_head), **ln_1)
    return layer_norm(x + ffn(x, **mlp), **ln_2)

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = my_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "x @ wte", "gpt2_untransposed", '''
import solutions as S
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte
'''),
]

TRANSFORMER_BLOCK += [
    Mutant("transformer_block", "picoGPT's gelu with np.sqrt inside the block", "block-float64", '''
from solutions import layer_norm, linear, mha

def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return x + linear(gelu(linear(layer_norm(x, **ln_2), **mlp["c_fc"])), **mlp["c_proj"])
'''),
    Mutant("transformer_block", "its own GELU is the exact erf form", "block-erf-gelu", '''
from solutions import layer_norm, mha

def gelu(x):  # x * Phi(x), the "exact" GELU
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    h = gelu(layer_norm(x, **ln_2) @ mlp["c_fc"]["w"] + mlp["c_fc"]["b"])
    return x + h @ mlp["c_proj"]["w"] + mlp["c_proj"]["b"]
'''),
]


def _gpt2_with_own_block(block: Mutant) -> Mutant:
    """A gpt2 that runs a block of its own (one of the block mutants, renamed), so the block's bug reaches gpt2."""
    source = block.source.replace("def transformer_block(", "def my_block(")
    return Mutant("gpt2", f"its own block: {block.name}", f"bad-block:{block.mistake}", source + '''
from solutions import embed, layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = my_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
''')


_SHOWN = {"block_post_norm"}  # already a hand-written gpt2 mutant above
GPT2 += [_gpt2_with_own_block(m) for m in TRANSFORMER_BLOCK
         if m.mistake != "mutated-input" and m.mistake not in _SHOWN and m.name != "float64 promotion"]
GPT2 += [
    Mutant("gpt2", "wpe off by one", "wpe-off-by-one", '''
import solutions as S
from solutions import layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = wte[ids] + wpe[1:len(ids) + 1]  # positions 1, 2, ..., n_seq
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "picoGPT's: IndexError for a too-long sequence", "too-long-index-error", '''
import solutions as S
from solutions import layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = wte[ids] + wpe[range(len(ids))]
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    x = layer_norm(x, **ln_f)
    return x @ wte.T
'''),
    Mutant("gpt2", "a ValueError that names no numbers", "too-long-value-error", '''
import solutions as S
from solutions import layer_norm

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    if len(ids) > len(wpe):
        raise ValueError("sequence too long")
    x = wte[ids] + wpe[: len(ids)]
    for block in blocks:
        x = S.transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
    Mutant("gpt2", "its own transformer_block is post-norm", "fix-first:transformer_block", '''
from solutions import embed, ffn, layer_norm, mha

def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = layer_norm(x + mha(x, **attn, n_head=n_head), **ln_1)
    return layer_norm(x + ffn(x, **mlp), **ln_2)

def gpt2(ids, wte, wpe, blocks, ln_f, n_head):
    x = embed(ids, wte, wpe)
    for block in blocks:
        x = transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T
'''),
]

MUTANTS = COUNT_PARAMETERS + TRANSFORMER_BLOCK + GPT2
