"""Embeddings and their on-disk cache: an unchanged corpus is never embedded twice."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from checker.corpus import list_files, load_corpus
from checker.embeddings import EmbeddingStore
from checker.engine import Engine
from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, Statement

PROTOCOL = ["Do not eat any food for 6 hours before your surgery.", "Bring a list of your medicines.",
            "Call the Day Surgery Unit at 555-0110 if you are unwell."]
DOCUMENT = ["Stop eating 4 hours before your surgery.", "Please bring all your medicines with you.",
            "Call the Day Surgery Unit at 555-0119 if you feel unwell."]


def statements(texts: list[str], role: str, path: str) -> list[Statement]:
    return [Statement(path, role, text, index * 100, index * 100 + len(text), department="surgery")
            for index, text in enumerate(texts)]


def fresh_engine(settings, cache_dir: Path) -> Engine:
    """A new engine (new store, empty memory) over the given cache folder; the loaded model is shared."""
    return Engine(settings.replace(cache_dir=str(cache_dir)))


def check(engine: Engine, document: list[str]):
    return engine.check(statements(PROTOCOL, ROLE_PROTOCOL, "protocols/p.md"),
                        statements(document, ROLE_DOCUMENT, "documents/surgery/d.md"))


def test_embeddings_are_unit_rows_one_per_text(engine):
    vectors = engine.store.embed(["Keep the wound dry.", "Take paracetamol.", "Keep the wound dry."])
    assert vectors.shape[0] == 3 and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.array_equal(vectors[0], vectors[2])


def test_related_sentences_are_closer_than_unrelated_ones(engine):
    a, b, c = engine.store.embed(["Do not eat for 6 hours before surgery.",
                                  "Stop eating 6 hours before your operation.",
                                  "The pharmacy is open on Saturdays."])
    assert float(a @ b) > float(a @ c)


def test_whitespace_does_not_change_the_cache_key(settings, tmp_path):
    store = EmbeddingStore(settings.replace(cache_dir=str(tmp_path)))
    store.embed(["Keep the wound dry."])
    store.embed(["Keep  the wound\ndry."])
    assert (store.computed, store.reused) == (1, 1)


def test_a_duplicate_text_in_one_call_is_embedded_once(settings, tmp_path):
    store = EmbeddingStore(settings.replace(cache_dir=str(tmp_path)))
    store.embed(["Rest for a day.", "Rest for a day.", "Drink water."])
    assert store.computed == 2


def test_progress_reports_the_new_vectors_as_they_are_computed(settings, tmp_path):
    store = EmbeddingStore(settings.replace(cache_dir=str(tmp_path)))
    store.embed(["Rest for a day."])
    calls: list[tuple[int, int]] = []
    store.embed(["Rest for a day.", "Drink water.", "Walk a little."],
                progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (2, 2)


def test_the_cache_is_a_file_under_the_cache_folder(settings, tmp_path):
    fresh_engine(settings, tmp_path).store.embed(["Keep the wound dry."])
    assert (tmp_path / "embeddings.sqlite3").is_file()


def test_a_first_check_computes_every_new_statement(settings, tmp_path):
    result = check(fresh_engine(settings, tmp_path), DOCUMENT)
    assert result.embeddings_computed == len(PROTOCOL) + len(DOCUMENT) and result.embeddings_reused == 0


def test_a_second_engine_over_the_same_cache_computes_no_embedding(settings, tmp_path):
    first = check(fresh_engine(settings, tmp_path), DOCUMENT)
    second = check(fresh_engine(settings, tmp_path), DOCUMENT)
    assert second.embeddings_computed == 0
    assert second.embeddings_reused == len(PROTOCOL) + len(DOCUMENT)
    assert [f.fingerprint for f in second.findings] == [f.fingerprint for f in first.findings]


def test_a_changed_sentence_computes_exactly_that_one(settings, tmp_path):
    check(fresh_engine(settings, tmp_path), DOCUMENT)
    changed = DOCUMENT[:1] + ["Please bring every one of your medicines with you."] + DOCUMENT[2:]
    result = check(fresh_engine(settings, tmp_path), changed)
    assert result.embeddings_computed == 1 and result.embeddings_reused == len(PROTOCOL) + len(DOCUMENT) - 1


def test_a_cached_vector_equals_the_freshly_computed_one(settings, tmp_path):
    computed = fresh_engine(settings, tmp_path).store.embed(PROTOCOL)
    reread = fresh_engine(settings, tmp_path).store
    assert np.allclose(reread.embed(PROTOCOL), computed, atol=1e-6) and reread.computed == 0


def test_the_examples_corpus_checked_again_by_a_fresh_engine_computes_nothing(settings, engine, examples_corpus):
    corpus = load_corpus(engine, list_files(examples_corpus))
    engine.check(corpus.protocols, corpus.documents)
    again = Engine(settings).check(corpus.protocols, corpus.documents)
    assert again.embeddings_computed == 0 and again.embeddings_reused > 0


def test_embedding_nothing_gives_an_empty_array_and_counts_nothing(settings, tmp_path):
    store = EmbeddingStore(settings.replace(cache_dir=str(tmp_path)))
    assert store.embed([]).shape[0] == 0 and (store.computed, store.reused) == (0, 0)
