"""Personal API tokens: made and revoked on /research/tokens/, shown once, stored hashed, expiring."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apitokens.models import ApiToken
from apitokens.services import api_token_create, token_hash

pytestmark = pytest.mark.django_db


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_researcher_makes_a_token_on_the_page_and_sees_it_once(world, client):
    client.force_login(world.users["researcher"])
    url = reverse("apitokens:token_list")
    made = client.post(url, {"name": "pull script", "days": "90"})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    key = made.context["new_key"]
    assert key.startswith("sp_") and key in made.content.decode()
    token = ApiToken.objects.get(user=world.users["researcher"])
    # only the prefix and the hash are stored: the key is nowhere in the row
    assert token.key_hash == token_hash(key) and key not in str(token.__dict__.values())
    assert token.name == "pull script" and abs((token.expires_at - timezone.now()) - timedelta(days=90)) < timedelta(minutes=1)
    again = client.get(url).content.decode()
    assert key not in again and f"sp_{token.prefix}_" in again
    # the token reads the API with the researcher's roles
    page = bearer(key).get("/api/v1/responses/")
    assert page.status_code == 200 and [row["pid"] for row in page.json()["results"]] == ["PA0001"]
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)
    bearer(key).get("/api/v1/studies/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_revoked_expired_or_forged_tokens_get_401(world, client):
    researcher = world.users["researcher"]
    created = api_token_create(user=researcher, name="t", days=30)
    assert bearer(created.key).get("/api/v1/studies/").status_code == 200
    forged = created.key[:-4] + "AAAA"
    refused = bearer(forged).get("/api/v1/studies/")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "authentication_failed"
    assert refused["WWW-Authenticate"] == "Bearer"
    client.force_login(researcher)
    assert client.post(reverse("apitokens:token_revoke", args=[created.token.pk])).status_code == 302
    assert bearer(created.key).get("/api/v1/studies/").status_code == 401
    expiring = api_token_create(user=researcher, name="old", days=30)
    ApiToken.objects.filter(pk=expiring.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(expiring.key).get("/api/v1/studies/").status_code == 401
    researcher.is_active = False
    researcher.save()
    assert bearer(api_token_create(user=researcher, name="x", days=30).key).get("/api/v1/studies/").status_code == 401


def test_a_token_grants_only_its_owners_roles_and_only_the_owner_revokes_it(world, client):
    own = api_token_create(user=world.users["researcher_b"], name="b", days=30)
    assert bearer(own.key).get(f"/api/v1/responses/{world.response.pk}/").status_code == 404  # study A's row
    client.force_login(world.users["researcher"])
    client.post(reverse("apitokens:token_revoke", args=[own.token.pk]))
    assert ApiToken.objects.get(pk=own.token.pk).revoked_at is None


def test_school_staff_have_no_token_page_and_expiry_is_bounded(world, client):
    client.force_login(world.users["teacher"])
    assert client.get(reverse("apitokens:token_list")).status_code == 403
    client.force_login(world.users["researcher"])
    refused = client.post(reverse("apitokens:token_list"), {"name": "forever", "days": "100000"})
    assert refused.status_code == 200 and refused.context["new_key"] is None and not ApiToken.objects.exists()
    with pytest.raises(ValueError, match="days must be one of"):
        api_token_create(user=world.users["researcher"], name="forever", days=100000)


def test_drf_tokens_still_work_beside_personal_ones(world, api):
    assert api("researcher").get("/api/v1/studies/").status_code == 200
