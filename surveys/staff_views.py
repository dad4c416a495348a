"""The signed-in landing page: what each role can open, and the waves a researcher may read."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from schools.scoping import ALERT_ROLES, ROSTER_ROLES, has_any_role, research_studies

from .models import Wave
from .selectors import waves_with_counts


@login_required
def home(request):
    user = request.user
    waves = waves_with_counts(Wave.objects.filter(study__in=research_studies(user)))
    context = {
        "waves": waves,
        "is_research": user.is_superuser or research_studies(user).exists(),
        "is_school": user.is_superuser or has_any_role(user, ROSTER_ROLES) or has_any_role(user, ALERT_ROLES),
    }
    return render(request, "staff/home.html", context)
