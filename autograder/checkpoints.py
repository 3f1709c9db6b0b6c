"""Which GPT-2 the chapters run: the real GPT-2 small when $GPT2_DIR holds it, else a small one built here.

Real weights are optional and never downloaded by the course. Where the network exists, one command fetches them:

    hf download openai-community/gpt2 config.json model.safetensors --local-dir ~/gpt2
    export GPT2_DIR=~/gpt2

(`huggingface-cli download` with the same arguments on huggingface_hub < 1.0.)
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

# Big enough to use GPT-2's real tokenizer (every token id has an embedding), small enough to build in a blink.
SMALL = {"n_vocab": 50257, "n_ctx": 128, "n_embd": 64, "n_head": 4, "n_layer": 2}
DOWNLOAD = "hf download openai-community/gpt2 config.json model.safetensors --local-dir ~/gpt2"


@dataclass(frozen=True)
class Checkpoint:
    path: Path  # a Hugging Face directory: config.json + model.safetensors
    real: bool  # True: OpenAI's trained GPT-2 from $GPT2_DIR; False: random weights built here

    def describe(self, width: int = 78) -> str:
        if self.real:
            return f"Using the trained GPT-2 from GPT2_DIR={self.path}."
        return textwrap.fill(
            "GPT2_DIR is not set, so this page uses a small GPT-2 with RANDOM weights built here "
            f"({', '.join(f'{k}={v}' for k, v in SMALL.items())}): its predictions are noise. "
            "For the trained GPT-2 set GPT2_DIR (chapter 07, 'Getting the real weights').", width)


_built: dict[str, Path] = {}


def gpt2_checkpoint(seed: int = 0) -> Checkpoint:
    """$GPT2_DIR when it holds config.json and model.safetensors, else a random small GPT-2 in a temporary dir."""
    env = os.environ.get("GPT2_DIR")
    if env:
        path = Path(env).expanduser()
        if (path / "config.json").is_file() and (path / "model.safetensors").is_file():
            return Checkpoint(path, real=True)
    if "small" not in _built:
        from solutions import init_params, save_gpt2_params

        path = Path(tempfile.mkdtemp(prefix="gpt2-small-random-"))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        save_gpt2_params(SMALL, init_params(SMALL, seed=seed), path)
        _built["small"] = path
    return Checkpoint(_built["small"], real=False)
