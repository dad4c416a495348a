"""Reads of exports, scoped by role: researchers and study administrators of the wave's study."""

from django.db.models import QuerySet
from django.utils import timezone

from schools.scoping import research_studies

from .models import ExportJob


def export_jobs_visible(user) -> QuerySet:
    """The exports of the studies whose pseudonymous data the user may read (the whole team's)."""
    return ExportJob.objects.filter(study__in=research_studies(user)).select_related("wave__study", "study", "created_by")


def export_job_downloadable(job: ExportJob) -> bool:
    return job.is_downloadable and (job.expires_at is None or job.expires_at > timezone.now())
