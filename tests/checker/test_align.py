"""Alignment's nearest-neighbour search: exact, best first, and independent of array layout."""
from __future__ import annotations

import numpy as np
import pytest

from checker.align import Alignment, _neighbours_above, _top, align_uncovered
from checker.records import ROLE_DOCUMENT, Statement
from checker.settings import load_settings


def unit_vectors(count: int, seed: int = 3) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, 16)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_neighbour_search_reports_the_true_nearest_rows_best_first():
    pool = unit_vectors(500)
    for query, (picks, similarities) in zip(pool[:20], _neighbours_above(pool[:20], pool, 4, -1.0)):
        expected = np.argsort(-(pool @ query), kind="stable")[:4]
        assert picks.tolist() == expected.tolist()
        assert np.allclose(similarities, pool[picks] @ query)


def test_the_neighbour_search_keeps_only_rows_at_or_above_the_floor():
    pool = unit_vectors(700)
    found = list(_neighbours_above(pool[:300], pool, 6, 0.75))
    assert len(found) == 300
    for query, (picks, similarities) in zip(pool[:300], found):
        scores = pool @ query
        expected = [i for i in np.argsort(-scores, kind="stable")[:6] if scores[i] >= 0.75]
        assert picks.tolist() == expected
        assert all(s >= 0.75 for s in similarities.tolist())
    assert any(0 < len(picks) < 6 for picks, _ in found)


def test_neighbours_with_equal_similarity_are_ranked_by_position():
    pool = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    picks, similarities = next(_neighbours_above(pool[:1], pool, 2, 0.5))
    assert picks.tolist() == [0, 2]
    assert similarities.tolist() == [1.0, 1.0]


def test_equal_similarities_are_ranked_by_position():
    row = np.array([[0.5, 0.9, 0.9, 0.1, 0.9]], dtype=np.float32)
    assert _top(row, 3)[0].tolist() == [1, 2, 4]


def test_uncovered_statements_meet_their_nearest_peers_in_other_documents_and_learn_their_threshold():
    settings = load_settings(environ={"TOUCHPOINT_TOP_K": "2", "TOUCHPOINT_DOCUMENT_SIMILARITY_FLOOR": "0.5",
                                      "TOUCHPOINT_DOCUMENT_LEXICAL_FLOOR": "0.45"})
    texts = ["Visiting hours are 2pm to 8pm.", "Visiting hours are 2pm to 6pm.", "Visiting is 2pm to 8pm daily.",
             "Visitors may come from 2pm to 7pm.", "Parking costs 3 pounds an hour."]
    paths = ["documents/a/one.md", "documents/b/two.md", "documents/a/one.md", "documents/c/three.md",
             "documents/d/four.md"]
    documents = [Statement(path, ROLE_DOCUMENT, text, i * 100, i * 100 + len(text), department=path.split("/")[1])
                 for i, (path, text) in enumerate(zip(paths, texts))]
    vectors = np.array([[1.0, 0.0, 0.0], [0.9, 0.436, 0.0], [0.95, 0.312, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]],
                       dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    alignments = {i: Alignment(statement) for i, statement in enumerate(documents)}
    thresholds = align_uncovered(documents, vectors, alignments, settings, None)
    first = [c.source.text for c in alignments[0].candidates]
    assert first == ["Visiting hours are 2pm to 6pm."]  # its three nearest: itself, the same file, two.md
    assert thresholds[0] == pytest.approx(float(vectors[0] @ vectors[1]))
    assert alignments[4].candidates == [] and thresholds[4] == 0.45  # nothing above the lexical floor


def test_an_exception_for_a_drug_the_protocol_s_patients_take_puts_the_pair_out_of_scope():
    from checker.records import Statement
    from checker.scope import compatible

    protocol = Statement("protocols/lithium.md", "protocol", "Do not take NSAIDs such as ibuprofen.", 0, 10,
                         scope="Applies to: adults taking lithium.")
    advice = Statement("documents/gp/pain.md", "document",
                       "Ibuprofen is fine for a sprain, unless you take lithium.", 0, 10, department="gp")
    other = Statement("documents/gp/pain.md", "document", "Ibuprofen is fine for a sprain.", 0, 10, department="gp")
    assert not compatible(advice, protocol)
    assert compatible(other, protocol)


def test_a_looser_pair_of_documents_is_compared_only_when_one_forbids_what_the_other_names():
    settings = load_settings(environ={})
    texts = ["Visitors are welcome to bring flowers.", "Flowers are not allowed on any ward.",
             "Visitors are welcome to bring books."]
    paths = ["documents/a/one.md", "documents/b/two.md", "documents/c/three.md"]
    documents = [Statement(path, ROLE_DOCUMENT, text, 0, len(text), department=path.split("/")[1])
                 for path, text in zip(paths, texts)]
    looser = settings.document_lexical_floor + 0.02  # below the document floor, above the lexical one
    assert looser < settings.document_similarity_floor
    vectors = np.array([[1.0, 0.0], [looser, (1 - looser ** 2) ** 0.5], [looser, -(1 - looser ** 2) ** 0.5]],
                       dtype=np.float32)
    alignments = {i: Alignment(statement) for i, statement in enumerate(documents)}
    align_uncovered(documents, vectors, alignments, settings, None)
    assert [c.source.text for c in alignments[0].candidates] == ["Flowers are not allowed on any ward."]


def test_a_protocol_line_sharing_only_a_name_does_not_cover_a_statement():
    from checker.align import shares_topic

    policy = Statement("documents/a/one.md", ROLE_DOCUMENT, "Under Riverside Clinic's policy, we refund no-shows.", 0, 10)
    address = Statement("protocols/p.md", "protocol", "Riverside Clinic, Mill Lane, Harlow.", 0, 10)
    refunds = Statement("protocols/p.md", "protocol", "We never refund a missed visit.", 0, 10)
    assert not shares_topic(policy, address)
    assert shares_topic(policy, refunds)


def test_a_section_addressed_to_the_reader_is_not_about_the_baby_in_the_title():
    from checker.scope import populations

    mother = Statement("documents/m/leaflet.md", ROLE_DOCUMENT, "Rest when you can and drink plenty.", 0, 10,
                       context=("Home with your new baby", "Looking after yourself"))
    baby = Statement("documents/m/leaflet.md", ROLE_DOCUMENT, "Feed on demand.", 0, 10,
                     context=("Home with your new baby", "Feeding"))
    assert populations(mother) == frozenset()
    assert populations(baby) == frozenset({"infant"})


def test_a_statement_names_a_protocol_s_topic_by_its_title_or_its_patients_not_one_scope_word():
    from checker.scope import statement_names_scope

    protocol = Statement("protocols/gout.md", "protocol", "Rest the joint.", 0, 10,
                         context=("Gout flare care",), scope="Applies to: adults with gout who have a fever or swelling.")
    babies = Statement("protocols/b.md", "protocol", "Feed little and often.", 0, 10,
                       context=("Feeding when unwell",), scope="Applies to: babies under one year.")
    assert statement_names_scope(Statement("d/a.md", "document", "Gout pain settles in days.", 0, 10), protocol)
    assert not statement_names_scope(Statement("d/a.md", "document", "For a fever, drink more.", 0, 10), protocol)
    assert statement_names_scope(Statement("d/a.md", "document", "For a baby with a cold, use saline.", 0, 10), babies)


def test_a_list_item_under_an_escalation_lead_in_is_a_lexical_match_for_other_help_for_that_symptom():
    from checker.align import shares_key_terms
    from checker.records import Statement
    doc = Statement(path="documents/a/x.md", role="document", text="If your wound is red and swollen, see your GP next week.",
                    start=0, end=10)
    item = Statement(path="protocols/p.md", role="protocol", text="a red, swollen wound", start=0, end=10,
                     context=("Wound care", "Go to the Emergency Department if you have:"))
    same_help = Statement(path="protocols/p.md", role="protocol", text="a red, swollen wound", start=0, end=10,
                          context=("Wound care", "See your GP if you have:"))
    assert shares_key_terms(doc, item) and not shares_key_terms(doc, same_help)


def test_one_list_takes_at_most_two_candidate_places():
    from checker.align import _one_list_at_most
    from checker.records import ROLE_PROTOCOL, Statement

    def item(text: str, lead_in: str) -> Statement:
        return Statement("protocols/p.md", ROLE_PROTOCOL, text, 0, len(text), context=("P", lead_in))

    ranked = [(item(f"item {n}", "For 24 hours, do not:"), 0.7 - n / 100) for n in range(4)]
    ranked.append((Statement("protocols/p.md", ROLE_PROTOCOL, "Stay with them for 12 hours.", 0, 28), 0.5))
    kept = [source.text for source, _ in _one_list_at_most(ranked, 2)]
    assert kept == ["item 0", "item 1", "Stay with them for 12 hours."]


def test_a_rule_for_your_child_of_no_age_also_covers_a_baby():
    from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, Statement
    from checker.scope import compatible

    def said(text: str, role: str = ROLE_PROTOCOL) -> Statement:
        return Statement("protocols/p.md" if role == ROLE_PROTOCOL else "documents/a/b.md", role, text, 0, len(text))

    baby = said("Call us if your baby is feeding less than usual.", ROLE_DOCUMENT)
    assert compatible(baby, said("Call us if your child is feeding less than usual."))
    assert not compatible(baby, said("Call us if your child, aged over 5, is eating less than usual."))


def test_similarities_do_not_depend_on_how_many_rows_are_compared_at_once():
    import numpy as np

    from checker.align import similarities

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    whole = similarities(vectors, vectors[:150])
    assert all(np.array_equal(similarities(vectors[i:i + 7], vectors[:150]), whole[i:i + 7]) for i in range(0, 300, 7))
