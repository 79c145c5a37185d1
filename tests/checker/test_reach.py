"""Which documents a protocol change can reach: near a changed statement, moved by the file
affinities, or naming a service whose number changed; and no others."""
from __future__ import annotations

import numpy as np

from checker.reach import reached_by_protocol_change
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, Statement
from checker.settings import load_settings

SETTINGS = load_settings(environ={})
DIMENSIONS = 24


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def topic(axis: int, rng: np.random.Generator) -> np.ndarray:
    vector = rng.normal(scale=0.15, size=DIMENSIONS)
    vector[axis] += 1.0
    return unit(vector)


def protocol_set(rng: np.random.Generator) -> tuple[list[Statement], list[np.ndarray]]:
    """Three protocol files of thirty statements (more than a candidate pool), each file on its own topic (axes 0, 1, 2)."""
    statements, vectors = [], []
    for axis, name in enumerate(("eyes", "fasting", "wounds")):
        for index in range(30):
            text = f"{name.title()} rule number {index} applies."
            statements.append(Statement(f"protocols/{name}.md", ROLE_PROTOCOL, text, index * 40, index * 40 + len(text),
                                        position=index))
            vectors.append(topic(axis, rng))
    return statements, vectors


def documents(rng: np.random.Generator) -> tuple[list[Statement], np.ndarray]:
    """An eye leaflet (axis 0) and a wound leaflet (axis 2), five statements each."""
    statements, vectors = [], []
    for axis, path in ((0, "documents/eyes/leaflet.md"), (2, "documents/wounds/leaflet.md")):
        for index in range(5):
            text = f"Leaflet line {index} about {path}."
            statements.append(Statement(path, ROLE_DOCUMENT, text, index * 40, index * 40 + len(text),
                                        department=path.split("/")[1], position=index))
            vectors.append(topic(axis, rng))
    return statements, np.vstack(vectors)


def reach(old, old_vectors, new, new_vectors, docs, doc_vectors) -> set[str]:
    return reached_by_protocol_change(old, np.vstack(old_vectors), new, np.vstack(new_vectors), docs, doc_vectors,
                                      SETTINGS)


def test_the_same_protocols_reach_no_document():
    rng = np.random.default_rng(1)
    protocols, vectors = protocol_set(rng)
    docs, doc_vectors = documents(rng)
    assert reach(protocols, vectors, list(protocols), list(vectors), docs, doc_vectors) == set()


def test_a_changed_eye_rule_reaches_the_eye_leaflet_and_not_the_wound_leaflet():
    rng = np.random.default_rng(2)
    protocols, vectors = protocol_set(rng)
    docs, doc_vectors = documents(rng)
    new, new_vectors = list(protocols), list(vectors)
    new[3] = Statement(new[3].path, ROLE_PROTOCOL, "Eyes rule number 3 now says otherwise.", 120, 158, position=3)
    new_vectors[3] = unit(doc_vectors[0] + 0.05)
    assert reach(protocols, vectors, new, new_vectors, docs, doc_vectors) == {"documents/eyes/leaflet.md"}


def test_statements_that_only_moved_in_their_file_reach_nothing():
    rng = np.random.default_rng(3)
    protocols, vectors = protocol_set(rng)
    docs, doc_vectors = documents(rng)
    shifted = [Statement(s.path, s.role, s.text, s.start + 7, s.end + 7, position=s.position) for s in protocols]
    assert reach(protocols, vectors, shifted, list(vectors), docs, doc_vectors) == set()


def test_a_new_number_for_a_named_service_reaches_the_documents_giving_that_service_a_number():
    rng = np.random.default_rng(4)
    protocols, vectors = protocol_set(rng)
    docs, doc_vectors = documents(rng)
    phone = "Call the Outpatient Pharmacy at 555-0247 for refills."
    protocols[40] = Statement(protocols[40].path, ROLE_PROTOCOL, phone, 800, 800 + len(phone), position=8)
    docs[7] = Statement(docs[7].path, ROLE_DOCUMENT, "Refills: phone the Outpatient Pharmacy at 555-0247.", 280, 330,
                        department="wounds", position=2)
    new = list(protocols)
    new[40] = Statement(protocols[40].path, ROLE_PROTOCOL, phone.replace("0247", "0248"), 800, 800 + len(phone),
                        position=8)
    # the same vector: only the directory can tell the change apart
    assert reach(protocols, vectors, new, list(vectors), docs, doc_vectors) == {"documents/wounds/leaflet.md"}


def test_a_removed_protocol_that_was_a_documents_best_match_reaches_it():
    rng = np.random.default_rng(5)
    protocols, vectors = protocol_set(rng)
    docs, doc_vectors = documents(rng)
    keep = [i for i, s in enumerate(protocols) if s.path != "protocols/wounds.md"]
    reached = reach(protocols, vectors, [protocols[i] for i in keep], [vectors[i] for i in keep], docs, doc_vectors)
    assert "documents/wounds/leaflet.md" in reached


def test_a_change_in_every_pool_reaches_only_the_statements_it_could_become_a_candidate_of():
    rng = np.random.default_rng(6)
    protocols, vectors = protocol_set(rng)
    keep = [i for i, s in enumerate(protocols) if s.position < 5]  # 15 statements: all in every pool
    protocols, vectors = [protocols[i] for i in keep], [vectors[i] for i in keep]
    docs, doc_vectors = documents(rng)
    new, new_vectors = list(protocols), list(vectors)
    new[12] = Statement(new[12].path, ROLE_PROTOCOL, "Wounds rule number 2 is stricter now.", 80, 117, position=2)
    new_vectors[12] = unit(vectors[12] + 0.1)
    assert reach(protocols, vectors, new, new_vectors, docs, doc_vectors) == {"documents/wounds/leaflet.md"}
