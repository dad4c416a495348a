"""Admin pages of the models that moved app: an old address leads to the new one, with its query."""

import pytest

from tests.factories import StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/surveys/study/{study}/change/", "/admin/studies/study/{study}/change/"),
        ("/admin/schools/alert/?status=open", "/admin/safeguarding/alert/?status=open"),
        ("/admin/schools/auditevent/", "/admin/common/auditevent/"),
        ("/admin/schools/membership/add/", "/admin/studies/membership/add/"),
    ],
)
def test_an_old_admin_address_leads_to_the_new_one(client, old, new):
    study = StudyFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    moved = client.get(old.format(study=study.pk))
    assert moved.status_code == 301 and moved["Location"] == new.format(study=study.pk)
    assert client.get(new.format(study=study.pk)).status_code == 200


def test_the_models_that_stayed_keep_their_admin_pages(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/surveys/response/").status_code == 200
