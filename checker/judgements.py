"""Judgements with an on-disk cache keyed by the rules' fingerprint and the pair's hash.

A verdict depends only on the two texts as judged, their similarity and whether the source is
another document, so an unchanged pair is never judged twice: not in one process, not in a
re-scan, not in the nightly batch's workers. "No clash" is cached too (most pairs). The key
starts with :func:`rules_fingerprint`, a hash of the engine's code and data, so editing a
detector, a lexicon or the calibration leaves every old judgement unused. Like the embedding
cache, the SQLite file (WAL mode) is safe to share between processes and safe to delete.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable

from checker.detectors import Verdict

_PACKAGE = Path(__file__).resolve().parent
_MEMORY_LIMIT = 200_000  # judged pairs kept in memory; the file keeps them all
Judged = tuple[Verdict, float] | None


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """Hash of every file the judge's behaviour depends on: the engine's code, lexicons, calibration."""
    digest = hashlib.sha256()
    for path in sorted([*_PACKAGE.rglob("*.py"), *_PACKAGE.rglob("*.json")]):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def pair_key(document_text: str, source_text: str, similarity: float, doc_vs_doc: bool) -> str:
    parts = (document_text, source_text, repr(float(similarity)), "d" if doc_vs_doc else "p")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]


def _encode(judged: Judged) -> str:
    if judged is None:
        return "null"
    verdict, score = judged
    return json.dumps([verdict.kind, verdict.confidence, verdict.explanation, verdict.doc_spans,
                       verdict.source_spans, verdict.facts, verdict.severity, score])


def _decode(text: str) -> Judged:
    data = json.loads(text)
    if data is None:
        return None
    kind, confidence, explanation, doc_spans, source_spans, facts, severity, score = data
    return Verdict(kind, confidence, explanation, tuple(map(tuple, doc_spans)), tuple(map(tuple, source_spans)),
                   tuple(map(tuple, facts)), severity), score


class JudgementCache:
    """Judged pairs in memory, backed by ``judgements.sqlite3`` in a cache folder (or memory only)."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.path = None if directory is None else Path(directory) / "judgements.sqlite3"
        self.version = rules_fingerprint()
        self._memory: dict[str, Judged] = {}
        self._pending: dict[str, str] = {}
        self._local = threading.local()
        self.judged = 0
        self.reused = 0
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as connection:
                connection.execute("CREATE TABLE IF NOT EXISTS judgement (version TEXT NOT NULL, key TEXT NOT NULL,"
                                   " judged TEXT NOT NULL, PRIMARY KEY (version, key))")

    def _connection(self) -> sqlite3.Connection:
        # a forked worker (the nightly batch's judges) must not use its parent's connection
        if getattr(self._local, "pid", None) != os.getpid():
            connection = sqlite3.connect(self.path, timeout=60)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection, self._local.pid = connection, os.getpid()
        return self._local.connection

    def judged_or(self, key: str, judge: Callable[[], Judged]) -> Judged:
        """The cached judgement of a pair, or ``judge()``'s, remembered for next time."""
        if key in self._memory:
            self.reused += 1
            return self._memory[key]
        stored = self._stored(key)
        if stored is not None:
            self.reused += 1
            self._memory[key] = judged = _decode(stored)
            return judged
        self.judged += 1
        if len(self._memory) >= _MEMORY_LIMIT:
            self._memory.clear()
        self._memory[key] = judged = judge()
        if self.path is not None:
            self._pending[key] = _encode(judged)
        return judged

    def _stored(self, key: str) -> str | None:
        if self.path is None:
            return None
        row = self._connection().execute("SELECT judged FROM judgement WHERE version = ? AND key = ?",
                                         (self.version, key)).fetchone()
        return row[0] if row else None

    def flush(self) -> None:
        """Write the judgements made since the last flush (callers flush after each batch of pairs)."""
        if not self._pending or self.path is None:
            return
        with self._connection() as connection:
            connection.executemany("INSERT OR REPLACE INTO judgement (version, key, judged) VALUES (?, ?, ?)",
                                   [(self.version, key, judged) for key, judged in self._pending.items()])
        self._pending.clear()
