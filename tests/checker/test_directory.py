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
