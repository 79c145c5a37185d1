"""Fingerprints: what a document's stored results were computed from, as SHA-256 hex digests.

A document is re-checked when its *input fingerprint* (its content's, the protocol set's and
the settings') differs from the one stored by its last check."""
from __future__ import annotations

import hashlib
from typing import Sequence

from checker.settings import Settings

#: Bump when the batch's own logic changes what it stores, to re-check everything once.
BATCH_FORMAT = "2"


def _sha(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def settings_fingerprint(settings: Settings) -> str:
    """What checking results depend on besides the statements: the engine's own list
    (``Settings.fingerprint``), the judge threshold, the model name, the engine's version and
    this batch's format."""
    try:
        from checker import __version__ as engine_version
    except ImportError:  # pragma: no cover
        engine_version = "?"
    return _sha(BATCH_FORMAT, engine_version, settings.fingerprint(), repr(settings.min_score), settings.model_name)


def protocol_set_fingerprint(protocols: dict[str, list[str]]) -> str:
    """Paths and statement keys of every protocol's current version."""
    return _sha(*(f"{path}\t{','.join(keys)}" for path, keys in sorted(protocols.items())))


def content_fingerprint(path: str, keys: Sequence[str]) -> str:
    """``keys``: one string per statement (its text key, headings and scope line, see
    :func:`web.batch.queries._keys_by_version`): what the engine reads of a statement besides
    its offsets."""
    return _sha(path, *keys)


def input_fingerprint(content: str, protocols: str, settings: str) -> str:
    return _sha(content, protocols, settings)
