import numpy as np
import pandas as pd
import pytest

from analysis.core.costs import default_indel, trate_costs
from analysis.core.distances import om_distances, om_distances_to, square_form
from analysis.core.sequences import distinct_sequences
from tests.paths import REFERENCE_DIR

CONSTANT = 2.0 * (1 - np.eye(4))


def needleman_wunsch(a, b, sub, indel):
    """Textbook OM over the full table (no prefix/suffix skipping), codes 1..4."""
    m, n = len(a), len(b)
    table = np.zeros((m + 1, n + 1))
    table[:, 0] = np.arange(m + 1) * indel
    table[0, :] = np.arange(n + 1) * indel
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            table[i, j] = min(
                table[i - 1, j] + indel,
                table[i, j - 1] + indel,
                table[i - 1, j - 1] + sub[a[i - 1] - 1, b[j - 1] - 1],
            )
    return table[m, n]


@pytest.fixture(scope="module")
def reference_run():
    sequences = pd.read_csv(REFERENCE_DIR / "sequences_clean.csv").to_numpy()
    distinct = distinct_sequences(sequences)
    costs = trate_costs(sequences)
    return distinct, costs, default_indel(costs)


def test_om_distances_match_traminer(reference_run):
    distinct, costs, indel = reference_run
    expected = pd.read_csv(REFERENCE_DIR / "om_trate_unique_dist.csv.gz").to_numpy()
    computed = square_form(om_distances(distinct.sequences, costs, indel))
    assert computed.shape == expected.shape == (542, 542)
    np.testing.assert_allclose(computed, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([1, 2], [2, 1], 2.0),  # one deletion + one insertion beats two substitutions
        ([1, 1, 2, 2], [1, 2, 2, 1], 2.0),  # shift by one
        ([1, 1, 1], [2, 2, 2], 6.0),  # three substitutions
        ([3, 4, 3, 4], [3, 4, 3, 4], 0.0),
    ],
)
def test_om_by_hand(a, b, expected):
    assert om_distances(np.array([a, b]), CONSTANT, 1.0)[0] == expected


def test_om_equals_textbook_recurrence_on_random_pairs(reference_run):
    _, costs, indel = reference_run
    rng = np.random.default_rng(1)
    sequences = rng.integers(1, 5, size=(40, 12))
    sequences[20:] = np.where(rng.random((20, 12)) < 0.8, sequences[:20], sequences[20:])  # similar pairs too
    computed = square_form(om_distances(sequences, costs, indel))
    for i, j in zip(*np.triu_indices(40, 1)):
        assert computed[i, j] == pytest.approx(needleman_wunsch(sequences[i], sequences[j], costs, indel), abs=1e-12)


def test_cross_distances_equal_condensed_bit_for_bit(reference_run):
    distinct, costs, indel = reference_run
    square = square_form(om_distances(distinct.sequences, costs, indel))
    targets = [5, 0, 541, 77]
    to_targets = om_distances_to(distinct.sequences, distinct.sequences[targets], costs, indel)
    assert np.array_equal(to_targets, square[:, targets])
    back = om_distances_to(distinct.sequences[targets], distinct.sequences, costs, indel)
    assert np.array_equal(back, square[targets, :])


def test_condensed_layout_and_small_inputs():
    sequences = np.array([[1, 1, 1], [2, 2, 2], [1, 1, 2]])
    assert np.array_equal(om_distances(sequences, CONSTANT, 1.0), [6.0, 2.0, 4.0])  # (0,1), (0,2), (1,2)
    assert om_distances(sequences[:1], CONSTANT, 1.0).size == 0


def test_costs_must_be_usable():
    with pytest.raises(ValueError, match="zero diagonal"):
        om_distances(np.array([[1, 2], [2, 1]]), np.ones((4, 4)), 1.0)
    with pytest.raises(ValueError, match="indel must be positive"):
        om_distances(np.array([[1, 2], [2, 1]]), CONSTANT, 0.0)
