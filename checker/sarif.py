"""Findings as a SARIF 2.1.0 log, so a documentation repository's CI can show them in a
code-scanning UI next to the lines they are about (as linters such as Vale do).

One run, one tool ("Touchpoint"), one rule per finding kind (``touchpoint/numeric``, ...), one
result per finding: its level from the severity, its message the one-line why, its location the
document statement and a related location the protocol (or other document) statement it
contradicts. Paths are relative to the scanned folder (``uriBaseId`` ``CORPUS``). A plain-text
file (.md, .txt) gets line and column regions; other formats (HTML, docx, PDF) are read into text
first, so their statements are located by a snippet of the text instead. The fingerprint is the
finding's own, so a code-scanning UI tracks a finding across runs as the web app does.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable

from checker.records import FINDING_KINDS, Finding, Statement

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"high": "error", "medium": "warning", "low": "note"}
_TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text"}
_KIND_HELP = {
    "numeric": "A number (dose, duration, limit, threshold) differs once units are normalised.",
    "negation": "One statement forbids, stops or denies what the other allows or requires.",
    "action": "The same situation is sent to help of a different urgency or to someone else.",
    "timing": "A different time, order or moment for the same step.",
    "contact": "A different phone number or opening hours for the same service.",
    "medication": "A drug recommended where it is forbidden, stopped where it is kept, or another drug.",
}


def sarif_log(findings: Iterable[Finding], root: Path | None = None) -> dict[str, Any]:
    """The SARIF log of ``findings``; ``root`` is the scanned folder (for line numbers and the base URI)."""
    rules = [_rule(kind) for kind in FINDING_KINDS]
    results = [_result(finding, root) for finding in findings]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "Touchpoint", "version": _tool_version(), "semanticVersion": _tool_version(),
                            "informationUri": "https://example.org/touchpoint", "rules": rules}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if root is not None:
        run["originalUriBaseIds"] = {"CORPUS": {"uri": root.resolve().as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rule(kind: str) -> dict[str, Any]:
    return {"id": f"touchpoint/{kind}", "name": kind.title(),
            "shortDescription": {"text": f"{kind.title()} contradiction"},
            "fullDescription": {"text": _KIND_HELP.get(kind, kind)},
            "defaultConfiguration": {"level": "warning"}}


def _result(finding: Finding, root: Path | None) -> dict[str, Any]:
    return {
        "ruleId": f"touchpoint/{finding.kind}",
        "ruleIndex": FINDING_KINDS.index(finding.kind),
        "level": _LEVELS.get(finding.severity, "warning"),
        "message": {"text": f"{finding.explanation} (contradicts {finding.source.path}: "
                            f"\"{finding.source.text}\")"},
        "locations": [_location(finding.statement, root)],
        "relatedLocations": [{**_location(finding.source, root), "id": 1,
                              "message": {"text": f"the {finding.source.role} statement it contradicts"}}],
        "partialFingerprints": {"touchpointFinding/v1": finding.fingerprint},
        "rank": round(finding.score * 100.0, 1),
        "properties": {"kind": finding.kind, "severity": finding.severity, "score": round(finding.score, 4),
                       "department": finding.statement.department},
    }


def _location(statement: Statement, root: Path | None) -> dict[str, Any]:
    region: dict[str, Any] = {"snippet": {"text": statement.text}}
    lines = _line_region(statement, root)
    if lines:
        region.update(lines)
    return {"physicalLocation": {"artifactLocation": {"uri": statement.path, "uriBaseId": "CORPUS"},
                                 "region": region}}


def _line_region(statement: Statement, root: Path | None) -> dict[str, int] | None:
    """Lines and columns (1-based) of a statement in a plain-text file whose text holds it at its offsets."""
    if root is None or Path(statement.path).suffix.lower() not in _TEXT_SUFFIXES:
        return None
    text = _file_text(str(root / statement.path))
    if text is None or text[statement.start:statement.end] != statement.text:
        return None
    start_line = text.count("\n", 0, statement.start) + 1
    end_line = text.count("\n", 0, statement.end) + 1
    start_column = statement.start - (text.rfind("\n", 0, statement.start) + 1) + 1
    end_column = statement.end - (text.rfind("\n", 0, statement.end) + 1) + 1
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


@lru_cache(maxsize=256)
def _file_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _tool_version() -> str:
    try:
        return version("touchpoint")
    except PackageNotFoundError:
        return "0.0.0"
