"""No module of the engine or the web app grows past 400 lines: split it by what it does."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 400


@pytest.mark.parametrize("package", ["checker", "web"])
def test_no_module_is_over_the_line_limit(package):
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts}
    assert sizes, f"no modules found under {package}/"
    assert {path: lines for path, lines in sizes.items() if lines > LIMIT} == {}
