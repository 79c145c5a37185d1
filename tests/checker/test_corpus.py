"""Reading a corpus folder: which files, in which role and department, named how."""
from __future__ import annotations

from pathlib import Path

import pytest

from checker.corpus import CorpusError, list_files, load_corpus
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def small_corpus(root: Path) -> Path:
    write(root, "protocols/fasting.md", "# Fasting\n\nDo not eat for 6 hours before your surgery.\n")
    write(root, "protocols/README.md", "# About these protocols\n\nNot a protocol.\n")
    write(root, "documents/surgery/leaflet.txt", "Do not eat for 6 hours before your surgery.\n")
    write(root, "documents/surgery/letters/reminder.md", "Please arrive at 7 a.m. for your surgery.\n")
    write(root, "documents/surgery/.draft.md", "A hidden draft.\n")
    write(root, "documents/general.md", "Bring a list of your medicines.\n")
    return root


def test_files_are_listed_in_a_stable_order_with_paths_relative_to_the_corpus(tmp_path):
    displays = [f.display for f in list_files(small_corpus(tmp_path))]
    assert displays == ["protocols/fasting.md", "documents/surgery/leaflet.txt",
                        "documents/surgery/letters/reminder.md", "documents/general.md"]


def test_readmes_and_hidden_files_are_skipped(tmp_path):
    displays = " ".join(f.display for f in list_files(small_corpus(tmp_path)))
    assert "README" not in displays and ".draft" not in displays


def test_a_documents_sub_folder_is_its_department(tmp_path):
    files = {f.display: f for f in list_files(small_corpus(tmp_path))}
    assert files["protocols/fasting.md"].role == ROLE_PROTOCOL and files["protocols/fasting.md"].department == ""
    assert files["documents/surgery/letters/reminder.md"].department == "surgery"
    assert files["documents/general.md"].role == ROLE_DOCUMENT and files["documents/general.md"].department == ""


def test_paths_stay_relative_when_the_folders_are_symlinks(tmp_path):
    real = small_corpus(tmp_path / "real")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "protocols").symlink_to(real / "protocols")
    (linked / "documents").symlink_to(real / "documents")
    assert [f.display for f in list_files(linked)] == [f.display for f in list_files(real)]


def test_separate_protocols_and_documents_folders_can_be_given(tmp_path):
    root = small_corpus(tmp_path / "corpus")
    files = list_files(tmp_path, protocols_dir=root / "protocols", documents_dir=root / "documents")
    assert {f.display for f in files} >= {"corpus/protocols/fasting.md", "corpus/documents/surgery/leaflet.txt"}


def test_a_missing_folder_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="not a folder"):
        list_files(tmp_path / "nowhere")


def test_a_folder_without_protocols_or_documents_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="protocols/ or documents/"):
        list_files(tmp_path)


def test_loading_reads_statements_by_role_and_department(engine, tmp_path):
    corpus = load_corpus(engine, list_files(small_corpus(tmp_path)))
    assert not corpus.errors and corpus.files == 4
    assert [s.path for s in corpus.protocols] == ["protocols/fasting.md"] * len(corpus.protocols)
    leaflet = [s for s in corpus.documents if s.path == "documents/surgery/leaflet.txt"]
    assert [(s.text, s.department) for s in leaflet] == [("Do not eat for 6 hours before your surgery.", "surgery")]


def test_an_unreadable_file_is_reported_and_the_rest_still_load(engine, tmp_path):
    root = small_corpus(tmp_path)
    (root / "documents" / "surgery" / "broken.pdf").write_bytes(b"this is not a PDF")
    (root / "documents" / "surgery" / "rota.xls").write_bytes(b"cells")
    corpus = load_corpus(engine, list_files(root))
    assert sorted(e.path for e in corpus.errors) == ["documents/surgery/broken.pdf", "documents/surgery/rota.xls"]
    assert "unsupported file type '.xls'" in str(next(e for e in corpus.errors if e.path.endswith(".xls")))
    assert {s.path for s in corpus.documents} == {"documents/surgery/leaflet.txt",
                                                  "documents/surgery/letters/reminder.md", "documents/general.md"}


def test_the_examples_corpus_reads_without_errors(engine, examples_corpus):
    corpus = load_corpus(engine, list_files(examples_corpus))
    assert not corpus.errors
    assert {s.department for s in corpus.documents} == {
        "cardiology", "day-surgery", "emergency", "ophthalmology", "paediatrics", "pharmacy", "radiology"}
    assert len({s.path for s in corpus.protocols}) == 10
