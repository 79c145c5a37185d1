"""Alignment's nearest-neighbour search: the partitioned search used for large corpora finds
what the exact search finds."""
from __future__ import annotations

import numpy as np

from checker.align import _exact_neighbours, _partitioned_neighbours, _top


def clustered_unit_vectors(count: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(60, 32)).astype(np.float32)
    vectors = centres[rng.integers(0, 60, count)] + 0.5 * rng.normal(size=(count, 32)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_partitioned_search_finds_the_same_nearest_neighbours_as_the_exact_one():
    pool = clustered_unit_vectors(3000)
    exact = [set(picks.tolist()) for picks, _ in _exact_neighbours(pool[:300], pool, 5)]
    partitioned = [set(picks.tolist()) for picks, _ in _partitioned_neighbours(pool[:300], pool, 5)]
    overlap = np.mean([len(a & b) / 5 for a, b in zip(exact, partitioned)])
    assert overlap >= 0.97


def test_the_partitioned_search_reports_true_similarities_best_first():
    pool = clustered_unit_vectors(2000)
    for query, (picks, similarities) in zip(pool[:50], _partitioned_neighbours(pool[:50], pool, 4)):
        assert np.allclose(similarities, pool[picks] @ query, atol=1e-5)
        assert list(similarities) == sorted(similarities, reverse=True)


def test_equal_similarities_are_ranked_by_position():
    row = np.array([[0.5, 0.9, 0.9, 0.1, 0.9]], dtype=np.float32)
    assert _top(row, 3)[0].tolist() == [1, 2, 4]
