"""The fixed lists of the pure core agree with the data dictionary: the sequence alphabet, the composites."""

from scoring.alphabet import LB1, LB2, MG, MIGRATION_STATUSES, NM, mig_column, mig_columns
from scoring.engine import PCR_PARTS, POOLED
from scoring.instrument import COMPOSITE_SCALES, TEACHER_ATTITUDE, default_instrument


def test_the_alphabet_is_the_dictionarys_mig_options():
    instrument = default_instrument()
    for code in mig_columns():
        options = instrument[code].options
        assert tuple(option.code for option in options) == MIGRATION_STATUSES.codes
        assert tuple(option.label["en"].split()[0] for option in options) == MIGRATION_STATUSES.shorts
    assert (NM, MG, LB1, LB2) == (1, 2, 3, 4)


def test_names_colours_and_columns():
    assert MIGRATION_STATUSES.names == (
        "non-migration", "migration", "left-behind by single parent", "left-behind by both parents"
    )
    assert MIGRATION_STATUSES.cluster_names[-1] == "transition" and len(MIGRATION_STATUSES) == 4
    assert MIGRATION_STATUSES.by_short("LB1").name == "left-behind by single parent"
    assert len(set(MIGRATION_STATUSES.colours)) == 4
    assert mig_columns() == [f"mig_{year:02d}" for year in range(1, 13)]
    assert mig_column(3, "_w2") == "mig_03_w2" and mig_columns("_w1", years=[1])[0] == "mig_01_w1"


def test_composites_are_made_of_the_dictionarys_scales():
    instrument = default_instrument()
    item_scales = {variable.scale for variable in instrument.items if variable.scale}
    for name, parts in COMPOSITE_SCALES.items():
        assert name in instrument.derived_codes and set(parts) <= item_scales
    assert {"rsca_indiv": COMPOSITE_SCALES["rsca_indiv"], "rsca_support": COMPOSITE_SCALES["rsca_support"]} == POOLED
    assert PCR_PARTS == ("pcr_father", "pcr_mother")
    assert instrument.scale_codes(TEACHER_ATTITUDE) == ("tatt1", "tatt2", "tatt3")
    assert len(instrument.scale_codes("rsca_indiv")) == 15
