import json

import numpy as np
import pandas as pd
import pytest

from analysis.core.costs import (
    constant_costs,
    default_indel,
    resolve_costs,
    transition_counts,
    trate_costs,
    validate_costs,
)
from analysis.core.sequences import distinct_sequences, select_years
from tests.paths import REFERENCE_DIR


@pytest.fixture(scope="module")
def sequences():
    return pd.read_csv(REFERENCE_DIR / "sequences_clean.csv").to_numpy()


@pytest.fixture(scope="module")
def reference():
    return json.loads((REFERENCE_DIR / "trate_costs.json").read_text())


def test_trate_costs_and_indel_match_traminer(sequences, reference):
    costs = trate_costs(sequences)
    np.testing.assert_allclose(costs, np.array(reference["sm"]), rtol=0, atol=1e-9)
    assert default_indel(costs) == pytest.approx(reference["indel"], abs=1e-9)


def test_trate_costs_are_exactly_symmetric_with_zero_diagonal(sequences):
    costs = trate_costs(sequences)
    assert np.array_equal(costs, costs.T)
    assert np.all(np.diag(costs) == 0)


def test_weighted_distinct_counts_equal_full_counts(sequences):
    distinct = distinct_sequences(sequences)
    full = transition_counts(sequences)
    assert np.array_equal(transition_counts(distinct.sequences, distinct.weights), full)
    assert full.sum() == sequences.shape[0] * (sequences.shape[1] - 1)
    assert np.array_equal(trate_costs(distinct.sequences, distinct.weights), trate_costs(sequences))


def test_trate_by_hand():
    # transitions 1->1 twice, 1->2 once, 2->1 once: p(2|1) = 1/3, p(1|2) = 1
    costs = trate_costs(np.array([[1, 1, 2], [2, 1, 1]]))
    assert costs[0, 1] == costs[1, 0] == pytest.approx(2 - 1 / 3 - 1)
    # states never seen have rates 0, hence the constant cost
    assert costs[2, 3] == costs[0, 2] == 2.0


def test_distinct_sequences_first_appearance_order_counts_and_inverse(sequences):
    distinct = distinct_sequences(sequences)
    expected = pd.read_csv(REFERENCE_DIR / "sequences_unique.csv").to_numpy()
    assert np.array_equal(distinct.sequences, expected)
    assert np.array_equal(distinct.sequences[distinct.inverse], sequences)
    assert distinct.weights.sum() == sequences.shape[0]
    assert np.array_equal(np.bincount(distinct.inverse), distinct.weights)


def test_select_years_window(sequences):
    assert np.array_equal(select_years(sequences, (4, 12)), sequences[:, 3:])
    with pytest.raises(ValueError, match="years must satisfy"):
        select_years(sequences, (0, 12))
    with pytest.raises(ValueError, match="years must satisfy"):
        select_years(sequences, (5, 13))


def test_constant_costs_and_default_indel():
    costs = constant_costs()
    assert np.array_equal(costs, 2.0 * (1 - np.eye(4)))
    assert default_indel(costs) == 1.0


@pytest.mark.parametrize(
    "matrix",
    [
        np.ones((3, 3)) - np.eye(3),  # wrong shape
        np.array([[0, 1, 1, 1], [2, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]]),  # asymmetric
        np.ones((4, 4)),  # non-zero diagonal
        -(np.ones((4, 4)) - np.eye(4)),  # negative
        np.full((4, 4), np.nan),
    ],
)
def test_validate_costs_rejects_bad_matrices(matrix):
    with pytest.raises(ValueError):  # noqa: PT011  (each bad matrix has its own message)
        validate_costs(matrix)


def test_resolve_costs(sequences):
    assert np.array_equal(resolve_costs("TRATE", sequences), trate_costs(sequences))
    assert np.array_equal(resolve_costs("constant", sequences), constant_costs())
    user = np.ones((4, 4)) - np.eye(4)
    assert np.array_equal(resolve_costs(user, sequences), user)
    with pytest.raises(ValueError, match="unknown cost method"):
        resolve_costs("FUTURE", sequences)


def test_invalid_codes_are_refused():
    with pytest.raises(ValueError, match=r"status codes must be in 1\.\.4"):
        distinct_sequences(np.array([[1, 2, 5]]))
    with pytest.raises(ValueError, match="integer status codes"):
        distinct_sequences(np.array([[1.5, 2, 3]]))
