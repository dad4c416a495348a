"""The instrument comes from the data dictionary; versions are frozen; licensed wording loads from a file."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from scoring.instrument import DEFAULT_DICTIONARY
from studies.models import InstrumentVersion
from surveys.models import Response
from tests.factories import AccessCodeFactory, WaveFactory


def test_bundled_dictionary_is_the_shared_contract(spec_dir):
    assert DEFAULT_DICTIONARY.read_bytes() == (spec_dir / "variables.csv").read_bytes()


@pytest.mark.django_db
def test_licensed_wording_is_a_new_version_shown_to_its_wave(tmp_path, client):
    path = tmp_path / "licensed.csv"
    path.write_text("key,zh-hans,en\nrsca01,授权题目一,Licensed item one\n", encoding="utf-8")
    call_command("load_wording", str(path), name="1-licensed")
    licensed = InstrumentVersion.objects.get(version="1-licensed")
    code = AccessCodeFactory(wave=WaveFactory(instrument=licensed))
    client.post(reverse("surveys:entry"), {"code": code.code})
    client.post(reverse("surveys:assent"), {"agree": "on"})
    page = client.get(reverse("surveys:section", args=["rsca"])).content.decode()
    assert "授权题目一" in page
    assert Response.objects.get().instrument_version == "1-licensed"
    with pytest.raises(CommandError, match="exists already"):
        call_command("load_wording", str(path), name="1-licensed")


@pytest.mark.django_db
def test_a_wording_file_without_key_column_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,text\nrsca01,x\n")
    with pytest.raises(CommandError, match="'key' column"):
        call_command("load_wording", str(path), name="2")
