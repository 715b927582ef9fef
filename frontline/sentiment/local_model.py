"""A local transformer (or any ONNX sentiment classifier) behind the same interface.

Configured by ``SENTIMENT_ONNX_DIR``, a directory laid out as Hugging Face exports lay it out
(``optimum-cli export onnx``, or ``torch.onnx.export`` beside ``tokenizer.save_pretrained``):

* ``model.onnx``: takes ``input_ids`` and, where it declares them, ``attention_mask`` and
  ``token_type_ids`` (int64, batch x tokens); its first output is the logits (batch x labels);
* ``tokenizer.json``: the tokenizer in the ``tokenizers`` library's format;
* ``config.json``: ``id2label`` naming each logit ("negative", "neutral", "positive", in any
  case; a two-label model has no neutral), and optionally ``max_position_embeddings`` (the
  longest input, 512 otherwise) and ``languages`` (ISO 639-1 codes it may be trusted with,
  ``["en"]`` otherwise).

Nothing is downloaded: the weights are read from that directory or the model is not used.
``onnxruntime`` and ``tokenizers`` are an optional install (``pip install frontline[onnx]``),
imported only when a directory is configured. Where the directory, a file or the runtime is
missing, ``LocalModelUnavailable`` says which, the system check reports it, and the shipped
lexicon reads the texts meanwhile (``scoring.default_model``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from frontline.sentiment.scoring import NEGATIVE, NEUTRAL, POSITIVE

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
DEFAULT_MAX_TOKENS = 512
_WORD = re.compile(r"\w+")


class LocalModelUnavailable(Exception):
    """The configured model cannot be used; the message says what to do about it."""


class LocalModel:
    """An ONNX classifier over a tokenizer: softmax of the logits, the most likely label, and
    P(positive) - P(negative) as the polarity (as the learned model gives it)."""

    def __init__(self, directory: Path) -> None:
        runtime, tokenizers = _runtime()
        files = _files(directory)
        config = _config(files[CONFIG_FILE])
        self._labels = _labels(config, files[CONFIG_FILE])
        self.languages = frozenset(config.get("languages") or ["en"])
        # Named by the weights' digest: a new model is a new name, and the backfill (one
        # checkpoint per model name) then scores the history again.
        self.name = f"onnx-{directory.name}-{_digest(files[MODEL_FILE])}"
        self._tokenizer = tokenizers.Tokenizer.from_file(str(files[TOKENIZER_FILE]))
        limit = int(config.get("max_position_embeddings") or DEFAULT_MAX_TOKENS)
        self._tokenizer.enable_truncation(max_length=min(limit, DEFAULT_MAX_TOKENS))
        self._vocabulary = self._tokenizer.get_vocab()
        options = runtime.SessionOptions()
        # One thread: a worker scores one text at a time beside the web processes; a second
        # thread per call would fight them for the machine's cores.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._session = runtime.InferenceSession(
                str(files[MODEL_FILE]), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own classes for a broken file
            raise LocalModelUnavailable(
                f"{files[MODEL_FILE]} is not a usable ONNX model: {error}"
            ) from error
        self._inputs = {item.name for item in self._session.get_inputs()}
        if "input_ids" not in self._inputs:
            raise LocalModelUnavailable(f"{files[MODEL_FILE]} takes no input_ids")

    def logits(self, text: str) -> list[float]:
        import numpy

        encoding = self._tokenizer.encode(text)
        feeds = {
            "input_ids": encoding.ids,
            "attention_mask": encoding.attention_mask,
            "token_type_ids": encoding.type_ids,
        }
        arrays = {
            name: numpy.array([values], dtype=numpy.int64)
            for name, values in feeds.items()
            if name in self._inputs
        }
        output = self._session.run(None, arrays)[0]
        return [float(value) for value in output[0]]

    def read(self, text: str) -> tuple[str, float]:
        logits = self.logits(text)
        top = max(logits)
        exponentials = [math.exp(value - top) for value in logits]
        total = sum(exponentials)
        probability = dict(
            zip(self._labels, (value / total for value in exponentials), strict=True)
        )
        label = max(probability, key=probability.__getitem__)
        return label, probability[POSITIVE] - probability[NEGATIVE]

    def knows_a_word_of(self, text: str) -> bool:
        return any(
            word in self._vocabulary or word.lower() in self._vocabulary
            for word in _WORD.findall(text)
        )


def local_model_problem(directory: Path) -> str | None:
    """What stops the configured model from loading, found without loading it (cheap enough
    for Django's system checks, which run with every command): None when nothing does."""
    try:
        _runtime()
        files = _files(directory)
        _labels(_config(files[CONFIG_FILE]), files[CONFIG_FILE])
    except LocalModelUnavailable as error:
        return str(error)
    return None


def _runtime() -> tuple[Any, Any]:
    try:
        import onnxruntime
        import tokenizers
    except ImportError as error:
        raise LocalModelUnavailable(
            f"SENTIMENT_ONNX_DIR is set but {error.name} is not installed: "
            "pip install 'frontline[onnx]'"
        ) from error
    return onnxruntime, tokenizers


def _files(directory: Path) -> dict[str, Path]:
    if not directory.is_dir():
        raise LocalModelUnavailable(f"SENTIMENT_ONNX_DIR {directory} is not a directory")
    files = {name: directory / name for name in (MODEL_FILE, TOKENIZER_FILE, CONFIG_FILE)}
    missing = sorted(name for name, path in files.items() if not path.is_file())
    if missing:
        raise LocalModelUnavailable(f"{directory} has no {', '.join(missing)}")
    return files


def _config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise LocalModelUnavailable(f"{path} is not JSON: {error}") from error
    if not isinstance(config, dict):
        raise LocalModelUnavailable(f"{path} is not a JSON object")
    return config


def _labels(config: dict[str, Any], path: Path) -> list[str]:
    """The label of each logit, in order, as this app spells them."""
    id2label = config.get("id2label")
    if not isinstance(id2label, dict) or not id2label:
        raise LocalModelUnavailable(f"{path} has no id2label")
    try:
        ordered = [str(id2label[key]).lower() for key in sorted(id2label, key=int)]
    except ValueError as error:
        raise LocalModelUnavailable(f"{path}: id2label's keys are not numbers") from error
    known = {NEGATIVE, NEUTRAL, POSITIVE}
    if not set(ordered) <= known or not {NEGATIVE, POSITIVE} <= set(ordered):
        raise LocalModelUnavailable(
            f"{path}: id2label {ordered} must name negative and positive (and may name neutral)"
        )
    return ordered


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:10]
