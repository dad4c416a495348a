"""The report and its plots in the user's language: Chinese first, English second."""

import pytest
from django.urls import reverse
from django.utils import translation

from common.labels import label
from studies.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("term", "chinese"),
    [
        ("left-behind by both parents", "双亲外出留守"),
        ("traj_label", "类别名称"),
        ("both parents × school belonging", "父母双方外出 × 学校归属感"),
        ("age, mean (SD)", "年龄, 均值（标准差）"),
        ("model4 (ages 4-12)", "模型4 (4-12 岁)"),
        ("main_tsat", "主效应: 对班主任的满意度"),
        ("flag_speeding", "作答过快标记"),
        ("0.123***", "0.123***"),
    ],
)
def test_terms(term, chinese):
    with translation.override("zh-hans"):
        assert label(term) == chinese
    with translation.override("en"):
        assert label(term) == term or term.startswith(("model", "main_")) and label(term) != chinese


@pytest.fixture
def researcher_client(client, cohort_run, make_user):
    client.force_login(make_user("researcher-lang", Role.RESEARCHER, study=cohort_run.wave.study))
    return client


def _get(client, url, language):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def test_report_tables_in_chinese(researcher_client, cohort_run):
    url = reverse("analysis:run_report", args=[cohort_run.run.pk])
    chinese = _get(researcher_client, url, "zh-hans").content.decode()
    english = _get(researcher_client, url, "en").content.decode()
    for term in ("类别名称", "双亲外出留守", "作答过快", "常数项"):
        assert term in chinese and term not in english
    assert "<th>traj_label</th>" in english and "<th>traj_label</th>" not in chinese


@pytest.mark.parametrize("name", ["sequence_index", "state_distribution", "quality"])
def test_plots_differ_by_language(researcher_client, cohort_run, name):
    url = reverse("analysis:run_plot", args=[cohort_run.run.pk, name])
    chinese = _get(researcher_client, url, "zh-hans")
    english = _get(researcher_client, url, "en")
    assert chinese["Content-Type"] == "image/png" and chinese.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert chinese.content != english.content
    svg = _get(researcher_client, url + "?format=svg", "zh-hans").content.decode()
    assert any(text in svg for text in ("年龄（岁）", "k（类别数）", "双亲外出留守"))
    assert "Noto Sans CJK" in svg  # drawn with the CJK font


def test_every_status_of_the_sequence_alphabet_has_a_chinese_label():
    from scoring.alphabet import MIGRATION_STATUSES

    with translation.override("zh-hans"):
        for term in (*MIGRATION_STATUSES.shorts, *MIGRATION_STATUSES.cluster_names):
            assert label(term) != term, term
