"""Every school page and API endpoint, with every role: allowed, 403 (no role for this kind of page)
or 404 (a row outside the user's scope: a teacher of another class, a counsellor of another school,
the administrator of another study). Denied answers never carry the data."""

import pytest
from django.urls import reverse
from django.utils import timezone

from safeguarding.models import Alert, GuardianConsent
from studies.models import Membership, Role
from surveys.models import Response
from tests.school_world import login

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "no_role",
    "teacher",
    "teacher_other_class",
    "counsellor",
    "counsellor_other_school",
    "school_admin",
    "researcher",
    "study_admin",
    "other_study_admin",
    "other_study_counsellor",
]

# Who may do what: (allowed, not found); every other signed-in role gets 403, anonymous is sent to sign in.
ROSTER = ({"teacher", "school_admin", "study_admin"}, {"teacher_other_class", "other_study_admin"})
ALERT_QUEUE = ({"counsellor", "counsellor_other_school", "study_admin", "other_study_admin", "other_study_counsellor"}, set())
ALERT_ITEM = ({"counsellor", "study_admin"}, {"counsellor_other_school", "other_study_admin", "other_study_counsellor"})
HISTORY = ({"researcher", "study_admin"}, {"other_study_admin"})
STUDY_ADMIN = ({"study_admin"}, {"other_study_admin"})
AUDIT = ({"study_admin", "other_study_admin"}, set())
EVERYONE = (set(ROLES) - {"anonymous"}, set())
# Data that must appear only for the allowed roles that are in scope.
SEES_ALERT = {"counsellor", "study_admin"}
# Children's names (the "Kid" markers): the school's side only; a study administrator sees seat numbers.
SEES_NAMES = {"teacher", "school_admin", "counsellor"}


@pytest.fixture
def setup(world):
    kid = world.kids_a1[0]
    response = Response.objects.create(
        respondent=kid, wave=world.wave, school_class=world.class_a1, status=Response.Status.SUBMITTED,
        instrument_version=world.wave.instrument.version, submitted_at=timezone.now(), answers={"dep1": 5},
    )
    alert = Alert.objects.create(
        study=world.study, school=world.class_a1.school, school_class=world.class_a1, respondent=kid,
        wave=world.wave, response=response, rules=[{"name": "dep", "code": "dep", "threshold": 20}],
    )
    withdrawn = world.kids_a1[3]
    withdrawn.withdrawn_at = timezone.now()
    withdrawn.save()
    return {"world": world, "alert": alert, "kid": kid, "withdrawn": withdrawn}


def _client(client, world, role):
    if role != "anonymous":
        login(client, world.users[role])
    return client


def _pages(setup):
    w, alert, kid = setup["world"], setup["alert"], setup["kid"]
    c, v, k = w.class_a1.pk, w.wave.pk, kid.pk
    return [
        ("get", reverse("schools:dashboard"), EVERYONE, None),
        ("get", reverse("schools:class_detail", args=[c]), ROSTER, "7-1"),
        ("get", reverse("schools:roster", args=[c, v]), ROSTER, "Kid1"),
        ("get", reverse("schools:roster_rows", args=[c, v]), ROSTER, "Kid1"),
        ("get", reverse("schools:roster_csv", args=[c, v]), ROSTER, "submitted"),
        ("get", reverse("schools:reminders", args=[c, v]), ROSTER, "Kid2"),
        ("get", reverse("schools:slips", args=[c, v]), ROSTER, "7-1"),
        ("get", reverse("schools:slips_pdf", args=[c, v]), ROSTER, "%PDF"),
        ("post", reverse("schools:wave_start", args=[c, v]), ROSTER, None),
        ("post", reverse("schools:code_reissue", args=[c, v, k]), ROSTER, None),
        ("post", reverse("schools:code_revoke", args=[c, v, k]), ROSTER, None),
        ("post", reverse("schools:consent_record", args=[c, v, k]), ROSTER, None),
        ("post", reverse("schools:respondent_withdraw", args=[c, v, k]), ROSTER, None),
        ("get", reverse("schools:alert_list"), ALERT_QUEUE, "Kid1"),
        ("get", reverse("schools:alert_detail", args=[alert.pk]), ALERT_ITEM, "Kid1"),
        ("post", reverse("schools:alert_acknowledge", args=[alert.pk]), ALERT_ITEM, None),
        ("post", reverse("schools:alert_follow_up", args=[alert.pk]), ALERT_ITEM, None),
        ("get", reverse("schools:respondent_search", args=[w.study.pk]), HISTORY, "A1-01"),
        ("get", reverse("schools:respondent_history", args=[w.study.pk, kid.pid]), HISTORY, "A1-01"),
        ("get", reverse("schools:withdrawn", args=[w.study.pk]), STUDY_ADMIN, setup["withdrawn"].pid),
        ("post", reverse("schools:withdrawn_delete", args=[w.study.pk, setup["withdrawn"].pk]), STUDY_ADMIN, None),
        ("get", reverse("schools:audit"), AUDIT, None),
    ]


PAGE_IDS = [
    "dashboard", "class", "roster", "roster_rows", "roster_csv", "reminders", "slips", "slips_pdf", "wave_start",
    "reissue", "revoke", "consent", "withdraw", "alert_list", "alert_detail", "alert_ack", "alert_follow_up",
    "history_search", "history", "withdrawn", "withdrawn_delete", "audit",
]


def _assert_refused(response, role, url, not_found):
    """A signed-in role the row is not for: 404 where it may not even learn the row exists, 403 elsewhere."""
    assert response.status_code == (404 if role in not_found else 403), (role, url, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", range(len(PAGE_IDS)), ids=PAGE_IDS)
def test_page_permissions(client, setup, role, page):
    method, url, (allowed, not_found), marker = _pages(setup)[page]
    client = _client(client, setup["world"], role)
    data = {"decision": "given", "note": "talked with the child"} if method == "post" else None
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    body = response.content.decode("utf-8", "replace") if not response.get("Content-Type", "").startswith("application/pdf") else ""
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in allowed:
        assert response.status_code in (200, 302), (role, url, response.status_code)
        if marker and page != PAGE_IDS.index("slips_pdf"):
            in_scope = role in SEES_ALERT if url.startswith(reverse("schools:alert_list")) else True
            in_scope = in_scope and (role in SEES_NAMES or not marker.startswith("Kid"))
            assert (marker in body) == in_scope, (role, url)
    else:
        _assert_refused(response, role, url, not_found)
    if role not in allowed and marker:
        assert marker not in body


def test_denied_posts_change_nothing(client, setup):
    w, kid, alert = setup["world"], setup["kid"], setup["alert"]
    login(client, w.users["teacher_other_class"])
    client.post(reverse("schools:respondent_withdraw", args=[w.class_a1.pk, w.wave.pk, kid.pk]))
    client.post(reverse("schools:consent_record", args=[w.class_a1.pk, w.wave.pk, kid.pk]), {"decision": "given"})
    login(client, w.users["counsellor_other_school"])
    client.post(reverse("schools:alert_acknowledge", args=[alert.pk]))
    kid.refresh_from_db()
    alert.refresh_from_db()
    assert kid.withdrawn_at is None and not GuardianConsent.objects.exists() and alert.status == Alert.Status.OPEN


def test_a_teacher_cannot_reach_another_class_through_its_own_class_url(client, setup):
    """The respondent must belong to the class in the URL: a teacher of 7-2 cannot act on a 7-1 child via 7-2."""
    w, kid = setup["world"], setup["kid"]
    login(client, w.users["teacher_other_class"])
    url = reverse("schools:respondent_withdraw", args=[w.class_a2.pk, w.wave.pk, kid.pk])
    assert client.post(url).status_code == 404
    other_wave = w.other_study.waves.create(code="x", instrument=w.wave.instrument)
    assert client.get(reverse("schools:roster", args=[w.class_a2.pk, other_wave.pk])).status_code == 404


# --- API ----------------------------------------------------------------------------------------------


def _api(setup):
    w, alert = setup["world"], setup["alert"]
    membership = Membership.objects.get(user=w.users["teacher"])
    roster = f"/api/v1/roster/?school_class={w.class_a1.pk}&wave={w.wave.pk}"
    return [
        ("get", "/api/v1/memberships/", AUDIT, "teacher"),
        ("get", f"/api/v1/memberships/{membership.pk}/", STUDY_ADMIN, "teacher"),
        ("delete", f"/api/v1/memberships/{membership.pk}/", STUDY_ADMIN, None),
        ("get", "/api/v1/alerts/", ALERT_QUEUE, "Kid1"),
        ("get", f"/api/v1/alerts/{alert.pk}/", ALERT_ITEM, "Kid1"),
        ("post", f"/api/v1/alerts/{alert.pk}/acknowledge/", ALERT_ITEM, None),
        ("post", f"/api/v1/alerts/{alert.pk}/follow-up/", ALERT_ITEM, None),
        ("get", roster, ROSTER, "Kid1"),
    ]


API_IDS = ["memberships", "membership", "membership_delete", "alerts", "alert", "alert_ack", "alert_follow_up", "roster"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", range(len(API_IDS)), ids=API_IDS)
def test_api_permissions(client, setup, role, endpoint):
    method, url, (allowed, not_found), marker = _api(setup)[endpoint]
    client = _client(client, setup["world"], role)
    if method == "post":
        response = client.post(url, {"note": "called the guardian"}, content_type="application/json")
    else:
        response = getattr(client, method)(url)
    body = response.content.decode()
    if role == "anonymous":
        assert response.status_code in (401, 403)
    elif role in allowed:
        assert response.status_code in (200, 201, 204), (role, url, response.status_code, body)
        if marker:
            in_scope = role in SEES_ALERT if "/alerts/" in url else role == "study_admin" if "memberships" in url else True
            in_scope = in_scope and (role in SEES_NAMES or not marker.startswith("Kid"))
            assert (marker in body) == in_scope, (role, url, body)
    else:
        _assert_refused(response, role, url, not_found)
    if role not in allowed and marker:
        assert marker not in body


@pytest.mark.parametrize("role", ["study_admin", "other_study_admin", "teacher", "researcher"])
def test_api_membership_create_only_in_an_administered_study(client, setup, role):
    w = setup["world"]
    login(client, w.users[role])
    payload = {"user": w.users["no_role"].pk, "role": Role.RESEARCHER, "study": w.study.pk}
    response = client.post("/api/v1/memberships/", payload, content_type="application/json")
    expected = {"study_admin": 201, "other_study_admin": 400, "teacher": 403, "researcher": 403}[role]
    assert response.status_code == expected, response.content
    assert Membership.objects.filter(user=w.users["no_role"]).exists() == (expected == 201)


def test_roster_api_gives_progress_never_answers_or_scores(client, setup):
    w = setup["world"]
    login(client, w.users["teacher"])
    data = client.get(f"/api/v1/roster/?school_class={w.class_a1.pk}&wave={w.wave.pk}").json()
    row = data["rows"][0]
    assert set(row) == {
        "respondent_id", "seat_number", "display_name", "status", "section", "section_position",
        "last_activity_at", "consent", "needs_follow_up",
    }
    assert row["status"] == "submitted" and "dep1" not in str(data)


def test_researcher_sees_pids_never_display_names(client, setup):
    w = setup["world"]
    login(client, w.users["researcher"])
    page = client.get(reverse("schools:respondent_history", args=[w.study.pk, setup["kid"].pid])).content.decode()
    search = client.get(reverse("schools:respondent_search", args=[w.study.pk])).content.decode()
    assert "A1-01" in page and "Kid1" not in page and "Kid" not in search


@pytest.mark.parametrize("url", ["/api/v1/responses/", "/api/v1/scores/"])
def test_teachers_and_counsellors_get_no_answers_or_scores_from_the_survey_api(client, setup, url):
    for role in ("teacher", "counsellor", "school_admin"):
        login(client, setup["world"].users[role])
        response = client.get(url)
        assert response.status_code in (403, 404) or not response.json().get("results"), (role, url)
