"""The phone directory and opening-hours checks: one named service, one number, one set of hours."""
from __future__ import annotations

import pytest

from checker.directory import directory_findings, service_names
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, Statement


def protocol(text: str, path: str = "protocols/contacts.md") -> Statement:
    return Statement(path, ROLE_PROTOCOL, text, 0, len(text))


def document(text: str, path: str = "documents/surgery/leaflet.md", department: str = "surgery") -> Statement:
    return Statement(path, ROLE_DOCUMENT, text, 0, len(text), department=department)


def test_another_number_for_a_named_service_is_a_contact_finding():
    (finding,) = directory_findings([protocol("Call the Outpatient Pharmacy at 555-0247 for refills.")],
                                    [document("For refills, call the Outpatient Pharmacy at 555-0274.")])
    assert (finding.kind, finding.source.path) == ("contact", "protocols/contacts.md")
    assert "555-0274" in finding.explanation and "555-0247" in finding.explanation
    assert dict(finding.facts)["service"] == "outpatient pharmacy"


def test_the_same_number_for_the_service_written_differently_is_no_finding():
    assert directory_findings([protocol("Call the Outpatient Pharmacy at 555-0247 for refills.")],
                              [document("Questions? Phone the Outpatient Pharmacy at 555.0247.")]) == []


def test_a_generic_one_word_service_is_not_a_key():
    assert directory_findings([protocol("Call the clinic at 555-0100 to rebook.")],
                              [document("Call the clinic at 555-0199 to rebook.")]) == []


def test_without_a_protocol_two_departments_giving_different_numbers_clash():
    findings = directory_findings([], [
        document("Call the Fracture Clinic at 555-0162.", "documents/emergency/a.md", "emergency"),
        document("Call the Fracture Clinic at 555-0126.", "documents/surgery/b.md", "surgery")])
    assert {(f.statement.path, f.source.path) for f in findings} >= {("documents/emergency/a.md",
                                                                        "documents/surgery/b.md")}
    assert all(f.kind == "contact" for f in findings)


def test_two_leaflets_of_one_department_giving_one_service_two_numbers_clash():
    findings = directory_findings([], [
        document("Call the Fracture Clinic at 555-0162.", "documents/surgery/a.md"),
        document("Call the Fracture Clinic at 555-0126.", "documents/surgery/b.md")])
    assert {f.kind for f in findings} == {"contact"}
    assert {(f.statement.path, f.source.path) for f in findings} <= {("documents/surgery/a.md", "documents/surgery/b.md"),
                                                                     ("documents/surgery/b.md", "documents/surgery/a.md")}


def test_targets_limit_the_documents_reported():
    statements = [document("Call the Outpatient Pharmacy at 555-0274.", "documents/surgery/a.md"),
                  document("Call the Outpatient Pharmacy at 555-0275.", "documents/radiology/b.md", "radiology")]
    findings = directory_findings([protocol("Call the Outpatient Pharmacy at 555-0247.")], statements,
                                  targets={"documents/radiology/b.md"})
    assert [f.statement.path for f in findings] == ["documents/radiology/b.md"]


def test_service_names_are_capitalised_names_not_sentence_openers():
    assert "riverside café" in service_names("Get something to eat at the Riverside Café on the ground floor.")
    assert service_names("The clinic is open Monday to Friday, 9 a.m. to 5 p.m.") == set()


def test_other_opening_hours_for_a_named_service_are_a_contact_finding():
    (finding,) = directory_findings(
        [protocol("The Outpatient Pharmacy is open Monday to Friday, 9 a.m. to 5 p.m.")],
        [document("The Outpatient Pharmacy is open Monday to Friday, 8 a.m. to 8 p.m.")])
    assert finding.kind == "contact" and "8 a.m. to 8 p.m." in finding.explanation


def test_the_same_opening_hours_are_no_finding():
    assert directory_findings([protocol("The Outpatient Pharmacy is open Monday to Friday, 9 a.m. to 5 p.m.")],
                          [document("The Outpatient Pharmacy is open weekdays, 9 a.m. to 5 p.m.")]) == []


def test_hours_of_an_unnamed_clinic_are_not_compared():
    assert directory_findings([protocol("The clinic is open Monday to Friday, 9 a.m. to 5 p.m.")],
                          [document("The clinic is open Monday to Friday, 8 a.m. to 8 p.m.")]) == []


def test_the_same_number_with_an_area_code_is_no_finding():
    assert directory_findings([protocol("Call the Anticoagulation Clinic at 555-0190.")],
                              [document("Call the Anticoagulation Clinic on (555) 555-0190.")]) == []


def test_a_number_in_brackets_after_the_service_is_checked():
    findings = directory_findings([protocol("Call the Outpatient Pharmacy at 555-0247.")],
                                  [document("For refills, call the Outpatient Pharmacy (555-0274).")])
    assert [f.kind for f in findings] == ["contact"]


def test_a_directory_line_is_checked_like_a_sentence():
    (finding,) = directory_findings([protocol("Call the Outpatient Pharmacy at 555-0247.")],
                                    [document("Outpatient Pharmacy: 555-0274")])
    assert "555-0274 vs 555-0247" in finding.explanation


def cell(text: str, row_label: str) -> Statement:
    """A protocol table cell: its row label is the last entry of its context."""
    return Statement("protocols/contacts.md", ROLE_PROTOCOL, text, 0, len(text),
                     context=("Contacts", "Opening hours", row_label))


def test_a_qualifier_in_brackets_does_not_hide_the_service_before_a_number():
    (finding,) = directory_findings([protocol("Sleep Clinic (adults): 555-0418")],
                                    [document("To rebook, ring the Sleep Clinic on 555-0481.")])
    assert dict(finding.facts)["service"] == "sleep clinic"


def test_an_acronym_in_brackets_does_not_hide_the_service_before_a_number():
    (finding,) = directory_findings(
        [protocol("Questions about bills go to the Patient Billing Office (PBO) on 555-0710.")],
        [document("Please contact the Patient Billing Office (PBO) on 555-0701.")])
    assert "555-0701" in finding.explanation


def test_hours_in_a_table_cell_belong_to_the_row_s_service():
    (finding,) = directory_findings(
        [cell("9 am to 5 pm, Monday to Friday", "Hearing Aid Clinic")],
        [document("The Hearing Aid Clinic is open Monday to Friday, 8 am to 4 pm.")])
    assert finding.kind == "contact" and finding.source.text.startswith("9 am")


def test_british_and_us_spellings_name_one_place():
    findings = directory_findings([], [
        document("The Wellness Centre is open Monday to Friday, 8 a.m. to 6 p.m.", "documents/a/x.md", "a"),
        document("The Wellness Center is open Monday to Friday, 7.30 am to 4.30 pm.", "documents/b/y.md", "b")])
    assert findings and "7.30 am to 4.30 pm" in {dict(f.facts)["document"] for f in findings} | {
        dict(f.facts)["source"] for f in findings}


def test_days_named_after_the_hours_limit_them():
    findings = directory_findings(
        [protocol("The Travel Clinic is open 9 am to 1 pm, Saturday.")],
        [document("The Travel Clinic is open 8 am to 6 pm, Monday to Friday.")])
    assert findings == []


def test_hours_belong_to_the_nearest_service_named_before_them():
    assert directory_findings(
        [protocol("The Hand Therapy Unit is open Monday to Friday, 9 am to 5 pm.")],
        [document("Hand Therapy Unit 555-0610 | Splint Workshop 555-0611 (weekdays 7 am to 3 pm)")]) == []


def test_a_service_on_another_floor_is_a_contact_finding():
    (finding,) = directory_findings(
        [cell("Level 4, Kingfisher Wing", "Fertility Clinic")],
        [document("The Fertility Clinic is on Level 2 of the Kingfisher Wing.")])
    assert finding.kind == "contact" and "Level 2" in finding.explanation and "Level 4" in finding.explanation


def test_the_same_floor_said_another_way_is_no_finding():
    assert directory_findings([cell("Second floor, Kingfisher Wing", "Fertility Clinic")],
                              [document("You will find the Fertility Clinic on level 2.")]) == []


def test_a_street_or_wing_shared_by_two_services_is_not_a_key():
    assert directory_findings([cell("Ground floor, Mill Lane entrance", "Blood Donor Suite")],
                              [document("Fertility Clinic, Level 3, Mill Lane, Harlow")]) == []


def test_a_number_alone_in_a_table_cell_belongs_to_the_row_s_service():
    (finding,) = directory_findings([cell("555-0190", "Plaster Room")],
                                    [document("Ring the Plaster Room on 555-0109 with any questions.")])
    assert finding.kind == "contact" and finding.source.text == "555-0190"
    assert directory_findings([cell("555-0190", "Plaster Room")],
                              [document("Ring the Plaster Room on 555-0190 with any questions.")]) == []


def test_an_unnamed_number_in_two_departments_documents_is_each_department_s_own_line():
    from checker.detectors import PairContext, contact
    from checker.facts import facts_of
    doc, src = facts_of("Line 555-0131, Monday to Friday, 8 am to 6 pm."), facts_of(
        "Line 555-0177, Monday to Friday, 9 am to 5 pm.")
    assert contact(doc, src, PairContext(0.9, doc_vs_doc=True)) is None


@pytest.mark.parametrize("text, context, names", [
    ("The Fracture Clinic at Corrow Vale Hospital is open Monday to Friday, 9am to 5pm.", (), {"fracture clinic"}),
    ("Hollins Lane Surgery: open Monday to Friday, 8am to 6.30pm.", (), {"hollins lane surgery"}),
    ("We are open Monday to Friday, 8am to 6pm.", ("Contact us",), set()),
    ("Monday to Friday, 9am to 5pm", ("Kestrel Ward",), {"kestrel ward"}),
])
def test_opening_hours_belong_to_the_service_not_to_where_it_is_or_to_a_generic_heading(text, context, names):
    from checker.directory import _subject_names

    statement = Statement(path="d.md", role="document", text=text, start=0, end=len(text), context=context)
    assert _subject_names(statement, text.find("Monday")) == names
