"""Instrument versions stored in the database, built into ``scoring.instrument.Instrument``.

A wave points at a frozen ``InstrumentVersion`` (dictionary and wording as
text), so changing the bundled files never changes what an open wave asks.
"""

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


# Versions are frozen, so each process builds an instrument once. Hot paths load
# the version row without its texts (INSTRUMENT_TEXTS deferred): ~120 kB less per request.
INSTRUMENT_TEXTS = ("dictionary", "wording")
_built: dict[tuple, Instrument] = {}


def instrument_for(version: InstrumentVersion) -> Instrument:
    key = (version.pk, version.version, version.fingerprint)
    instrument = _built.get(key)
    if instrument is None:
        if version.pk is not None and version.get_deferred_fields() & set(INSTRUMENT_TEXTS):
            dictionary, wording = InstrumentVersion.objects.values_list(*INSTRUMENT_TEXTS).get(pk=version.pk)
        else:
            dictionary, wording = version.dictionary, version.wording
        instrument = build_instrument(dictionary, read_wording(wording), version=version.version)
        if version.pk is not None and version.fingerprint:
            _built[key] = instrument
    return instrument


def deferring_texts(prefix: str) -> list[str]:
    """The deferred-field names of an instrument version reached through ``prefix`` (e.g. "wave__instrument")."""
    return [f"{prefix}__{name}" for name in INSTRUMENT_TEXTS]
