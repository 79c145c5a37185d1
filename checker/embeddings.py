"""Embeddings with an on-disk cache keyed by model and text hash.

Re-scanning an unchanged corpus computes no embedding: every vector is looked up by
``(model name, text_key(text))`` in a SQLite file under ``settings.cache_dir``. The file is
safe to share between processes (WAL mode) and safe to delete (it only costs time).
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from checker.model import TextModel, shared_model
from checker.records import text_key
from checker.settings import Settings

_LOOKUP_CHUNK = 500
_ENCODE_CHUNK = 1024


class EmbeddingCache:
    """Vectors stored as float32 blobs in SQLite, keyed by (model, text key)."""

    def __init__(self, directory: str | Path, model_name: str) -> None:
        self.path = Path(directory) / "embeddings.sqlite3"
        self.model_name = model_name
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS embedding (model TEXT NOT NULL, key TEXT NOT NULL,"
                " vector BLOB NOT NULL, PRIMARY KEY (model, key))")

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=60)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        connection = self._connection()
        unique = list(dict.fromkeys(keys))
        for offset in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[offset:offset + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = connection.execute(
                f"SELECT key, vector FROM embedding WHERE model = ? AND key IN ({marks})",
                [self.model_name, *chunk])
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        connection = self._connection()
        with connection:
            connection.executemany(
                "INSERT OR REPLACE INTO embedding (model, key, vector) VALUES (?, ?, ?)",
                [(self.model_name, key, np.asarray(vector, dtype=np.float32).tobytes())
                 for key, vector in items.items()])


class EmbeddingStore:
    """Embeds texts through the model, reusing cached vectors; counts what it computed."""

    def __init__(self, settings: Settings, model: TextModel | None = None) -> None:
        self.model = model or shared_model(settings)
        self.cache = EmbeddingCache(settings.cache_dir, self.model.name)
        self._memory: dict[str, np.ndarray] = {}
        self.computed = 0
        self.reused = 0

    def embed(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (duplicates are embedded once).
        ``progress(done, total)`` is called as new vectors are computed."""
        keys = [text_key(text) for text in texts]
        missing = [key for key in dict.fromkeys(keys) if key not in self._memory]
        if missing:
            self._memory.update(self.cache.get_many(missing))
        to_compute = {key: text for key, text in zip(keys, texts) if key not in self._memory}
        self.reused += len(keys) - len(to_compute)
        pending = list(to_compute.items())
        for offset in range(0, len(pending), _ENCODE_CHUNK):
            chunk = pending[offset:offset + _ENCODE_CHUNK]
            fresh = dict(zip((key for key, _ in chunk), self.model.encode([text for _, text in chunk])))
            self.cache.put_many(fresh)
            self._memory.update(fresh)
            self.computed += len(fresh)
            if progress:
                progress(offset + len(chunk), len(pending))
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([self._memory[key] for key in keys]).astype(np.float32, copy=False)
