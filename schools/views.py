"""School pages: rosters for teachers, the counsellor's alert queue, consent, history, deletions, audit.

Thin: each view checks the role (403 for a kind of page the user has no role
for), reads through ``schools.selectors`` (404 for a row outside the user's
scope) and writes through ``schools.services``.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common import audit
from safeguarding import selectors as safeguarding_selectors
from safeguarding import services as safeguarding_services
from safeguarding.models import Alert, GuardianConsent
from studies import scoping
from studies import services as study_services
from studies.permissions import role_required
from surveys import services as survey_services
from surveys.access_codes import format_access_code

from . import selectors, services
from .forms import ConsentDecisionForm, FollowUpForm, StudentsForm
from .middleware import passive
from .printing import slips_pdf

roster_view = role_required(*scoping.ROSTER_ROLES)
alert_view = role_required(*scoping.ALERT_ROLES)
history_view = role_required(*scoping.HISTORY_ROLES)
study_admin_view = role_required(scoping.Role.STUDY_ADMIN)


def _url_of(name: str, key: str, **kwargs):
    """A function pk -> the address of ``name`` with that pk as ``key``: one ``reverse`` for a list of
    hundreds or thousands of rows (a study administrator's 2,000 classes), not one per row."""
    marker = "2147483647"
    head, _, tail = reverse(name, kwargs={**kwargs, key: int(marker)}).rpartition(marker)
    return lambda pk: f"{head}{pk}{tail}"


@login_required
def dashboard(request):
    user = request.user
    classes = selectors.classes_for_dashboard(user=user)
    url = _url_of("schools:class_detail", "class_id")
    for row in classes:
        row["url"] = url(row["pk"])
    context = {
        "classes": classes,
        "can_alerts": scoping.has_any_role(user, scoping.ALERT_ROLES),
        "open_alerts": safeguarding_selectors.alerts_visible(user).filter(status=Alert.Status.OPEN).count(),
        "history_studies": scoping.history_studies(user),
        "admin_studies": scoping.administered_studies(user),
    }
    return render(request, "schools/dashboard.html", context)


# --- Classes and rosters ---------------------------------------------------------------------------


def _class_and_wave(request, class_id, wave_id):
    school_class = selectors.roster_class_get(user=request.user, class_id=class_id)
    return school_class, selectors.roster_wave_get(school_class=school_class, wave_id=wave_id)


@roster_view
@require_http_methods(["GET", "POST"])
def class_detail(request, class_id):
    """The class's waves (start one: codes for the roster) and adding students to the roster."""
    school_class = selectors.roster_class_get(user=request.user, class_id=class_id)
    form = StudentsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        added = study_services.respondents_add(actor=request.user, school_class=school_class, students=form.cleaned_data["students"])
        messages.success(request, _("%(n)s students added.") % {"n": len(added)})
        return redirect("schools:class_detail", class_id=school_class.pk)
    waves = selectors.waves_for_class(school_class=school_class)
    size = selectors.roster_size(school_class=school_class)
    context = {"school_class": school_class, "waves": waves, "form": form, "size": size}
    return render(request, "schools/class_detail.html", context, status=400 if form.errors else 200)


@roster_view
@require_POST
def wave_start(request, class_id, wave_id):
    """Start a wave for the class (the roster carries over): codes for every child still in the study."""
    school_class, wave = _class_and_wave(request, class_id, wave_id)
    if not wave.is_open:
        messages.error(request, _("This wave is closed."))
        return redirect("schools:class_detail", class_id=school_class.pk)
    issued = services.class_wave_start(actor=request.user, school_class=school_class, wave=wave)
    messages.success(request, _("%(n)s new access codes generated.") % {"n": len(issued)})
    return redirect("schools:roster", class_id=school_class.pk, wave_id=wave.pk)


def _roster_context(request, school_class, wave):
    roster = selectors.roster_get(user=request.user, school_class=school_class, wave=wave, lang=get_language())
    return {"roster": roster, "school_class": school_class, "wave": wave, "now": timezone.now()}


@roster_view
def roster(request, class_id, wave_id):
    school_class, wave = _class_and_wave(request, class_id, wave_id)
    return render(request, "schools/roster.html", _roster_context(request, school_class, wave))


@passive
@roster_view
def roster_rows(request, class_id, wave_id):
    """The live part of the roster (summary and rows), polled by static/schools/roster.js."""
    school_class, wave = _class_and_wave(request, class_id, wave_id)
    response = render(request, "schools/_roster_live.html", _roster_context(request, school_class, wave))
    response["Cache-Control"] = "no-store"
    return response


@roster_view
def roster_csv(request, class_id, wave_id):
    """The roster's status as CSV, keyed by seat number: display names never leave the page."""
    school_class, wave = _class_and_wave(request, class_id, wave_id)
    roster = selectors.roster_get(user=request.user, school_class=school_class, wave=wave, lang="en")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-{school_class.code}-{wave.code}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow(["seat_number", "status", "section", "last_activity_at", "guardian_consent"])
    for row in roster.rows:
        last = timezone.localtime(row.last_activity_at).isoformat(timespec="minutes") if row.last_activity_at else ""
        writer.writerow([row.seat_number or "", row.status, row.section, last, row.consent])
    audit.audit_record(
        actor=request.user, action="export.roster_csv", target=f"class {school_class.pk} wave {wave.code}", study=wave.study
    )
    return response


@roster_view
def reminders(request, class_id, wave_id):
    school_class, wave = _class_and_wave(request, class_id, wave_id)
    return render(request, "schools/reminders.html", _roster_context(request, school_class, wave))


def _slips(request, school_class, wave):
    roster = selectors.roster_get(user=request.user, school_class=school_class, wave=wave, lang=get_language())
    entry_url = request.build_absolute_uri("/")
    return [
        {"seat": row.seat_number, "name": row.display_name, "code": format_access_code(row.code)}
        for row in roster.rows
        if row.code
    ], entry_url


@roster_view
def slips(request, class_id, wave_id):
    school_class, wave = _class_and_wave(request, class_id, wave_id)
    slips, entry_url = _slips(request, school_class, wave)
    context = {"school_class": school_class, "wave": wave, "slips": slips, "entry_url": entry_url}
    return render(request, "schools/slips.html", context)


@roster_view
def slips_pdf_view(request, class_id, wave_id):
    school_class, wave = _class_and_wave(request, class_id, wave_id)
    slips, entry_url = _slips(request, school_class, wave)
    pdf = slips_pdf(school=str(school_class.school), school_class=str(school_class), wave=wave.code, slips=slips, entry_url=entry_url)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="codes-{school_class.code}-{wave.code}.pdf"'
    return response


def _respondent_action(request, class_id, wave_id, respondent_id):
    school_class, wave = _class_and_wave(request, class_id, wave_id)
    respondent = selectors.roster_respondent_get(user=request.user, school_class=school_class, respondent_id=respondent_id)
    return school_class, wave, respondent


def _back_to_roster(school_class, wave):
    return redirect("schools:roster", class_id=school_class.pk, wave_id=wave.pk)


def _confirmation_page(request, *, question: str, action: str, back_url: str):
    """A destructive POST goes through only with ``confirmed=1`` (set by ``staff/confirm.js`` after the
    browser's dialog, or by this page's button when the script did not run); otherwise ask on a page."""
    if request.POST.get("confirmed") == "1":
        return None
    fields = [(name, value) for name, value in request.POST.items() if name not in ("csrfmiddlewaretoken", "confirmed")]
    context = {"question": question, "action": action, "back_url": back_url, "fields": fields}
    return render(request, "staff/confirm.html", context)


def _roster_change_asked_first(request, class_id, wave_id, respondent_id, *, question: str, action: str, change, done: str):
    """A change to one child of the roster that cannot be undone: asked first (``_confirmation_page``), then
    ``change(respondent, wave)``, the message ``done`` and back to the roster."""
    school_class, wave, respondent = _respondent_action(request, class_id, wave_id, respondent_id)
    back = reverse("schools:roster", kwargs={"class_id": school_class.pk, "wave_id": wave.pk})
    if page := _confirmation_page(request, question=question, action=action, back_url=back):
        return page
    change(respondent, wave)
    messages.success(request, done)
    return _back_to_roster(school_class, wave)


@roster_view
@require_POST
def code_reissue(request, class_id, wave_id, respondent_id):
    school_class, wave, respondent = _respondent_action(request, class_id, wave_id, respondent_id)
    try:
        code = services.respondent_code_reissue(actor=request.user, respondent=respondent, wave=wave)
    except services.NotAllowed:
        messages.error(request, _("A withdrawn student gets no code."))
    else:
        messages.success(request, _("New code for seat %(seat)s: %(code)s") % {"seat": respondent.seat_number, "code": format_access_code(code.code)})
    return _back_to_roster(school_class, wave)


@roster_view
@require_POST
def code_revoke(request, class_id, wave_id, respondent_id):
    return _roster_change_asked_first(
        request, class_id, wave_id, respondent_id,
        question=_("Revoke this code? The student can no longer sign in with it."),
        action=_("Revoke code"),
        change=lambda respondent, wave: services.respondent_code_revoke(actor=request.user, respondent=respondent, wave=wave),
        done=_("Code revoked. The answers given are kept."),
    )


@roster_view
@require_POST
def consent_record(request, class_id, wave_id, respondent_id):
    school_class, wave, respondent = _respondent_action(request, class_id, wave_id, respondent_id)
    form = ConsentDecisionForm(request.POST)
    if form.is_valid():
        if form.cleaned_data["decision"] == "link":
            consent = safeguarding_services.consent_link_create(actor=request.user, respondent=respondent, wave=wave)
            link = request.build_absolute_uri(f"/school/consent/{consent.token}/")
            messages.success(request, _("Guardian link for seat %(seat)s: %(link)s") % {"seat": respondent.seat_number, "link": link})
        else:
            safeguarding_services.consent_record(actor=request.user, respondent=respondent, wave=wave, decision=form.cleaned_data["decision"])
            messages.success(request, _("Consent recorded."))
    return _back_to_roster(school_class, wave)


@roster_view
@require_POST
def respondent_withdraw(request, class_id, wave_id, respondent_id):
    return _roster_change_asked_first(
        request, class_id, wave_id, respondent_id,
        question=_("Withdraw this student from the study?"),
        action=_("Withdraw"),
        change=lambda respondent, wave: survey_services.respondent_withdraw(actor=request.user, respondent=respondent),
        done=_("Withdrawn: the answers leave every export and analysis."),
    )


# --- Guardian link (no sign-in: the unguessable token is the key) -----------------------------------


@require_http_methods(["GET", "POST"])
def guardian_consent(request, token):
    consent = safeguarding_selectors.consent_by_token(token=token)
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision in (GuardianConsent.Decision.GIVEN, GuardianConsent.Decision.REFUSED):
            consent = safeguarding_services.consent_link_decide(consent=consent, decision=decision)
    return render(request, "schools/guardian_consent.html", {"consent": consent})


# --- The counsellor's queue ------------------------------------------------------------------------


@alert_view
def alert_list(request):
    status = request.GET.get("status") or None
    alerts = safeguarding_selectors.alerts_named(user=request.user, alerts=safeguarding_selectors.alerts_queue(user=request.user, status=status)[:200])
    audit.audit_alert_views(actor=request.user, alerts=alerts)
    return render(request, "schools/alert_list.html", {"alerts": alerts, "status": status, "statuses": Alert.Status})


@alert_view
def alert_detail(request, alert_id):
    alert = safeguarding_selectors.alert_get(user=request.user, alert_id=alert_id)
    audit.audit_alert_views(actor=request.user, alerts=[alert])
    form = FollowUpForm()
    return render(
        request,
        "schools/alert_detail.html",
        {"alert": alert, "form": form, "follow_ups": alert.follow_ups.select_related("author")},
    )


@alert_view
@require_POST
def alert_acknowledge(request, alert_id):
    alert = safeguarding_selectors.alert_get(user=request.user, alert_id=alert_id)
    safeguarding_services.alert_acknowledge(alert=alert, user=request.user)
    messages.success(request, _("Alert acknowledged."))
    return redirect("schools:alert_detail", alert_id=alert.pk)


@alert_view
@require_POST
def alert_follow_up(request, alert_id):
    alert = safeguarding_selectors.alert_get(user=request.user, alert_id=alert_id)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        safeguarding_services.alert_follow_up_add(alert=alert, user=request.user, note=form.cleaned_data["note"], close=form.cleaned_data["close"])
        messages.success(request, _("Follow-up recorded."))
    else:
        messages.error(request, _("Please write what was done."))
    return redirect("schools:alert_detail", alert_id=alert.pk)


# --- Researchers: histories by pid ------------------------------------------------------------------


@history_view
def respondent_search(request, study_id):
    study = selectors.history_study_get(user=request.user, study_id=study_id)
    pid = request.GET.get("pid", "").strip()
    respondents = selectors.respondents_search(user=request.user, study=study, pid=pid)
    return render(request, "schools/respondent_search.html", {"study": study, "pid": pid, "respondents": respondents})


@history_view
def respondent_history(request, study_id, pid):
    study = selectors.history_study_get(user=request.user, study_id=study_id)
    history = selectors.respondent_history(user=request.user, study=study, pid=pid)
    return render(request, "schools/respondent_history.html", {"study": study, **history})


# --- Study administrators: deletions and the audit log ----------------------------------------------


@study_admin_view
def withdrawn_list(request, study_id):
    study = selectors.administered_study_get(user=request.user, study_id=study_id)
    respondents = list(selectors.withdrawn_respondents(study=study))
    url = _url_of("schools:withdrawn_delete", "respondent_id", study_id=study.pk)
    for respondent in respondents:
        respondent.url = url(respondent.pk)
    return render(request, "schools/withdrawn.html", {"study": study, "respondents": respondents})


@study_admin_view
@require_POST
def withdrawn_delete(request, study_id, respondent_id):
    study = selectors.administered_study_get(user=request.user, study_id=study_id)
    respondent = get_object_or_404(selectors.withdrawn_respondents(study=study), pk=respondent_id)
    back = reverse("schools:withdrawn", kwargs={"study_id": study.pk})
    question = _("Delete this student's answers for good?")
    if page := _confirmation_page(request, question=question, action=_("Delete answers"), back_url=back):
        return page
    deleted = survey_services.respondent_answers_delete(actor=request.user, respondent=respondent)
    messages.success(request, _("%(n)s responses of %(pid)s deleted.") % {"n": deleted, "pid": respondent.pid})
    return redirect("schools:withdrawn", study_id=study.pk)


@study_admin_view
def audit_log(request):
    action = request.GET.get("action", "")
    events = selectors.audit_events(user=request.user, action=action)
    return render(request, "schools/audit.html", {"events": events, "action": action})
