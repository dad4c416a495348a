import json

import numpy as np
import pandas as pd
import pytest

from analysis.core.costs import constant_costs, trate_costs
from analysis.core.quality import adjusted_rand_index
from analysis.core.trajectories import (
    TrajectoryParams,
    TrajectoryResult,
    cluster_trajectories,
    name_clusters,
)
from tests.paths import REFERENCE_DIR


@pytest.fixture(scope="module")
def sequences():
    return pd.read_csv(REFERENCE_DIR / "sequences_clean.csv").to_numpy()


@pytest.fixture(scope="module")
def chosen_by_asw(sequences):
    return cluster_trajectories(sequences)


def test_asw_chooses_the_reference_maximum(sequences, chosen_by_asw):
    reference = json.loads((REFERENCE_DIR / "trate_costs.json").read_text())["asw_ward_D_k2_to_8"]
    result = chosen_by_asw
    assert isinstance(result, TrajectoryResult)
    assert result.k == 2 + int(np.argmax(reference))
    assert result.algorithm == "exact" and result.method == "ward.D"
    assert result.n_distinct == 542
    assert list(result.quality.index) == list(range(2, 11))
    assert {"ASW", "PBC", "HG", "HGSD", "HC", "R2", "CH"} <= set(result.quality.columns)
    assert np.array_equal(result.costs, trate_costs(sequences))


@pytest.mark.parametrize(("method", "column"), [("ward.D", "ward_D_k5"), ("ward.D2", "ward_D2_k5")])
def test_fixed_k5_reproduces_r(sequences, method, column):
    expected = pd.read_csv(REFERENCE_DIR / "ward_k5_labels.csv")[column].to_numpy()
    result = cluster_trajectories(sequences, TrajectoryParams(k=5, method=method))
    assert result.k == 5
    assert adjusted_rand_index(result.labels, expected) == 1.0


def test_labels_numbered_by_size_and_named(chosen_by_asw):
    result = chosen_by_asw
    sizes = np.bincount(result.labels)[1:]
    assert sizes.size == result.k and np.all(np.diff(sizes) <= 0)
    assert set(result.names) == set(range(1, result.k + 1))
    assert result.names[1] == "non-migration"


def test_state_shares_are_person_year_shares(sequences, chosen_by_asw):
    result = chosen_by_asw
    shares = result.state_shares
    assert list(shares.columns) == ["NM", "MG", "LB1", "LB2"]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    members = sequences[result.labels == 2]
    np.testing.assert_allclose(shares.loc[2, "LB2"], (members == 4).mean())


def test_naming_rule():
    shares = pd.DataFrame(
        [[0.9, 0.1, 0, 0], [0.6, 0.4, 0, 0], [0.3, 0.3, 0.2, 0.2], [0.1, 0.1, 0.2, 0.6], [0.2, 0.2, 0.2, 0.4]],
        index=range(1, 6),
        columns=["NM", "MG", "LB1", "LB2"],
    )
    assert name_clusters(shares) == {
        1: "non-migration",
        2: "non-migration 2",
        3: "transition",
        4: "left-behind by both parents",
        5: "transition 2",
    }


def test_to_dict_is_json(chosen_by_asw):
    payload = json.loads(json.dumps(chosen_by_asw.to_dict(), allow_nan=False))
    assert payload["k"] == chosen_by_asw.k
    assert len(payload["labels"]) == 1308
    assert payload["quality"][0]["k"] == 2
    assert set(payload["state_shares"]["1"]) == {"NM", "MG", "LB1", "LB2"}


def test_progress_reaches_one(sequences):
    calls = []
    cluster_trajectories(sequences, TrajectoryParams(k=5), progress=lambda fraction, message: calls.append(fraction))
    assert calls[0] == 0.0 and calls[-1] == 1.0
    assert calls == sorted(calls)


def test_year_window_and_costs_options(sequences):
    window = cluster_trajectories(sequences, TrajectoryParams(k=5, years=(4, 12)))
    assert np.array_equal(window.costs, trate_costs(sequences[:, 3:]))
    constant = cluster_trajectories(sequences, TrajectoryParams(k=3, costs="CONSTANT", indel=1.5))
    assert np.array_equal(constant.costs, constant_costs()) and constant.indel == 1.5
    user = np.full((4, 4), 1.0) - np.eye(4)
    custom = cluster_trajectories(sequences, TrajectoryParams(k=3, costs=user))
    assert np.array_equal(custom.costs, user) and custom.indel == 0.5


def test_auto_switches_to_clara_above_the_threshold(sequences):
    result = cluster_trajectories(sequences, TrajectoryParams(exact_max_distinct=100))
    assert result.algorithm == "clara"
    assert {"ASW", "AMS", "mean_distance"} <= set(result.quality.columns)
    assert result.labels.shape == (1308,) and set(np.unique(result.labels)) == set(range(1, result.k + 1))
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    "params",
    [
        TrajectoryParams(k=1),
        TrajectoryParams(k_range=(1, 5)),
        TrajectoryParams(method="average"),
        TrajectoryParams(algorithm="fast"),
        TrajectoryParams(indel=0),
        TrajectoryParams(years=(0, 12)),
    ],
)
def test_invalid_parameters(sequences, params):
    with pytest.raises(ValueError):  # noqa: PT011  (each bad parameter has its own message)
        cluster_trajectories(sequences, params)


def test_too_few_distinct_sequences():
    with pytest.raises(ValueError, match="too few for the requested clusters"):
        cluster_trajectories(np.array([[1] * 12, [2] * 12]), TrajectoryParams(k=3))
