"""The dictionary's rules as data: ``asked_when`` conditions and ``model_covariate`` (no description parsing)."""

import csv

import pytest

from scoring.instrument import Condition, InstrumentError, build_instrument, default_instrument


@pytest.mark.parametrize(
    ("text", "subject", "op", "value", "offset"),
    [("parent_away==1", "parent_away", "==", 1, 0), ("age+1>=5", "age", ">=", 5, 1), (" age + 1 >= 12 ", "age", ">=", 12, 1)],
)
def test_parse(text, subject, op, value, offset):
    assert Condition.parse(text) == Condition(subject, op, value, offset)


@pytest.mark.parametrize("text", ["parent_away=1", "age>5", "1==parent_away", "parent_away==x"])
def test_parse_rejects_other_forms(text):
    with pytest.raises(InstrumentError):
        Condition.parse(text)


def test_empty_means_always_asked():
    assert Condition.parse("") is None
    assert default_instrument()["gender"].is_asked({}, age=3)


def test_item_condition():
    variable = default_instrument()["mother_away"]
    assert variable.is_asked({"parent_away": 1}, age=10)
    assert not variable.is_asked({"parent_away": 0}, age=10)
    assert not variable.is_asked({}, age=10)


@pytest.mark.parametrize(("age", "years"), [(None, 12), (0, 1), (3, 4), (10, 11), (11, 12), (15, 12)])
def test_residence_years_from_conditions(age, years):
    asked = default_instrument().residence_years_asked(age)
    assert list(asked) == list(range(1, years + 1))


def test_every_rule_read_from_the_columns(spec_dir):
    instrument = default_instrument()
    with open(spec_dir / "variables.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert instrument.model_covariates == [row["code"] for row in rows if row["model_covariate"] == "1"]
    for row in rows:
        assert str(instrument[row["code"]].asked_when or "") == row["asked_when"].replace(" ", "")


def test_a_condition_on_an_unknown_item_is_refused():
    header = "code,section,kind,type,options,reverse,scale,description,asked_when,model_covariate\n"
    text = header + "x,about,item,choice,0=no|1=yes,,,x,nothing==1,\n"
    with pytest.raises(InstrumentError, match="nothing"):
        build_instrument(text, {}, version="t")
