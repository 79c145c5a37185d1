"""The reader: every supported format becomes text plus blocks whose spans index that text."""
from __future__ import annotations

from pathlib import Path

import pytest

from checker.reader import SUPPORTED_SUFFIXES, extract, read_file
from checker.records import Extracted
from checker.statements import split_statements
from tests.checker.fixtures.builders import assert_offsets, make_docx, make_pdf

MARKDOWN = """\
# Knee Replacement

Applies to adults.
These lines belong to one paragraph.

## Wound care

- Keep the dressing dry for 7 days.
* Call the clinic if it leaks.
+ Do not swim.
1. Shower after 48 hours.
   Pat the dressing dry.

### Medicines

| Medicine | How often |
|----------|-----------|
| Acetaminophen | Every 6 hours, at most 4 times a day. |

## Driving ##

Do not drive for 6 weeks.
"""

PLAIN = """\
NORTHGATE HOSPITAL
Refill line script

GREETING
Agent: Thank you for calling.
Agent: How can I help?

[Caller asks about hours]
Agent: We open at 8 a.m. every weekday.

Wound care

- Keep the dressing dry.
• Call us if it leaks.
1. Shower after two days.
This paragraph was wrapped by the editor at about sixty characters so
it continues on the next line.
"""

HTML = """\
<!DOCTYPE html>
<html><head><title>Ignored title</title><style>p { color: red }</style>
<script>var x = "Do not show this.";</script></head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header"><div>Northgate</div></header>
<nav><ul><li>Home</li><li>Find a Doctor</li></ul></nav>
<main>
  <p class="breadcrumb">Home / FAQ</p>
  <h1>After Surgery</h1>
  <p>Rest   for two&nbsp;days &amp; drink
     water.</p>
  <h2>Medicines</h2>
  <ul><li>Take <strong>acetaminophen</strong> every 6 hours.</li><li>No aspirin.</li></ul>
  <div class="cookie-banner"><p>We use cookies.</p></div>
  <table><tr><th>Dose</th><th>When</th></tr><tr><td>500 mg</td><td>With food at night.</td></tr></table>
  <dl><dt>Visiting</dt><dd>Two visitors at a time.</dd></dl>
  <blockquote>Call us first.</blockquote>
  <p>Line one<br>line two</p>
  <p hidden>Hidden text.</p>
  <aside>Related links</aside>
  <form><label>Search</label></form>
</main>
<footer><p>In an emergency, call 911.</p></footer>
</body></html>
"""


def kinds_and_texts(extracted: Extracted) -> list[tuple[str, str]]:
    return [(block.kind, block.text) for block in extracted.blocks]


def test_supported_suffixes_are_exactly_the_contract() -> None:
    assert SUPPORTED_SUFFIXES == (".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf")


def test_markdown_text_is_the_file_itself_and_blocks_point_into_it() -> None:
    extracted = extract("sheet.md", MARKDOWN.encode())
    assert extracted.text == MARKDOWN
    assert_offsets(extracted)
    assert ("heading", "Knee Replacement") in kinds_and_texts(extracted)
    assert ("paragraph", "Applies to adults.\nThese lines belong to one paragraph.") in kinds_and_texts(extracted)


def test_markdown_list_markers_of_every_kind_are_left_out_of_the_block() -> None:
    items = [b.text for b in extract("sheet.md", MARKDOWN.encode()).blocks if b.kind == "list_item"]
    assert items == ["Keep the dressing dry for 7 days.", "Call the clinic if it leaks.", "Do not swim.",
                     "Shower after 48 hours.\n   Pat the dressing dry."]


def test_markdown_heading_paths_nest_and_close_by_level() -> None:
    blocks = extract("sheet.md", MARKDOWN.encode()).blocks
    by_text = {block.text: block for block in blocks}
    assert by_text["Do not swim."].heading_path == ("Knee Replacement", "Wound care")
    assert by_text["Driving"].level == 2 and by_text["Driving"].heading_path == ("Knee Replacement",)
    assert by_text["Do not drive for 6 weeks."].heading_path == ("Knee Replacement", "Driving")


def test_markdown_table_cells_are_blocks_with_column_and_row_labels() -> None:
    cells = [b for b in extract("sheet.md", MARKDOWN.encode()).blocks if b.kind == "table_cell"]
    assert [cell.text for cell in cells] == ["Medicine", "How often", "Acetaminophen",
                                             "Every 6 hours, at most 4 times a day."]
    assert cells[-1].heading_path[-2:] == ("How often", "Acetaminophen")


def test_markdown_setext_headings_and_front_matter() -> None:
    text = "---\ntitle: x\n---\nFasting\n=======\n\nNo food after midnight.\n"
    extracted = extract("f.markdown", text.encode())
    assert kinds_and_texts(extracted) == [("heading", "Fasting"), ("paragraph", "No food after midnight.")]
    assert extracted.blocks[1].heading_path == ("Fasting",)


def test_markdown_comments_and_code_fences_are_not_text() -> None:
    text = "<!-- reviewed\nby pharmacy -->\nKeep cool.\n\n```\nnot = prose\n```\n<!-- one line -->\nDone.\n"
    assert kinds_and_texts(extract("c.md", text.encode())) == [("paragraph", "Keep cool."), ("paragraph", "Done.")]


def test_plain_text_caps_titles_brackets_and_lists_become_the_right_blocks() -> None:
    extracted = extract("script.txt", PLAIN.encode())
    assert extracted.text == PLAIN
    assert_offsets(extracted)
    pairs = kinds_and_texts(extracted)
    assert pairs[:3] == [("heading", "NORTHGATE HOSPITAL"), ("heading", "Refill line script"),
                         ("heading", "GREETING")]
    assert ("heading", "Caller asks about hours") in pairs
    assert ("heading", "Wound care") in pairs
    assert [text for kind, text in pairs if kind == "list_item"] == [
        "Keep the dressing dry.", "Call us if it leaks.", "Shower after two days."]


def test_plain_text_title_right_under_a_caps_heading_is_a_heading() -> None:
    text = ("NORTHGATE HOSPITAL\nWound care\n\nKeep it dry.\n\n"
            "CALL 911 RIGHT AWAY IF YOU HAVE CHEST PAIN OR CANNOT BREATHE\n")
    pairs = kinds_and_texts(extract("a.txt", text.encode()))
    assert pairs == [("heading", "NORTHGATE HOSPITAL"), ("heading", "Wound care"), ("paragraph", "Keep it dry."),
                     ("paragraph", "CALL 911 RIGHT AWAY IF YOU HAVE CHEST PAIN OR CANNOT BREATHE")]


def test_plain_text_puts_each_script_line_in_its_own_block() -> None:
    pairs = kinds_and_texts(extract("script.txt", PLAIN.encode()))
    assert ("paragraph", "Agent: Thank you for calling.") in pairs
    assert ("paragraph", "Agent: How can I help?") in pairs


def test_plain_text_joins_hard_wrapped_lines_into_one_block() -> None:
    blocks = extract("script.txt", PLAIN.encode()).blocks
    assert blocks[-1].text.endswith("sixty characters so\nit continues on the next line.")
    assert blocks[-1].heading_path == ("GREETING", "Wound care")


def test_plain_text_short_lines_in_a_file_of_long_lines_are_not_wrapped() -> None:
    text = ("Pre-operative reminder call: script for Day Surgery nurses\n"
            "Pre-Admission Clinic: 555-0112    Day Surgery Unit: 555-0115\n\n"
            "Use this script for adults booked for day surgery under general anesthesia or sedation. "
            "Make the call on the working day before.\n")
    blocks = extract("s.txt", text.encode()).blocks
    assert [b.text for b in blocks][:2] == ["Pre-operative reminder call: script for Day Surgery nurses",
                                            "Pre-Admission Clinic: 555-0112    Day Surgery Unit: 555-0115"]


def test_plain_text_bracket_line_is_context_for_the_lines_below() -> None:
    blocks = extract("script.txt", PLAIN.encode()).blocks
    line = next(b for b in blocks if "8 a.m." in b.text)
    assert line.heading_path[-1] == "Caller asks about hours"


def test_plain_text_keeps_windows_line_endings_in_offsets() -> None:
    text = "TITLE\r\n\r\nFirst line.\r\nSecond line.\r\n"
    extracted = extract("a.txt", text.encode())
    assert extracted.text == text
    assert_offsets(extracted)
    assert kinds_and_texts(extracted) == [("heading", "TITLE"), ("paragraph", "First line."),
                                          ("paragraph", "Second line.")]


def test_html_keeps_main_content_and_skips_nav_footer_script_and_furniture() -> None:
    extracted = extract("page.html", HTML.encode())
    assert_offsets(extracted)
    text = extracted.text
    for unwanted in ("Skip to main", "Find a Doctor", "Northgate", "Do not show", "color: red", "Home / FAQ",
                     "cookies", "Hidden text", "Related links", "Search", "911", "Ignored title"):
        assert unwanted not in text, unwanted
    assert ("paragraph", "Rest for two days & drink water.") in kinds_and_texts(extracted)


def test_html_blocks_have_kinds_levels_heading_paths_and_joined_offsets() -> None:
    extracted = extract("page.HTM", HTML.encode())
    pairs = kinds_and_texts(extracted)
    assert ("list_item", "Take acetaminophen every 6 hours.") in pairs
    assert ("table_cell", "With food at night.") in pairs
    assert ("paragraph", "Two visitors at a time.") in pairs
    assert ("paragraph", "Call us first.") in pairs
    assert ("paragraph", "Line one\nline two") in pairs
    assert extracted.text == "\n\n".join(block.text for block in extracted.blocks)
    item = next(b for b in extracted.blocks if b.text == "No aspirin.")
    assert item.heading_path == ("After Surgery", "Medicines")
    assert next(b for b in extracted.blocks if b.text == "Medicines").level == 2


def test_html_table_cells_carry_column_header_and_row_label() -> None:
    cell = next(b for b in extract("page.html", HTML.encode()).blocks if b.text == "With food at night.")
    assert cell.heading_path == ("After Surgery", "Medicines", "When", "500 mg")


def test_html_paragraphs_inside_list_items_stay_list_items() -> None:
    page = "<main><ul><li><p>Rest today.</p><ul><li>Nested item.</li></ul></li></ul></main>"
    assert kinds_and_texts(extract("p.html", page.encode())) == [("list_item", "Rest today."),
                                                               ("list_item", "Nested item.")]


def test_html_without_main_uses_the_body_minus_furniture() -> None:
    page = "<html><body><div id='main-menu'>Menu</div><h1>Title</h1><div>Loose text in a div.</div></body></html>"
    assert kinds_and_texts(extract("p.htm", page.encode())) == [("heading", "Title"),
                                                                ("paragraph", "Loose text in a div.")]


def build_docx(document) -> None:
    document.add_heading("Discharge Sheet", level=0)
    document.add_heading("Medicines", level=1)
    document.add_paragraph("Take the tablets with food.")
    document.add_paragraph("Do not drink alcohol.", style="List Bullet")
    document.add_paragraph("Call if you feel dizzy.", style="List Number")
    document.add_heading("Dosing", level=2)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Medicine", "Dose"
    table.cell(1, 0).text, table.cell(1, 1).text = "Ibuprofen", "Take 400 mg every 8 hours."
    document.add_paragraph("   ")
    document.add_paragraph("After the table.")


def test_docx_headings_lists_and_tables_in_body_order() -> None:
    extracted = extract("sheet.docx", make_docx(build_docx))
    assert_offsets(extracted)
    assert kinds_and_texts(extracted) == [
        ("heading", "Discharge Sheet"), ("heading", "Medicines"),
        ("paragraph", "Take the tablets with food."), ("list_item", "Do not drink alcohol."),
        ("list_item", "Call if you feel dizzy."), ("heading", "Dosing"),
        ("table_cell", "Medicine"), ("table_cell", "Dose"), ("table_cell", "Ibuprofen"),
        ("table_cell", "Take 400 mg every 8 hours."), ("paragraph", "After the table."),
    ]


def test_docx_heading_paths_put_the_title_above_heading_one() -> None:
    blocks = extract("sheet.DOCX", make_docx(build_docx)).blocks
    by_text = {block.text: block for block in blocks}
    assert by_text["Do not drink alcohol."].heading_path == ("Discharge Sheet", "Medicines")
    assert by_text["Dosing"].level == 2
    assert by_text["Take 400 mg every 8 hours."].heading_path == (
        "Discharge Sheet", "Medicines", "Dosing", "Dose", "Ibuprofen")


def test_docx_merged_cells_are_read_once() -> None:
    def build(document) -> None:
        table = document.add_table(rows=1, cols=3)
        merged = table.cell(0, 0).merge(table.cell(0, 1))
        merged.text = "Keep the wound dry."
        table.cell(0, 2).text = "Other cell text."
    texts = [b.text for b in extract("m.docx", make_docx(build)).blocks]
    assert texts == ["Keep the wound dry.", "Other cell text."]


PDF_PAGES = [[
    "Taking your medicines",
    "Take two tablets of paracetamol every six hours with a glass of water, and do not",
    "take more than eight tablets in one day. Keep all medi-",
    "cines away from children.",
    "\u2022 Store below 25 degrees.",
    "- Do not freeze the",
    "liquid form.",
], ["2", "Call the pharmacy at 555-0291 with questions."]]


def test_pdf_rebuilds_paragraphs_from_wrapped_lines_and_dehyphenates() -> None:
    extracted = extract("leaflet.pdf", make_pdf(PDF_PAGES))
    assert_offsets(extracted)
    assert kinds_and_texts(extracted) == [
        ("heading", "Taking your medicines"),
        ("paragraph", "Take two tablets of paracetamol every six hours with a glass of water, and do not "
                      "take more than eight tablets in one day. Keep all medicines away from children."),
        ("list_item", "Store below 25 degrees."),
        ("list_item", "Do not freeze the liquid form."),
        ("paragraph", "Call the pharmacy at 555-0291 with questions."),
    ]
    assert extracted.blocks[1].heading_path == ("Taking your medicines",)


def test_pdf_short_bullets_without_periods_do_not_swallow_the_next_heading() -> None:
    lines = ["What to bring", "\u2022 Photo ID", "\u2022 Insurance card", "Parking",
             "Park in the Elm Street Garage and bring your ticket to the front desk for validation.",
             "Validation is free."]
    extracted = extract("letter.pdf", make_pdf([lines]))
    assert kinds_and_texts(extracted) == [
        ("heading", "What to bring"), ("list_item", "Photo ID"), ("list_item", "Insurance card"),
        ("heading", "Parking"),
        ("paragraph", "Park in the Elm Street Garage and bring your ticket to the front desk for validation."),
        ("paragraph", "Validation is free."),
    ]
    assert extracted.blocks[-1].heading_path == ("Parking",)


@pytest.mark.parametrize("name, data", [
    ("a.md", MARKDOWN.encode()),
    ("a.txt", PLAIN.encode()),
    ("a.html", HTML.encode()),
    ("a.docx", make_docx(build_docx)),
    ("a.pdf", make_pdf(PDF_PAGES)),
])
def test_offset_invariant_holds_for_blocks_and_pieces_of_every_format(name: str, data: bytes) -> None:
    extracted = extract(name, data)
    assert_offsets(extracted)
    pieces = split_statements(extracted)
    assert pieces
    for piece in pieces:
        assert extracted.text[piece.start:piece.end] == piece.text


def test_read_file_reads_from_disk_and_uses_the_display_path(tmp_path: Path) -> None:
    path = tmp_path / "Leaflet.MD"
    path.write_bytes(b"# Title\n\nDrink water.\n")
    extracted = read_file(path, display_path="documents/x/Leaflet.MD")
    assert [b.text for b in extracted.blocks] == ["Title", "Drink water."]


def test_utf8_bom_is_not_part_of_the_text() -> None:
    extracted = extract("a.md", "\ufeff# Title\n\nText here.\n".encode("utf-8"))
    assert extracted.text.startswith("# Title")
    assert extracted.blocks[0].text == "Title"


def test_utf16_text_with_a_bom_reads() -> None:
    extracted = extract("a.txt", "Drink water every hour.\n".encode("utf-16"))
    assert extracted.blocks[0].text == "Drink water every hour."


CORPUS = Path("/work/shared/eval/dev-corpus")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared dev corpus is not available here")
def test_every_dev_corpus_file_reads_with_consistent_offsets() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES and p.name != "README.md")
    assert files
    for path in files:
        extracted = read_file(path)
        assert_offsets(extracted)
        assert split_statements(extracted), path
