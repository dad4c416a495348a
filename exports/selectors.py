"""Reads of exports, scoped by role: researchers and study administrators of the wave's study."""

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from studies.models import Wave
from studies.scoping import research_studies

from .engine import wave_flow
from .models import ExportJob


def export_jobs_visible(user) -> QuerySet:
    """The exports of the studies whose pseudonymous data the user may read (the whole team's)."""
    return ExportJob.objects.filter(study__in=research_studies(user)).select_related("wave__study", "study", "created_by")


def export_job_downloadable(job: ExportJob) -> bool:
    return job.is_downloadable and (job.expires_at is None or job.expires_at > timezone.now())


FLOW_CACHE_S = 3600


def wave_flow_cached(*, wave: Wave, rules: dict | None = None) -> list[dict]:
    """The cleaning flow of a wave (:func:`exports.engine.wave_flow`, which reads every submitted response's
    flags), cached until the wave's data change (its ``data_changed_at``, or its annotated count of submitted
    responses) for each set of rules switched off: the wave pages and the API's ``flow`` share it."""
    stamp = wave.data_changed_at and wave.data_changed_at.timestamp()
    off = ",".join(sorted(rule for rule, enabled in (rules or {}).items() if not enabled))
    key = f"exports:flow:{wave.pk}:{stamp}:{getattr(wave, 'submitted', '')}:{off}"
    flow = cache.get(key)
    if flow is None:
        flow = wave_flow(wave=wave, rules=rules)
        cache.set(key, flow, FLOW_CACHE_S)
    return flow
