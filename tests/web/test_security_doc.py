"""docs/security.md names the test behind each control: every named test must exist."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"`((?:tests/checker/)?[\w/]*test_\w+\.py)::(test_\w+)`|`::(test_\w+)`")


def _named_tests() -> list[tuple[str, str]]:
    named, current = [], ""
    for line in (ROOT / "docs" / "security.md").read_text(encoding="utf-8").splitlines():
        for match in NAMED.finditer(line):
            if match.group(1):
                current = match.group(1)
                named.append((current, match.group(2)))
            else:
                named.append((current, match.group(3)))
    return named


def test_every_test_the_security_checklist_names_exists():
    named = _named_tests()
    assert len(named) >= 25
    for path, name in named:
        file = ROOT / path if path.startswith("tests/") else ROOT / "tests" / "web" / path
        assert re.search(rf"^def {name}\(", file.read_text(encoding="utf-8"), re.MULTILINE), f"{path}::{name}"
