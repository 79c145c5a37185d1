"""Session fixtures shared by the engine tests: one settings object, one real engine.

The embedding cache lives in a temporary folder of the session, so tests never touch the
user's cache and the model loads once for the whole run.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checker.engine import Engine
from checker.settings import Settings, load_settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings (environment ignored) with the embedding cache in a session folder."""
    # a check waits 1 s (not 30) for the check lock, so tests of a held lock stay quick
    return load_settings(environ={}, cache_dir=str(tmp_path_factory.mktemp("embedding-cache")),
                         check_lock_wait_seconds=1)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Engine:
    """The one real engine of the session (the model loads on first use)."""
    return Engine(settings)


REPOSITORY = Path(__file__).resolve().parents[1]


def copy_examples(target: Path) -> Path:
    """A corpus folder laid out as the CLI expects: protocols/ and documents/<department>/."""
    shutil.copytree(REPOSITORY / "protocols", target / "protocols")
    shutil.copytree(REPOSITORY / "examples" / "documents", target / "documents")
    return target


@pytest.fixture(scope="session")
def examples_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of protocols/ and examples/documents/ as one corpus (do not modify it in a test)."""
    return copy_examples(tmp_path_factory.mktemp("examples-corpus"))


@pytest.fixture(scope="session")
def expected_conflicts() -> list[dict]:
    """The planted conflicts of the examples corpus (examples/expected.jsonl)."""
    with open(REPOSITORY / "examples" / "expected.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
