"""Unreadable input never crashes: it becomes a DocumentError that names the file and says why."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from checker.reader import extract, read_file
from checker.records import DocumentError
from tests.checker.fixtures.builders import encrypt_pdf, make_blank_pdf, make_docx, make_pdf


def reason_for(name: str, data: bytes, display_path: str | None = None) -> str:
    with pytest.raises(DocumentError) as caught:
        extract(name, data, display_path=display_path)
    error = caught.value
    assert error.path == (display_path or name)
    assert (display_path or name) in str(error)
    return error.reason


def test_unknown_suffix_names_the_type_and_the_expected_ones() -> None:
    reason = reason_for("rota.xls", b"whatever")
    assert "unsupported file type '.xls'" in reason
    assert ".md" in reason and ".pdf" in reason


def test_a_file_without_a_suffix_is_unsupported() -> None:
    assert "unsupported file type" in reason_for("README", b"text")


def test_empty_file_is_reported_for_every_format() -> None:
    for name in ("a.md", "a.txt", "a.html", "a.docx", "a.pdf"):
        assert "empty" in reason_for(name, b"")


def test_whitespace_only_text_file_has_no_text() -> None:
    assert "no text" in reason_for("a.md", b"  \n\n\t\n")


def test_binary_junk_named_txt_does_not_look_like_text() -> None:
    junk = bytes(range(256)) * 8
    assert "does not look like a text file" in reason_for("notes.txt", junk)


def test_control_characters_without_nul_still_do_not_look_like_text() -> None:
    junk = bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 65, 66]) * 50
    assert "does not look like a text file" in reason_for("notes.md", junk)


def test_a_png_named_html_does_not_look_like_text() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(200)
    assert "does not look like a text file" in reason_for("page.html", png)


def test_cp1252_text_with_smart_quotes_reads_correctly() -> None:
    data = "\u201cDon\u2019t\u201d take more than 4 g \u2013 ask your pharmacist.\n".encode("cp1252")
    extracted = extract("windows.txt", data)
    assert extracted.text == "\u201cDon\u2019t\u201d take more than 4 g \u2013 ask your pharmacist.\n"


def test_latin1_bytes_that_cp1252_leaves_undefined_still_read() -> None:
    extracted = extract("odd.md", b"Caf\xe9 \x81 open at 9 a.m. daily.\n")
    assert extracted.text.startswith("Caf\u00e9")


def test_html_in_windows_encoding_reads() -> None:
    data = "<p>Caf\u00e9 hours: 9\u201317.</p>".encode("cp1252")
    assert extract("p.html", data).blocks[0].text == "Caf\u00e9 hours: 9\u201317."


def test_corrupt_docx_that_is_not_a_zip() -> None:
    assert "not a valid .docx" in reason_for("sheet.docx", b"this is not a zip archive at all")


def test_truncated_docx_is_not_valid() -> None:
    data = make_docx(lambda document: document.add_paragraph("Hello there."))
    assert "not a valid .docx" in reason_for("sheet.docx", data[: len(data) // 2])


def test_zip_without_word_document_xml_is_not_a_docx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "word/document.xml" in reason_for("sheet.docx", buffer.getvalue())


def test_docx_with_broken_xml_is_reported() -> None:
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(make_docx(lambda d: d.add_paragraph("Hi there."))))
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            archive.writestr(item, b"<w:document><broken" if item.filename == "word/document.xml" else content)
    assert "not a valid .docx" in reason_for("sheet.docx", buffer.getvalue())


def _with_extra_part(data: bytes, name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item.filename))
        archive.writestr(name, content)
    return buffer.getvalue()


def test_a_docx_part_that_unpacks_hundreds_of_times_its_size_is_refused_as_a_zip_bomb() -> None:
    data = _with_extra_part(make_docx(lambda d: d.add_paragraph("Hi there.")), "word/media/filler.bin",
                            b"\0" * (4 * 1024 * 1024))
    assert len(data) < 100_000
    reason = reason_for("sheet.docx", data)
    assert "zip bomb" in reason and "word/media/filler.bin" in reason


def test_a_docx_that_unpacks_beyond_the_total_limit_is_refused_before_unpacking() -> None:
    from checker.reader._docx import MAX_UNPACKED_BYTES

    part = bytes(range(256)) * (MAX_UNPACKED_BYTES // 256 // 2 + 1)  # two parts, together over the total
    data = _with_extra_part(_with_extra_part(make_docx(lambda d: d.add_paragraph("Hi.")), "a.bin", part), "b.bin", part)
    reason = reason_for("sheet.docx", data)
    assert "unpacks to" in reason and "zip bomb" in reason


def test_a_docx_with_a_large_real_picture_is_not_a_bomb() -> None:
    picture = os.urandom(3 * 1024 * 1024)  # incompressible, like a photo
    data = _with_extra_part(make_docx(lambda d: d.add_paragraph("Keep the dressing dry.")), "word/media/photo.jpg", picture)
    assert extract("sheet.docx", data).blocks[0].text == "Keep the dressing dry."


def test_old_doc_or_protected_office_file_named_docx() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    assert "password-protected" in reason_for("sheet.docx", data)


def test_docx_with_no_text_has_no_text() -> None:
    assert "no text" in reason_for("blank.docx", make_docx())


def test_encrypted_pdf_asks_for_an_unprotected_copy() -> None:
    reason = reason_for("leaflet.pdf", encrypt_pdf(make_pdf([["Take two tablets daily."]])))
    assert reason == "is encrypted (password-protected); upload an unprotected copy"


def test_pdf_without_text_says_it_looks_scanned() -> None:
    reason = reason_for("scan.pdf", make_blank_pdf())
    assert "no extractable text" in reason and "scanned" in reason


def test_pdf_with_only_a_header_is_unreadable() -> None:
    assert "could not be read" in reason_for("broken.pdf", b"%PDF-1.7\n%%EOF\n")


def test_garbage_named_pdf_is_not_a_pdf() -> None:
    assert "not a PDF" in reason_for("leaflet.pdf", b"<html>not a pdf</html>")


def test_truncated_pdf_never_escapes_as_a_library_error() -> None:
    data = make_pdf([["Take two tablets daily."]])
    with pytest.raises(DocumentError):
        extract("cut.pdf", data[: len(data) // 3])


def test_display_path_is_used_in_the_message() -> None:
    reason_for("x.xls", b"1", display_path="documents/pharmacy/x.xls")


def test_read_file_on_a_missing_path_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        read_file(tmp_path / "missing.md")
    assert "missing.md" in str(caught.value)


def test_read_file_names_the_file_for_bad_content(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(DocumentError) as caught:
        read_file(path)
    assert "junk.txt" in str(caught.value)


@pytest.mark.parametrize("name", ["a.md", "a.txt", "a.html", "a.docx", "a.pdf"])
def test_random_bytes_never_escape_as_anything_but_a_document_error(name: str) -> None:
    for seed in range(5):
        data = bytes((seed * 7919 + i * 104729) % 256 for i in range(2000))
        try:
            extract(name, data)
        except DocumentError:
            pass
