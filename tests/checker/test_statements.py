"""The splitter: sentences and bullet items, abbreviation-proof, with context and clean spans."""
from __future__ import annotations

import time

import pytest

from checker.reader import extract
from checker.records import Block, Extracted
from checker.statements import sentence_spans, speaker_labels, split_statements


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def statements(name: str, text: str) -> list[str]:
    return [piece.text for piece in split_statements(extract(name, text.encode()))]


def test_sentence_splitting_keeps_dr_and_decimal_doses_together() -> None:
    assert sentences("See Dr. Raman today. Take 2.5 mg twice a day.") == [
        "See Dr. Raman today.", "Take 2.5 mg twice a day."]


@pytest.mark.parametrize("sentence", [
    "Mr. Lee and Mrs. Lee met Ms. Park at St. Mary's clinic.",
    "Use a cold pack, e.g. frozen peas, for swelling.",
    "Clear liquids, i.e. water or broth, are allowed.",
    "Take it at 8 a.m. on Monday.",
    "We are open 8 a.m. Monday to Friday.",
    "Call between 2 p.m. and 4 p.m. today.",
    "Use form No. 3 for the request.",
    "Take 1,000 mg vs. 500 mg as your doctor says.",
    "Take approx. 5 mL by mouth.",
    "Rest for 20 min. at a time, then walk.",
    "Approved in the U.S. and Canada for adults.",
    "Bring towels, gauze, etc. to the clinic.",
    "Call Dr. J. Smith at the clinic.",
    "Ask \"Is it safe?\" before you take it.",
    "Give 0.5 to 1 g per dose.",
])
def test_abbreviations_and_numbers_do_not_end_a_sentence(sentence: str) -> None:
    assert sentences(sentence) == [sentence]


@pytest.mark.parametrize("text, expected", [
    ("We open at 8 a.m. Call us then.", ["We open at 8 a.m.", "Call us then."]),
    ("Bring towels, gauze, etc. Then wait.", ["Bring towels, gauze, etc.", "Then wait."]),
    ("Wait 5 min. Then call.", ["Wait 5 min.", "Then call."]),
    ("Is it safe? Yes! Call us.", ["Is it safe?", "Yes!", "Call us."]),
    ("Wait... Then go. And rest\u2026 Then eat.", ["Wait...", "Then go.", "And rest\u2026", "Then eat."]),
    ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
    ("Take it with food (not milk.) Then rest.", ["Take it with food (not milk.)", "Then rest."]),
    ("Give acetaminophen (Tylenol). No aspirin.", ["Give acetaminophen (Tylenol).", "No aspirin."]),
    ("Take 2 tablets. 3 hours later, eat.", ["Take 2 tablets.", "3 hours later, eat."]),
    ("Give vitamin D. Then rest.", ["Give vitamin D.", "Then rest."]),
])
def test_sentence_ends_are_found_after_abbreviations_when_a_new_sentence_starts(
        text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_lowercase_after_a_period_never_starts_a_new_sentence() -> None:
    assert sentences("Apply cream approx. twice daily, incl. weekends.") == [
        "Apply cream approx. twice daily, incl. weekends."]


def test_list_items_with_several_sentences_give_one_piece_per_sentence() -> None:
    pieces = split_statements(extract("a.md", b"# Care\n\n- Rest. Drink water.\n- Walk daily.\n"))
    assert [(p.text, p.block_kind, p.context) for p in pieces] == [
        ("Rest.", "list_item", ("Care",)), ("Drink water.", "list_item", ("Care",)),
        ("Walk daily.", "list_item", ("Care",))]


def test_a_bullet_without_a_period_is_still_a_statement() -> None:
    assert statements("a.md", "- Loose comfortable clothing\n- Photo ID\n") == [
        "Loose comfortable clothing", "Photo ID"]


def test_headings_are_not_statements_but_become_context() -> None:
    pieces = split_statements(extract("a.md", b"# Fasting\n\n## Adults\n\nNo food after midnight.\n"))
    assert [(p.text, p.context) for p in pieces] == [("No food after midnight.", ("Fasting", "Adults"))]


def test_bracket_context_line_is_in_context_and_not_a_statement() -> None:
    script = "[Caller asks about hours]\nWe open at 9 a.m. on weekdays.\n"
    pieces = split_statements(extract("s.txt", script.encode()))
    assert [(p.text, p.context) for p in pieces] == [
        ("We open at 9 a.m. on weekdays.", ("Caller asks about hours",))]


SCRIPT = """\
GREETING
Agent: Thank you for calling. How can I help?
Caller: I need a refill.
Agent: Refills take 2 business days.
Note: This script is reviewed yearly.
Acetaminophen: no more than 4 g a day.
"""


def test_speaker_labels_repeated_in_a_script_are_stripped_from_the_span() -> None:
    extracted = extract("script.txt", SCRIPT.encode())
    pieces = split_statements(extracted)
    assert [p.text for p in pieces] == [
        "Thank you for calling.", "How can I help?", "Refills take 2 business days.",
        "Note: This script is reviewed yearly.", "Acetaminophen: no more than 4 g a day."]
    for piece in pieces:
        assert extracted.text[piece.start:piece.end] == piece.text


def test_a_label_used_once_or_a_meaningful_label_is_kept() -> None:
    assert speaker_labels(SCRIPT) == frozenset({"Agent", "Caller"})
    text = "Note: Bring your card.\nNote: Arrive early.\nDate: today.\n"
    assert speaker_labels(text) == frozenset()
    assert statements("n.txt", text)[0] == "Note: Bring your card."


def test_speaker_labels_are_stripped_in_markdown_list_items_too() -> None:
    text = "- Nurse: Keep the arm up.\n- Nurse: Ice it twice a day.\n"
    assert statements("s.md", text) == ["Keep the arm up.", "Ice it twice a day."]


def test_each_speaker_line_of_a_markdown_paragraph_is_its_own_statement() -> None:
    text = "Agent: Good morning\nAgent: I have your results\nAgent: They are ready\n"
    assert statements("s.md", text) == ["Good morning", "I have your results", "They are ready"]


def test_form_lines_bare_phone_numbers_and_tiny_pieces_are_skipped_but_directory_lines_stay() -> None:
    text = ("Patient: ______________   Date: __________\n"
            "Surgeon: Dr. Marcus Feld   Date of surgery: ____________\n"
            "Signature: ______________________\n"
            "Emergency Department: 555-0211\n"
            "555-0200\n"
            "(555) 123-4567\n"
            "Hi\n"
            "---\n"
            "This is ____. How can I help?\n"
            "Call the clinic at 555-0262 if the wound is red.\n")
    assert statements("form.txt", text) == ["Emergency Department: 555-0211", "How can I help?",
                                            "Call the clinic at 555-0262 if the wound is red."]


def test_pieces_are_trimmed_and_offsets_match_the_text() -> None:
    text = "Intro line here.\n\n   Indented   sentence one.    Sentence two.   \n"
    extracted = extract("t.txt", text.encode())
    pieces = split_statements(extracted)
    assert [p.text for p in pieces] == ["Intro line here.", "Indented   sentence one.", "Sentence two."]
    for piece in pieces:
        assert text[piece.start:piece.end] == piece.text


def test_table_cells_with_a_sentence_are_statements_with_row_and_column_context() -> None:
    table = ("## Dosing\n\n| Medicine | How often |\n|---|---|\n"
             "| Ibuprofen | Every 8 hours with food. |\n| Aspirin | Never |\n")
    pieces = split_statements(extract("t.md", table.encode()))
    assert [(p.text, p.block_kind, p.context) for p in pieces] == [
        ("Every 8 hours with food.", "table_cell", ("Dosing", "How often", "Ibuprofen"))]


def test_split_statements_works_on_hand_made_blocks() -> None:
    text = "Title\n\nDr. Lee sees you at 9 a.m. Monday. Bring your list."
    extracted = Extracted(text=text, blocks=(
        Block("heading", "Title", 0, 5, level=1),
        Block("paragraph", text[7:], 7, len(text), heading_path=("Title",)),
    ))
    assert [p.text for p in split_statements(extracted)] == [
        "Dr. Lee sees you at 9 a.m. Monday.", "Bring your list."]


def test_splitting_a_hundred_thousand_statements_takes_seconds() -> None:
    line = "- Take 2.5 mg at 8 a.m. on Monday, e.g. with food. Call Dr. Lee at 555-0200 if unwell.\n"
    text = "# Doses\n\n" + line * 50_000
    extracted = extract("big.md", text.encode())
    began = time.perf_counter()
    pieces = split_statements(extracted)
    elapsed = time.perf_counter() - began
    assert len(pieces) == 100_000
    assert elapsed < 20


def test_a_phone_number_cell_of_a_contacts_table_is_kept_with_its_row() -> None:
    table = ("## Contacts\n\n| Service | Telephone |\n|---|---|\n| Plaster Room | 555-0190 |\n")
    pieces = split_statements(extract("t.md", table.encode()))
    assert [(p.text, p.context[-1]) for p in pieces] == [("555-0190", "Plaster Room")]


def test_a_caller_s_lines_in_a_script_are_not_statements_but_the_staff_s_are() -> None:
    text = ("Nurse: Hello, the advice line.\nCaller: I usually take ibuprofen for my back.\n"
            "Nurse: Please do not take ibuprofen while you have the injections.\nCaller: Thanks.\n")
    assert statements("script.txt", text) == ["Hello, the advice line.",
                                              "Please do not take ibuprofen while you have the injections."]
