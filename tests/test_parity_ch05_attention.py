"""Chapter 05 against independent oracles: the reference `softmax` is torch.softmax (huge logits included),
`attention` with `causal_mask` is torch's scaled_dot_product_attention(is_causal=True), and `mha` is Hugging Face's
GPT2Attention (eager) with the same c_attn/c_proj weights. The Hugging Face test skips without transformers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import solutions as S
from tests.conftest import hf_config, transformers_or_skip


def test_softmax_matches_torch_including_huge_logits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 50)).astype(np.float32) * 5
    x[0] = 1e4
    x[1, ::2], x[1, 1::2] = 1e4, -1e4
    x[2] = -1e4
    x[3, 7] = 1e4
    ours = S.softmax(x)
    assert ours.dtype == np.float32 and np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, torch.softmax(torch.tensor(x), dim=-1).numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(S.softmax(x, axis=0), torch.softmax(torch.tensor(x), dim=0).numpy(), atol=1e-6)


@pytest.mark.parametrize("n_seq, d_head", [(1, 8), (7, 16), (33, 64)])
def test_attention_matches_sdpa(n_seq, d_head):
    rng = np.random.default_rng(n_seq)
    q, k, v = (rng.normal(size=(n_seq, d_head)).astype(np.float32) for _ in range(3))
    ours = S.attention(q, k, v, S.causal_mask(n_seq))
    assert ours.dtype == np.float32
    expected = F.scaled_dot_product_attention(*(torch.tensor(t) for t in (q, k, v)), is_causal=True).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5, rtol=0)


def test_mha_matches_hf_gpt2_attention():
    transformers_or_skip()
    from transformers.models.gpt2.modeling_gpt2 import GPT2Attention

    n_seq, n_embd, n_head = 11, 48, 6
    config = hf_config({"n_vocab": 10, "n_ctx": 32, "n_embd": n_embd, "n_head": n_head, "n_layer": 1})
    hf = GPT2Attention(config, layer_idx=0).eval()
    rng = np.random.default_rng(0)
    lin = {name: {"w": rng.normal(0, 0.2, (n_embd, n_out)).astype(np.float32),
                  "b": rng.normal(0, 0.2, n_out).astype(np.float32)}
           for name, n_out in (("c_attn", 3 * n_embd), ("c_proj", n_embd))}
    with torch.no_grad():
        for name, p in lin.items():
            getattr(hf, name).weight.copy_(torch.tensor(p["w"]))
            getattr(hf, name).bias.copy_(torch.tensor(p["b"]))
    x = rng.normal(size=(n_seq, n_embd)).astype(np.float32)
    future = torch.triu(torch.full((n_seq, n_seq), torch.finfo(torch.float32).min), diagonal=1)
    with torch.no_grad():  # GPT2Attention takes the causal mask from GPT2Model, so pass it in explicitly
        expected = hf(torch.tensor(x)[None], attention_mask=future[None, None])[0][0].numpy()
    ours = S.mha(x, lin["c_attn"], lin["c_proj"], n_head)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, atol=1e-5, rtol=0)
