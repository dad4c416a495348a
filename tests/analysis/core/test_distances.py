import numpy as np
import pandas as pd
import pytest

from analysis.core.costs import default_indel, trate_costs
from analysis.core.distances import LANES, om_distances, om_distances_pairwise, om_distances_to, packed_keys, square_form
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


def _random_cohort(rng, n, length, n_states=4):
    """Rows drawn from a few templates with some positions redrawn: long common prefixes and
    suffixes, repeated rows and many tied distances."""
    templates = rng.integers(1, n_states + 1, size=(max(n // 6, 1), length))
    rows = templates[rng.integers(0, templates.shape[0], n)]
    return np.where(rng.random((n, length)) < 0.25, rng.integers(1, n_states + 1, size=(n, length)), rows)


@pytest.mark.parametrize("seed", range(6))
def test_lane_kernel_equals_the_pair_kernel_bit_for_bit(reference_run, seed):
    """The lane kernel (LANES rows in lockstep, packed keys) against the one-pair-at-a-time kernel:
    group sizes that are not multiples of LANES, repeated rows, lengths 1..14, TRATE and constant costs."""
    _, trate, trate_indel = reference_run
    rng = np.random.default_rng(seed)
    for n, length in [(2, 1), (LANES - 1, 12), (LANES + 1, 3), (3 * LANES + 7, 12), (150, 14), (90, 9)]:
        sequences = _random_cohort(rng, n, length)
        for costs, indel in [(trate, trate_indel), (CONSTANT, 1.0), (CONSTANT, 1.5)]:
            lanes = om_distances(sequences, costs, indel)
            pairs = om_distances_pairwise(sequences, costs, indel)
            assert np.array_equal(lanes, pairs), (seed, n, length)


def test_lane_kernel_with_more_states_and_cross_distances():
    rng = np.random.default_rng(11)
    n_states = 9  # 4 bits a state in the keys
    sequences = _random_cohort(rng, 70, 12, n_states)
    costs = rng.uniform(0.5, 2.0, size=(n_states, n_states))
    costs = np.triu(costs, 1) + np.triu(costs, 1).T
    condensed = om_distances(sequences, costs, 1.1, n_states=n_states)
    assert np.array_equal(condensed, om_distances_pairwise(sequences, costs, 1.1, n_states=n_states))
    square = square_form(condensed)
    for targets in ([0, 69, 5, 5], list(rng.integers(0, 70, size=LANES + 9))):  # the pair kernel, then lanes
        to_targets = om_distances_to(sequences, sequences[targets], costs, 1.1, n_states=n_states)
        assert np.array_equal(to_targets, square[:, targets])


def test_sequences_too_long_for_packed_keys_use_the_pair_kernel(reference_run):
    _, costs, indel = reference_run
    sequences = _random_cohort(np.random.default_rng(5), 12, 40)
    assert packed_keys(sequences - 1, 4) is None
    computed = square_form(om_distances(sequences, costs, indel))
    for i, j in zip(*np.triu_indices(12, 1)):
        assert computed[i, j] == pytest.approx(needleman_wunsch(sequences[i], sequences[j], costs, indel), abs=1e-12)
    assert np.array_equal(om_distances_to(sequences, sequences[[3, 7]], costs, indel), computed[:, [3, 7]])


def test_packed_keys_give_common_prefix_and_suffix():
    sequences = np.array([[0, 1, 2, 3, 0], [0, 1, 3, 3, 0], [0, 1, 2, 3, 0], [1, 1, 2, 3, 1]])
    keys, shift = packed_keys(sequences, 4)
    assert shift == 1
    differ = [int(keys[0]) ^ int(keys[i]) for i in range(4)]
    assert differ[2] == 0
    width = 5 << shift
    assert [(width - d.bit_length()) >> shift for d in differ[1:] if d] == [2, 0]  # common prefixes
    assert [((d & -d).bit_length() - 1) >> shift for d in differ[1:] if d] == [2, 0]  # common suffixes
