"""GPT-2 hyper-parameters, and randomly initialised parameter trees (for tests, demos and benchmarks).

    h = HParams(n_vocab=50257, n_ctx=1024, n_embd=768, n_head=12, n_layer=12)   # GPT2_SMALL
    h.d_head                                    # 64 = n_embd // n_head features per attention head
    h["n_head"], dict(h), asdict(h)             # it also reads like the dict load_gpt2_params returns
    gpt2(ids, **params, n_head=h.n_head)        # picoGPT-style unpacking
    GPT2(**asdict(h)), GPT2(**h)                # the five names are GPT2's arguments
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True, eq=False)
class HParams(Mapping):
    """GPT-2's five hyper-parameters, checked once, here.

    n_vocab  tokens in the vocabulary       wte [n_vocab, n_embd], logits [n_seq, n_vocab]
    n_ctx    longest sequence (positions)   wpe [n_ctx, n_embd]
    n_embd   features per token             x [n_seq, n_embd]
    n_head   attention heads                n_embd = n_head * d_head
    n_layer  transformer blocks             blocks [n_layer] (0: embeddings and ln_f only)

    Frozen, and a read-only mapping of exactly those five keys (so `h["n_head"]`, `dict(h)`, `**h`, and `h == {...}`
    against a dict all work); `dataclasses.asdict(h)` is the same five-key dict. Values are stored as Python ints.
    Raises ValueError for a non-positive size (n_layer may be 0) or when n_head does not divide n_embd.
    """

    n_vocab: int
    n_ctx: int
    n_embd: int
    n_head: int
    n_layer: int

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise TypeError(f"{f.name} must be an int, got {value!r}")
            object.__setattr__(self, f.name, int(value))  # np.int64 -> int: JSON-ready, like config.json's
            if value < (0 if f.name == "n_layer" else 1):
                raise ValueError(f"{f.name}={value} must be {'>= 0' if f.name == 'n_layer' else 'positive'}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}: every head gets "
                             "d_head = n_embd // n_head features")

    @property
    def d_head(self) -> int:
        """Features per attention head: n_embd // n_head."""
        return self.n_embd // self.n_head

    @classmethod
    def of(cls, hparams: HParams | Mapping) -> HParams:
        """An HParams from an HParams (returned as it is) or a mapping holding at least the five keys.

        Other keys are ignored, so a run's whole config (COURSE_CONFIG: the model's five and the training's
        settings) works; a missing one raises KeyError naming it.
        """
        if isinstance(hparams, cls):
            return hparams
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if name not in hparams]
        if missing:
            raise KeyError(f"hparams has no {', '.join(missing)} (GPT-2 needs {', '.join(names)})")
        return cls(**{name: hparams[name] for name in names})

    # The read-only mapping: the five fields, in GPT2(...)'s argument order.
    def __getitem__(self, key: str) -> int:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(self.__dataclass_fields__)

    def __len__(self) -> int:
        return len(self.__dataclass_fields__)

    def __hash__(self) -> int:  # Mapping's __eq__ (equal to a dict with the same items) turns hashing off
        return hash(tuple(self.values()))


GPT2_SMALL = HParams(n_vocab=50257, n_ctx=1024, n_embd=768, n_head=12, n_layer=12)  # 124,439,808 parameters


def init_params(hparams: HParams | Mapping, seed: int = 0, dtype=np.float32, std: float = 0.02) -> dict:
    """Random GPT-2 parameters with the checkpoint's names and shapes (normal(0, std) weights, like GPT-2's init).

    hparams: an HParams, or a dict with its five keys  # -> {wte, wpe, blocks, ln_f}
    """
    h = HParams.of(hparams)
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return (rng.standard_normal(shape) * std).astype(dtype)

    def ln():
        return {"g": (1 + normal(h.n_embd)).astype(dtype), "b": normal(h.n_embd)}

    def lin(n_in, n_out):
        return {"w": normal(n_in, n_out), "b": normal(n_out)}

    blocks = [
        {
            "ln_1": ln(),
            "attn": {"c_attn": lin(h.n_embd, 3 * h.n_embd), "c_proj": lin(h.n_embd, h.n_embd)},
            "ln_2": ln(),
            "mlp": {"c_fc": lin(h.n_embd, 4 * h.n_embd), "c_proj": lin(4 * h.n_embd, h.n_embd)},
        }
        for _ in range(h.n_layer)
    ]
    return {"wte": normal(h.n_vocab, h.n_embd), "wpe": normal(h.n_ctx, h.n_embd), "blocks": blocks, "ln_f": ln()}
