from . import Mutant

# ------------------------------------------------------------------------------------------------------------------
# load_gpt2_params: a learner's loader, correct as written here, and the ways it goes wrong.
# ------------------------------------------------------------------------------------------------------------------
LOADER = '''
import json
from pathlib import Path

from safetensors.numpy import load_file


def load_gpt2_params(model_dir):
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    hparams = {"n_vocab": config["vocab_size"], "n_ctx": config["n_positions"], "n_embd": config["n_embd"],
               "n_head": config["n_head"], "n_layer": config["n_layer"]}
    tensors = {name.removeprefix("transformer."): t for name, t in load_file(model_dir / "model.safetensors").items()}

    def get(name):
        if name not in tensors:
            raise ValueError(f"model.safetensors has no tensor {name!r}")
        return np.asarray(tensors[name], dtype=np.float32)

    def ln(name):
        return {"g": get(name + ".weight"), "b": get(name + ".bias")}

    def lin(name):
        return {"w": get(name + ".weight"), "b": get(name + ".bias")}

    blocks = []
    for i in range(hparams["n_layer"]):
        blocks.append({
            "ln_1": ln(f"h.{i}.ln_1"),
            "attn": {"c_attn": lin(f"h.{i}.attn.c_attn"), "c_proj": lin(f"h.{i}.attn.c_proj")},
            "ln_2": ln(f"h.{i}.ln_2"),
            "mlp": {"c_fc": lin(f"h.{i}.mlp.c_fc"), "c_proj": lin(f"h.{i}.mlp.c_proj")},
        })
    return hparams, {"wte": get("wte.weight"), "wpe": get("wpe.weight"), "blocks": blocks, "ln_f": ln("ln_f")}
'''


def loader(*edits: tuple[str, str]) -> str:
    """The loader above with each (old, new) edit applied; every edit must change something."""
    source = LOADER
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


NAMED = '''        if name not in tensors:
            raise ValueError(f"model.safetensors has no tensor {name!r}")
'''
STRIP = '{name.removeprefix("transformer."): t for name, t in load_file(model_dir / "model.safetensors").items()}'

# ------------------------------------------------------------------------------------------------------------------
# GPT2: a learner's whole port (nanoGPT style), correct as written here, and the ways it goes wrong.
# ------------------------------------------------------------------------------------------------------------------
PORT = '''
import torch
from torch import nn
from torch.nn import functional as F


class Conv1D(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class Attention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.c_attn = Conv1D(n_embd, 3 * n_embd)
        self.c_proj = Conv1D(n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        att = att.masked_fill(torch.tril(torch.ones(T, T, dtype=torch.bool)) == 0, float("-inf"))
        y = att.softmax(dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = Conv1D(n_embd, 4 * n_embd)
        self.c_proj = Conv1D(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = Attention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    def __init__(self, n_vocab, n_ctx, n_embd, n_head, n_layer):
        super().__init__()
        self.n_ctx = n_ctx
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(n_vocab, n_embd),
            wpe=nn.Embedding(n_ctx, n_embd),
            h=nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)]),
            ln_f=nn.LayerNorm(n_embd),
        ))
        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    @classmethod
    def from_hparams(cls, hparams):
        return cls(hparams["n_vocab"], hparams["n_ctx"], hparams["n_embd"], hparams["n_head"], hparams["n_layer"])

    @classmethod
    def from_params(cls, hparams, params):
        model = cls.from_hparams(hparams)
        state = {"transformer.wte.weight": params["wte"], "transformer.wpe.weight": params["wpe"]}
        for i, block in enumerate(params["blocks"]):
            for ln in ("ln_1", "ln_2"):
                state[f"transformer.h.{i}.{ln}.weight"] = block[ln]["g"]
                state[f"transformer.h.{i}.{ln}.bias"] = block[ln]["b"]
            for sub, layer in (("attn", "c_attn"), ("attn", "c_proj"), ("mlp", "c_fc"), ("mlp", "c_proj")):
                state[f"transformer.h.{i}.{sub}.{layer}.weight"] = block[sub][layer]["w"]
                state[f"transformer.h.{i}.{sub}.{layer}.bias"] = block[sub][layer]["b"]
        state["transformer.ln_f.weight"] = params["ln_f"]["g"]
        state["transformer.ln_f.bias"] = params["ln_f"]["b"]
        state["lm_head.weight"] = params["wte"]
        model.load_state_dict({name: torch.tensor(v) for name, v in state.items()}, strict=True)
        return model

    def forward(self, ids, cache=None):
        if ids.shape[-1] > self.n_ctx:
            raise ValueError(f"{ids.shape[-1]} tokens are longer than the context n_ctx={self.n_ctx}")
        squeeze = ids.dim() == 1
        if squeeze:
            ids = ids.unsqueeze(0)
        x = self.transformer.wte(ids) + self.transformer.wpe(torch.arange(ids.shape[1]))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return logits[0] if squeeze else logits
'''


def port(*edits: tuple[str, str]) -> str:
    source = PORT
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


# The first mutant is the one the notebook tests put into an otherwise solved chapter.
MUTANTS = [
    Mutant("load_gpt2_params", "prefix not stripped (written for the published checkpoint)",
           "load_no_prefix_strip_value_error",
           loader((STRIP, '{name: t for name, t in load_file(model_dir / "model.safetensors").items()}'))),
    Mutant("load_gpt2_params", "prefix always added (written for save_pretrained's files)",
           "load_always_prefix_value_error",
           loader((STRIP, 'load_file(model_dir / "model.safetensors")'),
                  ("    def get(name):\n", '    def get(name):\n        name = "transformer." + name\n'))),
    Mutant("load_gpt2_params", "prefix not stripped, and a KeyError", "load_no_prefix_strip",
           loader((STRIP, '{name: t for name, t in load_file(model_dir / "model.safetensors").items()}'),
                  (NAMED, ''))),
    Mutant("load_gpt2_params", "prefix always added, and a KeyError", "load_always_prefix",
           loader((STRIP, 'load_file(model_dir / "model.safetensors")'), (NAMED, ''),
                  ("    def get(name):\n", '    def get(name):\n        name = "transformer." + name\n'))),
    Mutant("load_gpt2_params", "a missing tensor raises KeyError", "load_keyerror_when_missing",
           loader(('''        if name not in tensors:
            raise ValueError(f"model.safetensors has no tensor {name!r}")
''', ''))),
    Mutant("load_gpt2_params", "a missing tensor raises a ValueError that does not name it", "vague-missing-error",
           loader(('raise ValueError(f"model.safetensors has no tensor {name!r}")',
                   'raise ValueError("the checkpoint is incomplete")'))),
    Mutant("load_gpt2_params", "the file's float16 kept", "keeps-file-dtype",
           loader(("return np.asarray(tensors[name], dtype=np.float32)", "return tensors[name]"))),
    Mutant("load_gpt2_params", "n_ctx read from config.json", "load_n_ctx",
           loader(('config["n_positions"]', 'config["n_ctx"]'))),
    Mutant("load_gpt2_params", "weights transposed for PyTorch", "load_transposed",
           loader(('return {"w": get(name + ".weight"), "b"', 'return {"w": get(name + ".weight").T, "b"'))),
    Mutant("load_gpt2_params", "hparams keep Hugging Face's names", "load_hf_names",
           loader(('hparams = {"n_vocab": config["vocab_size"], "n_ctx": config["n_positions"], '
                   '"n_embd": config["n_embd"],\n               "n_head": config["n_head"], '
                   '"n_layer": config["n_layer"]}',
                   'hparams = {k: config[k] for k in ("vocab_size", "n_positions", "n_embd", "n_head", '
                   '"n_layer")}\n    n_layer = config["n_layer"]'),
                  ('range(hparams["n_layer"])', 'range(n_layer)'))),
    Mutant("load_gpt2_params", "LayerNorm as weight/bias", "load_ln_weight_bias",
           loader(('return {"g": get(name + ".weight"), "b": get(name + ".bias")}',
                   'return {"weight": get(name + ".weight"), "bias": get(name + ".bias")}'))),
    Mutant("load_gpt2_params", "walks the file's names and keeps the buffers", "load_keeps_extras", '''
import json
import os

from safetensors.numpy import load_file


def load_gpt2_params(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    hparams = dict(n_vocab=config["vocab_size"], n_ctx=config["n_positions"], n_embd=config["n_embd"],
                   n_head=config["n_head"], n_layer=config["n_layer"])
    params = {"blocks": [{} for _ in range(hparams["n_layer"])]}
    for name, tensor in load_file(os.path.join(model_dir, "model.safetensors")).items():
        keys = name.removeprefix("transformer.").split(".")
        node = params
        if keys[0] == "h":
            node, keys = params["blocks"][int(keys[1])], keys[2:]
        if keys[0] in ("wte", "wpe"):
            node[keys[0]] = tensor
            continue
        leaf = {"weight": "g" if keys[-2].startswith("ln_") else "w", "bias": "b"}.get(keys[-1], keys[-1])
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[leaf] = tensor
    return hparams, params
'''),
    # ---------------------------------------------------------------------------------------------------------
    *[Mutant("GPT2", f"c_attn split as {', '.join(names)}", "split-as-" + names,
             port(("q, k, v = self.c_attn(x).split(C, dim=2)", f"{', '.join(names)} = self.c_attn(x).split(C, dim=2)")))
      for names in ("qvk", "kqv", "kvq", "vqk", "vkq")],
    Mutant("GPT2", "c_attn read head by head", "split-per-head",
           port(('''        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
''', '''        qkv = self.c_attn(x).view(B, T, self.n_head, 3 * C // self.n_head).transpose(1, 2)
        q, k, v = qkv.split(C // self.n_head, dim=-1)
'''))),
    Mutant("GPT2", "nn.Linear without transposing", "nn-linear-weights",
           port(("self.c_attn = Conv1D(n_embd, 3 * n_embd)", "self.c_attn = nn.Linear(n_embd, 3 * n_embd)"),
                ("self.c_proj = Conv1D(n_embd, n_embd)", "self.c_proj = nn.Linear(n_embd, n_embd)"),
                ("self.c_fc = Conv1D(n_embd, 4 * n_embd)", "self.c_fc = nn.Linear(n_embd, 4 * n_embd)"),
                ("self.c_proj = Conv1D(4 * n_embd, n_embd)", "self.c_proj = nn.Linear(4 * n_embd, n_embd)"))),
    Mutant("GPT2", "untied head", "untied-head",
           port(("        self.lm_head.weight = self.transformer.wte.weight\n", ""))),
    Mutant("GPT2", "head tied through .data", "tied-through-data",
           port(("        self.lm_head.weight = self.transformer.wte.weight\n",
                 "        self.lm_head.weight.data = self.transformer.wte.weight.data\n"))),
    Mutant("GPT2", "a persistent causal-mask buffer (nanoGPT's attn.bias)", "persistent-mask-buffer",
           port(("        self.c_proj = Conv1D(n_embd, n_embd)\n",
                 "        self.c_proj = Conv1D(n_embd, n_embd)\n        self.register_buffer(\"bias\", torch.tril("
                 "torch.ones(1024, 1024)).view(1, 1, 1024, 1024))\n"),
                ("att = att.masked_fill(torch.tril(torch.ones(T, T, dtype=torch.bool)) == 0, float(\"-inf\"))",
                 "att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float(\"-inf\"))"))),
    Mutant("GPT2", "head with a bias", "lm-head-bias",
           port(("self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)",
                 "self.lm_head = nn.Linear(n_embd, n_vocab)"))),
    Mutant("GPT2", "unembedding with wte.T and no lm_head", "no-lm-head",
           port(('''        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight
''', ''), ("logits = self.lm_head(self.transformer.ln_f(x))",
           "logits = self.transformer.ln_f(x) @ self.transformer.wte.weight.t()"),
                ('        state["lm_head.weight"] = params["wte"]\n', ''))),
    Mutant("GPT2", "no transformer submodule", "no-transformer-prefix",
           port(('''        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(n_vocab, n_embd),
            wpe=nn.Embedding(n_ctx, n_embd),
            h=nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)]),
            ln_f=nn.LayerNorm(n_embd),
        ))
        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight''', '''        self.wte = nn.Embedding(n_vocab, n_embd)
        self.wpe = nn.Embedding(n_ctx, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, n_vocab, bias=False)
        self.lm_head.weight = self.wte.weight'''), ("self.transformer.", "self."))),
    Mutant("GPT2", "strict=False hides a missing ln_f", "weights-not-loaded",
           port(('''        state["transformer.ln_f.weight"] = params["ln_f"]["g"]
        state["transformer.ln_f.bias"] = params["ln_f"]["b"]
''', ''), ("strict=True)", "strict=False)"))),
    Mutant("GPT2", "strict=False hides LayerNorm g/b names", "strict-false-ln-g-b",
           port(('state[f"transformer.h.{i}.{ln}.weight"] = block[ln]["g"]',
                 'state[f"transformer.h.{i}.{ln}.g"] = block[ln]["g"]'),
                ('state[f"transformer.h.{i}.{ln}.bias"] = block[ln]["b"]',
                 'state[f"transformer.h.{i}.{ln}.b"] = block[ln]["b"]'),
                ('state["transformer.ln_f.weight"] = params["ln_f"]["g"]',
                 'state["transformer.ln_f.g"] = params["ln_f"]["g"]'),
                ('state["transformer.ln_f.bias"] = params["ln_f"]["b"]',
                 'state["transformer.ln_f.b"] = params["ln_f"]["b"]'),
                ("strict=True)", "strict=False)"))),
    Mutant("GPT2", "from_params without lm_head.weight, strict", "from-params-names-or-shapes",
           port(('        state["lm_head.weight"] = params["wte"]\n', ''))),
    Mutant("GPT2", "from_params transposes for PyTorch", "from-params-names-or-shapes",
           port(('state[f"transformer.h.{i}.{sub}.{layer}.weight"] = block[sub][layer]["w"]',
                 'state[f"transformer.h.{i}.{sub}.{layer}.weight"] = block[sub][layer]["w"].T'))),
    Mutant("GPT2", "exact GELU", "erf-gelu",
           port(('F.gelu(self.c_fc(x), approximate="tanh")', "F.gelu(self.c_fc(x))"))),
    Mutant("GPT2", "scores not scaled", "no-attention-scale",
           port(("att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))", "att = q @ k.transpose(-2, -1)"))),
    Mutant("GPT2", "no causal mask", "not-causal",
           port(('''        att = att.masked_fill(torch.tril(torch.ones(T, T, dtype=torch.bool)) == 0, float("-inf"))
''', ''))),
    Mutant("GPT2", "no position embeddings", "no-positions",
           port(("x = self.transformer.wte(ids) + self.transformer.wpe(torch.arange(ids.shape[1]))",
                 "x = self.transformer.wte(ids)"))),
    Mutant("GPT2", "no final LayerNorm", "no-ln-f",
           port(("logits = self.lm_head(self.transformer.ln_f(x))", "logits = self.lm_head(x)"))),
    Mutant("GPT2", "no length check", "no-length-check",
           port(('''        if ids.shape[-1] > self.n_ctx:
            raise ValueError(f"{ids.shape[-1]} tokens are longer than the context n_ctx={self.n_ctx}")
''', ''))),
    Mutant("GPT2", "batch axis kept for 1-D ids", "batch-axis-kept",
           port(("        return logits[0] if squeeze else logits", "        return logits"))),
]
