"""Pages for the study team (signed in)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Q
from django.shortcuts import render

from .models import Response, Wave


@staff_member_required
def home(request):
    """Every wave with its numbers of responses in progress and submitted."""
    waves = Wave.objects.select_related("study", "instrument").annotate(
        submitted=Count("responses", filter=Q(responses__status=Response.Status.SUBMITTED)),
        in_progress=Count("responses", filter=Q(responses__status=Response.Status.DRAFT)),
        codes=Count("access_codes", filter=Q(access_codes__revoked_at__isnull=True), distinct=True),
    )
    return render(request, "staff/home.html", {"waves": waves})
