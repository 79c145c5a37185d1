"""Session fixtures shared by the engine tests: one settings object, one real engine.

The embedding cache lives in a temporary folder of the session, so tests never touch the
user's cache and the model loads once for the whole run.
"""
from __future__ import annotations

import pytest

from checker.engine import Engine
from checker.settings import Settings, load_settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings (environment ignored) with the embedding cache in a session folder."""
    return load_settings(environ={}, cache_dir=str(tmp_path_factory.mktemp("embedding-cache")))


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Engine:
    """The one real engine of the session (the model loads on first use)."""
    return Engine(settings)
