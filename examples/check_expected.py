#!/usr/bin/env python3
"""Check examples/expected.jsonl against the example corpus. Standard library only.

Run from anywhere:  python3 examples/check_expected.py

Paths in expected.jsonl are written as if the corpus were one folder holding
``protocols/`` (the repository's protocols/) and ``documents/`` (examples/documents/).
For every planted conflict this script checks that:

- the line is a JSON object with exactly the expected keys and a known ``kind``;
- both files exist (``protocols/...`` under the repository root, ``documents/...`` under examples/);
- ``statement`` and ``source_statement`` each occur exactly once in the raw text of their file;
- in an HTML file, each one is the whole text of a single element: no tags, no entities, and
  nothing but whitespace between it and the surrounding ``>`` and ``<``;
- no two entries describe the same pair of statements.

It also checks that every example document and every protocol says it is fictional sample material.
Exit status 0 when everything passes, 1 otherwise.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
ROOT = EXAMPLES.parent
KEYS = {"document", "statement", "source", "source_statement", "kind", "note"}
KINDS = {"numeric", "negation", "action", "timing", "contact", "medication"}


def resolve(path: str) -> Path:
    if path.startswith("protocols/"):
        return ROOT / path
    if path.startswith("documents/"):
        return EXAMPLES / path
    raise ValueError(f"path must start with protocols/ or documents/: {path!r}")


def check_statement(where: str, path: Path, text: str, statement: str) -> list[str]:
    problems = []
    count = text.count(statement)
    if count != 1:
        problems.append(f"{where}: occurs {count} times in {path.relative_to(ROOT)} (must be exactly once): {statement!r}")
        return problems
    if statement != statement.strip() or not statement:
        problems.append(f"{where}: has leading/trailing whitespace or is empty: {statement!r}")
    if path.suffix.lower() in (".html", ".htm"):
        if any(ch in statement for ch in "<>&"):
            problems.append(f"{where}: contains a tag or entity character: {statement!r}")
        start = text.index(statement)
        before = text[:start].rstrip()
        after = text[start + len(statement):].lstrip()
        if not before.endswith(">") or not after.startswith("<"):
            problems.append(f"{where}: is not the whole text of one HTML element: {statement!r}")
    return problems


def main() -> int:
    problems: list[str] = []
    seen: set[frozenset] = set()
    counts: dict[str, int] = {}
    lines = (EXAMPLES / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"expected.jsonl:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{where}: not JSON: {error}")
            continue
        if not isinstance(row, dict) or set(row) != KEYS:
            problems.append(f"{where}: keys must be exactly {sorted(KEYS)}")
            continue
        if row["kind"] not in KINDS:
            problems.append(f"{where}: unknown kind {row['kind']!r}")
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
        if not row["document"].startswith("documents/"):
            problems.append(f"{where}: document must be under documents/")
        for path_key, statement_key in (("document", "statement"), ("source", "source_statement")):
            try:
                path = resolve(row[path_key])
            except ValueError as error:
                problems.append(f"{where}: {error}")
                continue
            if not path.is_file():
                problems.append(f"{where}: {path_key} file not found: {row[path_key]}")
                continue
            text = path.read_text(encoding="utf-8")
            problems += check_statement(f"{where} {statement_key}", path, text, row[statement_key])
        key = frozenset({(row["document"], row["statement"]), (row["source"], row["source_statement"])})
        if key in seen:
            problems.append(f"{where}: duplicate conflict")
        seen.add(key)

    for path in sorted((EXAMPLES / "documents").rglob("*")) + sorted((ROOT / "protocols").glob("*")):
        if path.is_file() and path.name != "README.md":
            if "fictional" not in path.read_text(encoding="utf-8").lower():
                problems.append(f"{path.relative_to(ROOT)}: does not say it is fictional sample material")

    for problem in problems:
        print(problem)
    total = sum(counts.values())
    summary = ", ".join(f"{kind} {counts.get(kind, 0)}" for kind in sorted(KINDS))
    print(f"{total} planted conflicts ({summary}): {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
