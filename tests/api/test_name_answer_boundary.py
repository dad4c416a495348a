"""Names never meet answers: every role tries every join across the API (and the school and research pages).

The API's endpoints are enumerated from the router (a new endpoint is tried without changing this test):
every list, every row's detail, every GET action, with the ids of the world. For each role we collect the
rows that carry a child's name and the rows that carry answers or scores (item answers, derived scores,
analysis assignments), with every value in them that identifies a respondent. No role may hold both,
except a counsellor for the child of an alert (rules met, no answers or scores; every view audited); and
no identifier seen beside a name is ever seen beside answers, for any pair of roles.
"""

import json

import pytest
from django.urls import reverse

from analysis.models import AnalysisAssignment
from common.models import AuditEvent
from config.api_urls import router
from safeguarding.models import Alert
from studies.models import Membership, Role
from tests.api.conftest import SECRET_NAME, token_client
from tests.factories import AnalysisRunFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NAMES = {SECRET_NAME, "李四"}
ROLES = ["researcher", "study_admin", "teacher", "counsellor", "school_admin", "researcher_b", "nobody", "superuser"]
# Keys whose values identify a respondent, and what they identify.
RESPONDENT_KEYS = {"pid": "pid", "respondent_id": "respondent", "respondent": "respondent", "seat_number": "seat"}


@pytest.fixture
def world(world):
    """The API world, plus an alert for the child with answers and an analysis run that assigned a cluster."""
    Alert.objects.create(
        study=world.study, school=world.klass.school, school_class=world.klass, respondent=world.child, wave=world.wave,
        response=world.response, rules=[{"rule": 1, "name": "depression score", "code": "dep", "threshold": 20}],
    )
    run = AnalysisRunFactory(wave=world.wave)
    AnalysisAssignment.objects.create(run=run, pid=world.child.pid, traj_cluster=1, traj_label="stable", sequence="111111111111")
    world.users["superuser"] = UserFactory(username="root", is_superuser=True, is_staff=True)
    return world


def _urls(world) -> list[str]:
    """Every GET the API answers, from the router: lists (with the world's ids as filters), details, actions."""
    params = f"?wave={world.wave.pk}&school_class={world.klass.pk}&assignments=1"
    urls = []
    for prefix, viewset, _ in router.registry:
        base = f"/api/v1/{prefix}/"
        urls.append(base + params)
        for extra in viewset.get_extra_actions():
            if "get" in extra.mapping:
                path = extra.url_path
                urls.append((f"{base}{{id}}/{path}/" if extra.detail else f"{base}{path}/") + params)
        if hasattr(viewset, "retrieve"):
            urls.append(base + "{id}/")
    return urls


def _rows(value):
    """Every JSON object in an answer, nested or not."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _rows(item)
    elif isinstance(value, list):
        for item in value:
            yield from _rows(item)


def _identifiers(row) -> set:
    return {(kind, str(row[key])) for key, kind in RESPONDENT_KEYS.items() if row.get(key) not in (None, "")}


def _harvest(client, world):
    """GET everything reachable: lists and list actions first (collecting row ids), then every row's details.

    Returns whether a name was seen, whether answers or scores were seen, whether alert rules were seen beside
    a name, and the identifiers seen beside names and beside answers."""
    seen = {"names": False, "answers": False, "named_rules": False, "beside_names": set(), "beside_answers": set()}
    ids: dict[str, set] = {}
    urls = _urls(world)
    lists = [url for url in urls if "{id}" not in url]
    for url in lists + [None]:
        if url is None:  # second phase: the details of every row found
            break
        _read(client, url, ids, seen)
    for url in [url for url in urls if "{id}" in url]:
        for pk in sorted(ids.get(url.split("/")[3], ())):
            _read(client, url.replace("{id}", str(pk)), ids, seen)
    return seen


def _read(client, url, ids, seen) -> None:
    response = client.get(url)
    assert response.status_code < 500, url
    if response.status_code != 200 or not response["Content-Type"].startswith("application/json"):
        return
    body = response.json()
    prefix = url.split("/")[3]
    for row in _rows(body):
        if isinstance(row.get("id"), int):
            ids.setdefault(prefix, set()).add(row["id"])
        keys = _identifiers(row)
        named = any(isinstance(v, str) and v in NAMES for v in row.values())
        answers = bool(row.get("answers") or row.get("values") or (prefix == "analysis-runs" and row.get("traj_cluster") is not None))
        if named:
            seen["beside_names"] |= keys
            seen["named_rules"] |= bool(row.get("rules"))
        if answers:
            seen["beside_answers"] |= keys
            seen["answers"] = True
    if any(name in json.dumps(body, ensure_ascii=False) for name in NAMES):
        seen["names"] = True


def test_every_endpoint_of_the_router_is_tried(world):
    prefixes = {url.split("/")[3] for url in _urls(world)}
    assert {"roster", "respondents", "responses", "scores", "alerts", "analysis-runs", "exports"} <= prefixes


def test_no_role_gets_a_name_together_with_answers_or_scores(world):
    harvest = {role: _harvest(token_client(world.users[role]), world) for role in ROLES}
    # each side is really reached (otherwise the test could not fail)
    assert harvest["teacher"]["names"] and harvest["school_admin"]["names"] and harvest["counsellor"]["named_rules"]
    assert harvest["researcher"]["answers"] and harvest["study_admin"]["answers"] and harvest["superuser"]["answers"]
    assert ("pid", world.child.pid) in harvest["researcher"]["beside_answers"]
    assert ("respondent", str(world.child.pk)) in harvest["teacher"]["beside_names"]
    for role, seen in harvest.items():
        assert not (seen["names"] and seen["answers"]), f"{role} gets names and answers"
        assert not seen["named_rules"] or role == "counsellor", role  # the exception: the child of an alert
    # no identifier seen beside a name (internal id, seat, pid) is seen beside answers, whoever saw them
    beside_names = set().union(*(seen["beside_names"] for seen in harvest.values()))
    beside_answers = set().union(*(seen["beside_answers"] for seen in harvest.values()))
    assert beside_names and beside_answers and not beside_names & beside_answers


def test_the_study_administrator_manages_the_roster_and_alerts_without_names(world):
    client = token_client(world.users["study_admin"])
    roster = client.get(f"/api/v1/roster/?school_class={world.klass.pk}&wave={world.wave.pk}").json()
    assert roster["rows"] and {row["display_name"] for row in roster["rows"]} == {""}
    assert {row["seat_number"] for row in roster["rows"]} == {world.child.seat_number, world.pupil.seat_number}
    alerts = client.get("/api/v1/alerts/").json()["results"]
    assert alerts and alerts[0]["display_name"] == "" and alerts[0]["seat_number"] == world.child.seat_number
    counsellor = token_client(world.users["counsellor"]).get("/api/v1/alerts/").json()["results"]
    assert counsellor[0]["display_name"] == SECRET_NAME
    assert AuditEvent.objects.filter(action="alert.view", actor=world.users["counsellor"]).exists()


def test_the_research_side_has_no_key_of_the_school_side(world):
    respondents = token_client(world.users["researcher"]).get("/api/v1/respondents/").json()["results"]
    assert respondents and all(set(row) == {"pid", "study", "school_code", "class_code"} for row in respondents)
    assert token_client(world.users["researcher"]).get(f"/api/v1/respondents/{world.child.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("first", "second"),
    [("teacher", "researcher"), ("school_admin", "study_admin"), ("counsellor", "researcher"), ("study_admin", "teacher")],
)
def test_one_user_never_holds_roles_of_both_sides_in_a_study(world, first, second):
    user = UserFactory(username=f"both-{first}-{second}")
    places = {"teacher": {"school_class": world.klass}, "school_admin": {"school": world.klass.school},
              "counsellor": {"school": world.klass.school}}
    MembershipFactory(user=user, role=first, study=world.study, **places.get(first, {}))
    admin = token_client(world.users["study_admin"])
    body = {"user": user.pk, "role": second, "study": world.study.pk}
    body.update({key: value.pk for key, value in places.get(second, {}).items()})
    response = admin.post("/api/v1/memberships/", body, format="json")
    assert response.status_code == 400
    assert Membership.objects.filter(user=user).count() == 1
    # in another study the same person may hold the other side's role
    other = MembershipFactory(role=Role.STUDY_ADMIN).study
    MembershipFactory(user=user, role=Role.RESEARCHER, study=other).full_clean()


def test_pages_names_for_the_school_side_scores_for_the_research_side_never_both(client, world):
    klass, wave, child = world.klass, world.wave, world.child
    alert = Alert.objects.get()
    pages = [
        reverse("schools:roster", args=[klass.pk, wave.pk]),
        reverse("schools:roster_rows", args=[klass.pk, wave.pk]),
        reverse("schools:slips", args=[klass.pk, wave.pk]),
        reverse("schools:reminders", args=[klass.pk, wave.pk]),
        reverse("schools:alert_list"),
        reverse("schools:alert_detail", args=[alert.pk]),
        reverse("schools:respondent_search", args=[world.study.pk]) + "?pid=PA",
        reverse("schools:respondent_history", args=[world.study.pk, child.pid]),
    ]
    history = pages[-1]
    for role in ROLES:
        client.force_login(world.users[role])
        bodies = {page: client.get(page) for page in pages}
        named = [page for page, r in bodies.items() if r.status_code == 200 and any(n in r.content.decode() for n in NAMES)]
        scored = bodies[history].status_code == 200 and child.pid in bodies[history].content.decode()
        assert not (named and scored), role
        if role in ("teacher", "school_admin", "counsellor"):
            assert named, role  # the school's side does see names
        if role in ("researcher", "study_admin", "superuser"):
            assert scored and not named, role
        client.logout()
