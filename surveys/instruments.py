"""Instrument versions stored in the database, built into ``scoring.instrument.Instrument``.

A wave points at a frozen ``InstrumentVersion`` (dictionary and wording as
text), so changing the bundled files never changes what an open wave asks.
"""

from functools import lru_cache

from django.conf import settings
from django.db import transaction

from scoring.instrument import DEFAULT_DICTIONARY, DEFAULT_WORDING, Instrument, build_instrument, read_wording, write_wording

from .models import InstrumentVersion


def instrument_version_default() -> InstrumentVersion:
    """The bundled instrument, stored on first use."""
    version, _ = InstrumentVersion.objects.get_or_create(
        version=settings.DEFAULT_INSTRUMENT_VERSION,
        defaults={
            "dictionary": DEFAULT_DICTIONARY.read_text(encoding="utf-8-sig"),
            "wording": DEFAULT_WORDING.read_text(encoding="utf-8-sig"),
            "fingerprint": "",
        },
    )
    if not version.fingerprint:
        version.fingerprint = instrument_for(version).fingerprint
        version.save(update_fields=["fingerprint"])
    return version


@transaction.atomic
def instrument_version_create(*, version: str, wording: str, base: InstrumentVersion | None = None) -> InstrumentVersion:
    """A new version with the wording of ``base`` overridden key by key (e.g. a licensed scale)."""
    base = base or instrument_version_default()
    merged = read_wording(base.wording)
    for key, texts in read_wording(wording).items():
        merged[key] = {**merged.get(key, {}), **texts}
    stored = InstrumentVersion(version=version, dictionary=base.dictionary, wording=write_wording(merged))
    stored.fingerprint = instrument_for(stored).fingerprint
    stored.save()
    return stored


def instrument_for(version: InstrumentVersion) -> Instrument:
    return _build(version.version, version.dictionary, version.wording)


@lru_cache(maxsize=16)
def _build(version: str, dictionary: str, wording: str) -> Instrument:
    return build_instrument(dictionary, read_wording(wording), version=version)
