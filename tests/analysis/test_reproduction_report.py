"""The reproduction report of a run: ours beside the published figures, as a page, an HTML file and a PDF, in both languages."""

import pytest
from django.urls import reverse

from tests.analysis.reproduction_run import stored_run
from tests.factories import MembershipFactory, UserFactory, WaveFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def run():
    return stored_run(WaveFactory(study__code="A"), 1500)


@pytest.fixture
def researcher(run):
    return MembershipFactory(user=UserFactory(username="res-repro"), role="researcher", study=run.wave.study).user


def test_the_report_sets_every_published_figure_beside_ours_in_both_languages(run, researcher, client):
    client.force_login(researcher)
    url = reverse("analysis:run_reproduction", args=[run.pk])
    english = client.get(url, {"lang": "en"})
    assert english.status_code == 200
    page = english.content.decode()
    for text in ("Study A: migration trajectories", "Study B: school support", "Model 1: resilience", "Propensity score matching",
                 "Difference / published SE", "-0.054 (0.021)", "50.14", "2.690 (1.100)", "METHODS.md"):
        assert text in page, text
    assert "<style" not in page and "style=" not in page  # the site's CSP: a stylesheet, no inline style
    assert page.count("<tr class=") == len(english.context["reproduction"].table)
    chinese = client.get(url, {"lang": "zh-hans"}).content.decode()
    assert "复现报告" in chinese and "差值 / 已发表标准误" in chinese and "模型 1" in chinese
    report = client.get(reverse("analysis:run_report", args=[run.pk])).content.decode()
    assert url in report


def test_the_report_downloads_as_html_and_pdf(run, researcher, client):
    client.force_login(researcher)
    html = client.get(reverse("analysis:run_reproduction", args=[run.pk]), {"lang": "en", "download": "1"})
    assert "attachment" in html["Content-Disposition"] and f"run-{run.pk}-reproduction-en.html" in html["Content-Disposition"]
    assert "<style>" in html.content.decode()  # a file carries its stylesheet
    for lang in ("en", "zh-hans"):
        pdf = client.get(reverse("analysis:run_reproduction_pdf", args=[run.pk]), {"lang": lang})
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000


def test_only_the_studys_researchers_and_only_succeeded_runs(run, client):
    client.force_login(MembershipFactory(user=UserFactory(username="tea"), role="teacher", study=run.wave.study).user)
    assert client.get(reverse("analysis:run_reproduction", args=[run.pk])).status_code == 403
    run.status = "failed"
    run.save()
    admin = MembershipFactory(user=UserFactory(username="adm"), role="study_admin", study=run.wave.study).user
    client.force_login(admin)
    assert client.get(reverse("analysis:run_reproduction_pdf", args=[run.pk])).status_code == 404
