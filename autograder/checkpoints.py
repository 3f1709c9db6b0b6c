"""Which GPT-2 the chapters run: GPT-2 small when $GPT2_DIR holds it, else the course model that ships in data/.

The course model (data/course_model/, chapter 09) is a small GPT-2 the course trained on Shakespeare: GPT-2's
tokenizer and full 50,257-token vocabulary, 4 blocks of 128 features, 128 positions. It is always there, offline.
OpenAI's GPT-2 small is optional and never downloaded by the course. Where the network exists, one command fetches it:

    hf download openai-community/gpt2 config.json model.safetensors --local-dir ~/gpt2
    export GPT2_DIR=~/gpt2

(`huggingface-cli download` with the same arguments on huggingface_hub < 1.0.)

Only if data/course_model/ is missing (a damaged checkout) do the pages fall back to a small GPT-2 with random
weights built here, and say so.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from solutions.params import HParams

COURSE_MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / "course_model"
# Only for the fallback: GPT-2's tokenizer (every token id has an embedding), small enough to build in a blink.
SMALL = HParams(n_vocab=50257, n_ctx=128, n_embd=64, n_head=4, n_layer=2)
FROM_GPT2_DIR = "gpt2_dir"  # Checkpoint.kind: the GPT-2 in $GPT2_DIR (OpenAI's GPT-2 small, normally)
COURSE = "course"  # the course model, data/course_model/
RANDOM = "random"  # the fallback: random weights


def _is_checkpoint(path: Path) -> bool:
    return (path / "config.json").is_file() and (path / "model.safetensors").is_file()


def n_parameters(path: Path) -> int:
    """GPT-2's parameter count from a config.json alone (the tied head counted once).  # dir -> int"""
    config = json.loads((Path(path) / "config.json").read_text())
    v, c, d, n_layer = config["vocab_size"], config["n_positions"], config["n_embd"], config["n_layer"]
    per_block = 12 * d * d + 13 * d  # c_attn, c_proj, c_fc, c_proj (weights and biases) and two LayerNorms
    return v * d + c * d + n_layer * per_block + 2 * d


@dataclass(frozen=True)
class Checkpoint:
    path: Path  # a Hugging Face directory: config.json + model.safetensors
    kind: str  # FROM_GPT2_DIR, COURSE (data/course_model) or RANDOM (the fallback)
    note: str = ""  # why a GPT2_DIR that is set was not used

    @property
    def real(self) -> bool:
        """Trained weights (GPT2_DIR or the course model), not the random fallback."""
        return self.kind != RANDOM

    @property
    def name(self) -> str:
        """A short name for titles: 'the GPT-2 in GPT2_DIR', 'the course model' or 'a random-weight GPT-2'."""
        names = {FROM_GPT2_DIR: "the GPT-2 in GPT2_DIR", COURSE: "the course model", RANDOM: "a random-weight GPT-2"}
        return names[self.kind]

    def describe(self, width: int = 78) -> str:
        """One honest line (wrapped) saying which weights this page runs."""
        if self.kind == FROM_GPT2_DIR:
            text = (f"Using the GPT-2 in GPT2_DIR={self.path} ({n_parameters(self.path):,} parameters; "
                    f"OpenAI's GPT-2 small has 124,439,808).")
        elif self.kind == COURSE:
            loss = ""
            summary = self.path / "summary.json"
            if summary.is_file():
                value = json.loads(summary.read_text()).get("val_loss_shipped")
                loss = "" if value is None else f", validation loss {value:.2f} nats/token"
            text = (f"Using the course's small GPT-2 trained on Shakespeare (data/course_model: "
                    f"{n_parameters(self.path):,} parameters{loss}); set GPT2_DIR for OpenAI's GPT-2 small "
                    "(chapter 07).")
        else:
            text = ("data/course_model is missing and GPT2_DIR is not set, so this page uses a small GPT-2 with "
                    f"RANDOM weights built here ({', '.join(f'{k}={v}' for k, v in SMALL.items())}): its "
                    "predictions are noise.")
        return textwrap.fill(" ".join(filter(None, [self.note, text])), width)


_built: dict[str, Path] = {}


def gpt2_checkpoint(seed: int = 0) -> Checkpoint:
    """$GPT2_DIR when it holds config.json and model.safetensors, else the course model (data/course_model), else
    (only when that is missing) a random small GPT-2 in a temporary directory."""
    note = ""
    env = os.environ.get("GPT2_DIR")
    if env:
        path = Path(env).expanduser()
        if _is_checkpoint(path):
            return Checkpoint(path, FROM_GPT2_DIR)
        note = f"GPT2_DIR={env} has no config.json + model.safetensors, so it is ignored."
    if _is_checkpoint(COURSE_MODEL_DIR):
        return Checkpoint(COURSE_MODEL_DIR, COURSE, note)
    if "small" not in _built:
        from solutions import init_params, save_gpt2_params

        path = Path(tempfile.mkdtemp(prefix="gpt2-small-random-"))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        save_gpt2_params(SMALL, init_params(SMALL, seed=seed), path)
        _built["small"] = path
    return Checkpoint(_built["small"], RANDOM, note)
