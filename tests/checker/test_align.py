"""Alignment's nearest-neighbour search: exact, best first, and independent of array layout."""
from __future__ import annotations

import numpy as np

from checker.align import _exact_neighbours, _top


def unit_vectors(count: int, seed: int = 3) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, 16)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_neighbour_search_reports_the_true_nearest_rows_best_first():
    pool = unit_vectors(500)
    for query, (picks, similarities) in zip(pool[:20], _exact_neighbours(pool[:20], pool, 4)):
        expected = np.argsort(-(pool @ query), kind="stable")[:4]
        assert picks.tolist() == expected.tolist()
        assert np.allclose(similarities, pool[picks] @ query)


def test_equal_similarities_are_ranked_by_position():
    row = np.array([[0.5, 0.9, 0.9, 0.1, 0.9]], dtype=np.float32)
    assert _top(row, 3)[0].tolist() == [1, 2, 4]
