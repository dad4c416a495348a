"""The teacher's roster: statuses, completion, codes in bulk (unique, typeable, revocable), slips,
reminders, the CSV (no names), waves carried over under one pid, and the researcher's history."""

import csv
import io
import random
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from schools import services
from schools.selectors import Status, roster_get
from surveys.access_codes import ALPHABET, LENGTH
from surveys.models import AccessCode, Response
from tests.factories import RespondentFactory, SchoolClassFactory, ScoreFactory, WaveFactory
from tests.school_world import login

pytestmark = pytest.mark.django_db


def _progress(world):
    kids = world.kids_a1
    now = timezone.now()
    Response.objects.create(  # in progress on the third part
        respondent=kids[0], wave=world.wave, school_class=world.class_a1, instrument_version="1",
        started_at=now, last_activity_at=now, current_section="parents_now", answers={"dep1": 5},
    )
    submitted = Response.objects.create(
        respondent=kids[1], wave=world.wave, school_class=world.class_a1, instrument_version="1", status="submitted",
        started_at=now, last_activity_at=now, submitted_at=now, answers={"dep1": 2},
    )
    ScoreFactory(response=submitted, values={"dep": 23.0})
    kids[3].withdrawn_at = now
    kids[3].save()


def test_statuses_completion_and_section_reached(world):
    _progress(world)
    roster = roster_get(user=world.users["teacher"], school_class=world.class_a1, wave=world.wave, lang="en")
    statuses = [row.status for row in roster.rows]
    assert statuses == [Status.IN_PROGRESS, Status.SUBMITTED, Status.NOT_STARTED, Status.WITHDRAWN]
    assert roster.rows[0].section == "parents_now" and roster.rows[0].section_position > 1
    assert roster.completion == 33  # 1 of the 3 still in the study
    assert [row.seat_number for row in roster.unfinished] == [1, 3]


def test_roster_page_and_live_fragment_show_progress_not_answers(client, world):
    _progress(world)
    login(client, world.users["teacher"])
    page = client.get(reverse("schools:roster", args=[world.class_a1.pk, world.wave.pk])).content.decode()
    assert 'data-completion="33"' in page and "data-poll=" in page and "schools/roster.js" in page
    assert "23.0" not in page and "dep" not in page
    rows = client.get(reverse("schools:roster_rows", args=[world.class_a1.pk, world.wave.pk]))
    assert rows["Cache-Control"] == "no-store" and 'data-status="submitted"' in rows.content.decode()
    assert "<html" not in rows.content.decode()


def test_csv_is_keyed_by_seat_without_display_names_and_is_audited(client, world):
    _progress(world)
    login(client, world.users["teacher"])
    response = client.get(reverse("schools:roster_csv", args=[world.class_a1.pk, world.wave.pk]))
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["status"] for row in rows] == ["in_progress", "submitted", "not_started", "withdrawn"]
    assert rows[0]["seat_number"] == "1" and rows[0]["section"] == "parents_now"
    assert "Kid" not in text and "A1-0" not in text
    from common.models import AuditEvent

    assert AuditEvent.objects.filter(action="export.roster_csv", actor=world.users["teacher"]).exists()


def test_reminder_list_names_only_who_has_not_finished(client, world):
    _progress(world)
    login(client, world.users["teacher"])
    page = client.get(reverse("schools:reminders", args=[world.class_a1.pk, world.wave.pk])).content.decode()
    assert "Kid1" in page and "Kid3" in page and "Kid2" not in page and "Kid4" not in page


def test_bulk_codes_per_class_and_wave_are_short_typeable_and_printable(client, world):
    login(client, world.users["teacher"])
    world.kids_a1[3].withdrawn_at = timezone.now()
    world.kids_a1[3].save()
    client.post(reverse("schools:wave_start", args=[world.class_a1.pk, world.wave.pk]))
    codes = list(AccessCode.objects.filter(wave=world.wave).values_list("code", flat=True))
    assert len(codes) == 3  # not the withdrawn child, not other classes
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not set("01OIL5S2Z8BUV") & set(ALPHABET)
    client.post(reverse("schools:wave_start", args=[world.class_a1.pk, world.wave.pk]))  # again: nothing new
    assert AccessCode.objects.filter(wave=world.wave).count() == 3
    slips = client.get(reverse("schools:slips", args=[world.class_a1.pk, world.wave.pk])).content.decode()
    printed = re.findall(r"data-code>([A-Z0-9-]+)<", slips)
    assert sorted(code.replace("-", "") for code in printed) == sorted(codes)
    pdf = client.get(reverse("schools:slips_pdf", args=[world.class_a1.pk, world.wave.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_codes_are_unique_across_the_study_even_when_a_draw_collides(world):
    classes = [SchoolClassFactory(school=world.class_a1.school, code=f"8-{n}") for n in range(5)]
    for school_class in classes:
        for seat in range(1, 41):
            RespondentFactory(school_class=school_class, seat_number=seat)
    teacher = world.users["study_admin"]
    existing = services.class_wave_start(actor=teacher, school_class=world.class_a1, wave=world.wave)[0].code
    rng = random.Random(7)
    draws = iter([existing] + ["".join(rng.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(10_000)])
    with mock.patch("surveys.services_codes.generate_access_code", side_effect=lambda: next(draws)):
        services.class_wave_start(actor=teacher, school_class=classes[0], wave=world.wave)  # first batch collides
    for school_class in classes[1:]:
        services.class_wave_start(actor=teacher, school_class=school_class, wave=world.wave)
    second_wave = WaveFactory(study=world.study, code="2027-1")
    for school_class in classes:
        services.class_wave_start(actor=teacher, school_class=school_class, wave=second_wave)
    codes = list(AccessCode.objects.values_list("code", flat=True))
    assert len(codes) == 4 + 2 * 200 and len(set(codes)) == len(codes)


def test_reissue_revokes_the_old_code_and_keeps_the_answers(client, world):
    _progress(world)
    kid = world.kids_a1[0]
    services.class_wave_start(actor=world.users["teacher"], school_class=world.class_a1, wave=world.wave)
    old = AccessCode.objects.get(respondent=kid, wave=world.wave, revoked_at__isnull=True)
    login(client, world.users["teacher"])
    client.post(reverse("schools:code_reissue", args=[world.class_a1.pk, world.wave.pk, kid.pk]))
    new = AccessCode.objects.get(respondent=kid, wave=world.wave, revoked_at__isnull=True)
    assert new.code != old.code
    assert client.post(reverse("surveys:entry"), {"code": old.code}).status_code == 400
    client.logout()
    assert client.post(reverse("surveys:entry"), {"code": new.code}).status_code == 302
    assert Response.objects.get(respondent=kid).answers == {"dep1": 5}  # resumed, not lost


def test_revoke_without_reissue(client, world):
    services.class_wave_start(actor=world.users["teacher"], school_class=world.class_a1, wave=world.wave)
    kid = world.kids_a1[2]
    login(client, world.users["teacher"])
    client.post(reverse("schools:code_revoke", args=[world.class_a1.pk, world.wave.pk, kid.pk]), {"confirmed": "1"})
    assert not AccessCode.objects.filter(respondent=kid, revoked_at__isnull=True).exists()


def test_new_wave_carries_the_roster_over_under_the_same_pid_and_history_shows_both(client, world):
    _progress(world)
    teacher = world.users["teacher"]
    second = WaveFactory(study=world.study, code="2027-1")
    login(client, teacher)
    client.post(reverse("schools:wave_start", args=[world.class_a1.pk, second.pk]))
    roster = roster_get(user=teacher, school_class=world.class_a1, wave=second)
    assert [row.seat_number for row in roster.rows] == [1, 2, 3, 4]
    assert [row.status for row in roster.rows] == [Status.NOT_STARTED] * 3 + [Status.WITHDRAWN]
    kid = world.kids_a1[1]
    Response.objects.create(respondent=kid, wave=second, school_class=world.class_a1, instrument_version="1", status="submitted")
    login(client, world.users["researcher"])
    page = client.get(reverse("schools:respondent_history", args=[world.study.pk, kid.pid])).content.decode()
    assert 'data-wave="2026-1"' in page and 'data-wave="2027-1"' in page and "23.0" in page
    assert "Kid2" not in page


def test_closed_wave_cannot_be_started(client, world):
    world.wave.is_open = False
    world.wave.save()
    login(client, world.users["teacher"])
    client.post(reverse("schools:wave_start", args=[world.class_a1.pk, world.wave.pk]))
    assert not AccessCode.objects.exists()


def test_roster_page_fits_a_phone(client, world):
    """The roster collapses to one card per student under 640px (checked in Chromium by the e2e test)."""
    from pathlib import Path

    css = Path(__file__).resolve().parents[2].joinpath("static/schools/schools.css").read_text()
    assert "@media (max-width: 640px)" in css and "td[data-label]::before" in css


def test_teacher_adds_students_by_seat_and_name_with_random_pids(client, world):
    login(client, world.users["teacher"])
    url = reverse("schools:class_detail", args=[world.class_a1.pk])
    client.post(url, {"students": "5 小强\n6\n\n2 Kid2 again\n7，小丽"})
    from studies.models import Respondent

    added = Respondent.objects.filter(school_class=world.class_a1, seat_number__in=[5, 6, 7]).order_by("seat_number")
    assert [(r.seat_number, r.display_name) for r in added] == [(5, "小强"), (6, ""), (7, "小丽")]
    assert Respondent.objects.filter(school_class=world.class_a1, seat_number=2).count() == 1  # seat taken: skipped
    assert all(r.pid.startswith("MIG-") and "小" not in r.pid for r in added)
    assert client.post(url, {"students": "  \n"}).status_code == 400
    login(client, world.users["teacher_other_class"])
    assert client.post(url, {"students": "9 X"}).status_code == 404


def test_roster_reads_a_fixed_number_of_queries_whatever_the_class_size(world, django_assert_num_queries):
    teacher = world.users["teacher"]
    services.class_wave_start(actor=teacher, school_class=world.class_a1, wave=world.wave)
    roster_get(user=teacher, school_class=world.class_a1, wave=world.wave)  # warm the instrument cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        roster_get(user=teacher, school_class=world.class_a1, wave=world.wave)
    for seat in range(10, 60):
        RespondentFactory(school_class=world.class_a1, seat_number=seat)
    services.class_wave_start(actor=teacher, school_class=world.class_a1, wave=world.wave)
    with django_assert_num_queries(len(small.captured_queries)):
        roster = roster_get(user=teacher, school_class=world.class_a1, wave=world.wave)
    assert len(roster.rows) == 54
