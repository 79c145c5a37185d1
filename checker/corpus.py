"""Reading a corpus folder: ``protocols/*`` and ``documents/<department>/*``.

Paths in statements (and so in findings) are relative to the corpus folder, with forward
slashes. A file that cannot be read is reported and skipped; the rest of the corpus still scans.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from checker.engine import Engine
from checker.reader import SUPPORTED_SUFFIXES
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, DocumentError, Statement

_IGNORED_NAMES = {"readme.md", "readme.txt", "readme", "expected.jsonl"}


def is_content_file(path: Path) -> bool:
    """A file of the corpus's content: not hidden, not a README or the labels."""
    return not path.name.startswith(".") and path.name.lower() not in _IGNORED_NAMES


class CorpusError(Exception):
    """The corpus folder itself is unusable (missing, or holds no protocols and no documents)."""


@dataclass
class Corpus:
    protocols: list[Statement] = field(default_factory=list)
    documents: list[Statement] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    files: int = 0


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    display: str
    role: str
    department: str


def list_files(root: Path, protocols_dir: Path | None = None, documents_dir: Path | None = None) -> list[CorpusFile]:
    """The corpus files in a stable order. Hidden files and READMEs are skipped."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"{root}: not a folder")
    protocols_dir = Path(protocols_dir) if protocols_dir else root / "protocols"
    documents_dir = Path(documents_dir) if documents_dir else root / "documents"
    if not protocols_dir.is_dir() and not documents_dir.is_dir():
        raise CorpusError(f"{root}: expected a protocols/ or documents/ folder inside it")
    files = [CorpusFile(p, _display(root, p, "protocols", protocols_dir), ROLE_PROTOCOL, "")
             for p in _files_in(protocols_dir)]
    if documents_dir.is_dir():
        for department in sorted(d for d in documents_dir.iterdir() if d.is_dir() and not d.name.startswith(".")):
            files += [CorpusFile(p, _display(root, p, "documents", documents_dir), ROLE_DOCUMENT, department.name)
                      for p in _files_in(department, recursive=True)]
        files += [CorpusFile(p, _display(root, p, "documents", documents_dir), ROLE_DOCUMENT, "")
                  for p in _files_in(documents_dir)]
    return files


def _files_in(folder: Path, recursive: bool = False) -> list[Path]:
    if not folder.is_dir():
        return []
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.is_file() and is_content_file(p))


def _display(root: Path, path: Path, kind: str, folder: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return f"{kind}/{path.resolve().relative_to(folder.resolve()).as_posix()}"


def load_corpus(engine: Engine, files: list[CorpusFile],
                progress: Callable[[CorpusFile], None] | None = None) -> Corpus:
    """Statements of every readable file; unreadable ones land in ``errors``."""
    corpus = Corpus(files=len(files))
    for item in files:
        if progress:
            progress(item)
        try:
            if item.path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise DocumentError(item.display, f"unsupported file type '{item.path.suffix or '(none)'}'; "
                                                  f"expected one of {', '.join(SUPPORTED_SUFFIXES)}")
            statements = engine.read(item.display, item.path.read_bytes(), item.role, item.department)
        except DocumentError as error:
            corpus.errors.append(DocumentError(item.display, error.reason))
            continue
        except OSError as error:
            corpus.errors.append(DocumentError(item.display, f"cannot be read: {error.strerror or error}"))
            continue
        (corpus.protocols if item.role == ROLE_PROTOCOL else corpus.documents).extend(statements)
    return corpus
