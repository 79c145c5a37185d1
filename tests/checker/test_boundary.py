"""The engine's boundary: ``checker`` never imports the web app, Flask or SQLAlchemy, and only
``checker.model`` touches model libraries."""
from __future__ import annotations

import ast
from pathlib import Path

CHECKER = Path(__file__).resolve().parents[2] / "checker"
WEB_LIBRARIES = ("web", "flask", "flask_wtf", "sqlalchemy", "alembic", "werkzeug", "psycopg2")
MODEL_LIBRARIES = ("sentence_transformers", "transformers", "torch", "onnxruntime", "huggingface_hub")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (imports inside functions count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def offenders(libraries: tuple[str, ...], allowed: set[str] = frozenset()) -> dict[str, set[str]]:
    result = {}
    for path in sorted(CHECKER.rglob("*.py")):
        name = path.relative_to(CHECKER.parent).as_posix()
        bad = {m for m in imported_modules(path) if m.split(".")[0] in libraries}
        if bad and name not in allowed:
            result[name] = bad
    return result


def test_the_engine_never_imports_the_web_app_flask_or_sqlalchemy():
    assert offenders(WEB_LIBRARIES) == {}


def test_only_checker_model_touches_model_libraries():
    assert offenders(MODEL_LIBRARIES, allowed={"checker/model.py"}) == {}


def test_the_boundary_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from web.batch import nightly_main\n", encoding="utf-8")
    assert "web.batch" in imported_modules(sample)
