"""Signed-in pages of the surveys app: the landing page, and a respondent's answer history for study administrators."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from scoring.instrument import LANGUAGES
from studies.models import Respondent, Role, Wave
from studies.permissions import role_required
from studies.scoping import ALERT_ROLES, ROSTER_ROLES, administered_studies, has_any_role, research_studies

from .selectors import answer_changes, waves_with_counts


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


@role_required(Role.STUDY_ADMIN)
def answer_history(request, study_id, pid):
    """Every answer written for one respondent (pid, never a name): old -> new, when, device, source.

    Study administrators of the study only: 403 for any other role, 404 for a
    study or respondent outside the user's studies.
    """
    study = get_object_or_404(administered_studies(request.user), pk=study_id)
    respondent = get_object_or_404(Respondent, study=study, pid=pid)
    lang = get_language() if get_language() in LANGUAGES else LANGUAGES[0]
    changes = answer_changes(respondent=respondent, lang=lang)
    return render(request, "schools/answer_history.html", {"study": study, "respondent": respondent, "changes": changes})
