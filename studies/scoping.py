"""Every read scoped by role, in one place, for the pages and the API alike.

Researchers and study administrators see their studies, with respondents by
``pid`` only. School administrators and counsellors see their school, teachers
their own classes; school staff see progress, never answers or scores.
A superuser sees everything.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from common.models import AuditEvent

from .models import SCHOOL_ROLES, STUDY_WIDE_ROLES, Membership, Respondent, Role, School, SchoolClass, Study, Wave


def memberships_of(user) -> QuerySet:
    """The user's roles (none for an anonymous user): every scoping rule starts here."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user)


def roles_of(user, study: Study | None = None) -> set[str]:
    memberships = memberships_of(user)
    if study is not None:
        memberships = memberships.filter(study=study)
    return set(memberships.values_list("role", flat=True))


def is_study_wide(user, study: Study | None = None, roles=STUDY_WIDE_ROLES) -> bool:
    """A researcher or study administrator (of ``study`` when given)."""
    return user.is_superuser or bool(roles_of(user, study) & set(roles))


def studies_visible(user) -> QuerySet:
    if user.is_superuser:
        return Study.objects.all()
    return Study.objects.filter(pk__in=memberships_of(user).values("study_id"))


def research_studies(user, roles=STUDY_WIDE_ROLES) -> QuerySet:
    """Studies whose pseudonymous data the user may read (researchers, study administrators)."""
    if user.is_superuser:
        return Study.objects.all()
    return Study.objects.filter(pk__in=memberships_of(user).filter(role__in=roles).values("study_id"))


def waves_visible(user) -> QuerySet:
    return Wave.objects.filter(study__in=studies_visible(user))


def schools_visible(user) -> QuerySet:
    if user.is_superuser:
        return School.objects.all()
    memberships = memberships_of(user)
    return School.objects.filter(
        Q(study__in=memberships.filter(role__in=STUDY_WIDE_ROLES).values("study_id"))
        | Q(pk__in=memberships.filter(role__in=SCHOOL_ROLES).values("school_id"))
        | Q(classes__in=memberships.filter(role=Role.TEACHER).values("school_class_id"))
    ).distinct()


def _classes_where(user, *, class_roles, school_roles, study_roles) -> QuerySet:
    """Classes reached through a role held on the class itself, on its school or on its study."""
    if user.is_superuser:
        return SchoolClass.objects.all()
    memberships = memberships_of(user)
    return SchoolClass.objects.filter(
        Q(pk__in=memberships.filter(role__in=class_roles).values("school_class_id"))
        | Q(school__in=memberships.filter(role__in=school_roles).values("school_id"))
        | Q(school__study__in=memberships.filter(role__in=study_roles).values("study_id"))
    )


def classes_visible(user) -> QuerySet:
    return _classes_where(user, class_roles=[Role.TEACHER], school_roles=SCHOOL_ROLES, study_roles=STUDY_WIDE_ROLES)


def respondents_visible(user) -> QuerySet:
    """The roster a user may see (school staff: with display names; researchers: pid only, by serializer)."""
    return Respondent.objects.filter(school_class__in=classes_visible(user))


# --- What each role may do, and on which rows (school pages, alerts, audit, history) ---------------
#
# Roster (progress only, with display names): teachers of the class, school administrators of the
# school, study administrators of the study. Alerts: counsellors of the school, study administrators.
# History by pid (answers' scores, no names): researchers and study administrators. Audit log and
# deletions: study administrators. Anything else is 403 for a page of a kind the user has no role
# for, and 404 for a row outside the user's scope.

ROSTER_ROLES = (Role.TEACHER, Role.SCHOOL_ADMIN, Role.STUDY_ADMIN)

# --- Names never meet answers ----------------------------------------------------------------------
#
# Two sides, never both for one user in one study (Membership.clean refuses it): the school's side sees
# children's display names (teachers, school administrators: progress only; counsellors: the children of
# their alerts, each view audited) and never answers or scores; the research side (researchers, study
# administrators) sees answers and scores by pid and never a name. A study administrator's roster and
# alert queue show seat numbers without names; superusers see no names either (README: "Who sees what").
NAME_ROLES = (Role.TEACHER, Role.SCHOOL_ADMIN, Role.COUNSELLOR)
ANSWER_ROLES = STUDY_WIDE_ROLES
ALERT_ROLES = (Role.COUNSELLOR, Role.STUDY_ADMIN)
HISTORY_ROLES = (Role.RESEARCHER, Role.STUDY_ADMIN)


def has_any_role(user, roles) -> bool:
    return user.is_authenticated and (user.is_superuser or memberships_of(user).filter(role__in=roles).exists())


def _study_ids(user, roles):
    return memberships_of(user).filter(role__in=roles).values("study_id")


def classes_on_roster(user) -> QuerySet:
    """Classes whose roster (progress, display names, codes, consent) the user may see and manage."""
    return _classes_where(
        user, class_roles=[Role.TEACHER], school_roles=[Role.SCHOOL_ADMIN], study_roles=[Role.STUDY_ADMIN]
    )


def respondents_on_roster(user) -> QuerySet:
    return Respondent.objects.filter(school_class__in=classes_on_roster(user))


def history_studies(user) -> QuerySet:
    """Studies whose respondents' histories (by pid, never by name) the user may read."""
    return research_studies(user, roles=HISTORY_ROLES)


def administered_studies(user) -> QuerySet:
    return research_studies(user, roles=(Role.STUDY_ADMIN,))


def audit_events_visible(user) -> QuerySet:
    """Study administrators: their studies' events and the sign-ins of their studies' members."""
    if user.is_superuser:
        return AuditEvent.objects.all()
    studies = _study_ids(user, (Role.STUDY_ADMIN,))
    members = Membership.objects.filter(study__in=studies)
    return AuditEvent.objects.filter(
        Q(study__in=studies)
        | Q(study__isnull=True, actor__in=members.values("user_id"))
        # failed sign-ins have no actor: the user name tried is the target
        | Q(study__isnull=True, actor__isnull=True, action="sign_in.failed", target__in=members.values("user__username"))
    )


def users_nameable(user, study) -> QuerySet:
    """Accounts a study administrator may give a role in ``study``: its own people, and active accounts
    not yet in any study (never a superuser, never a user of another study only)."""
    users = get_user_model().objects.filter(is_active=True, is_superuser=False)
    if not (user.is_superuser or administered_studies(user).filter(pk=study.pk).exists()):
        return users.none()
    return users.filter(Q(memberships__study=study) | Q(memberships__isnull=True)).distinct()


def memberships_manageable(user) -> QuerySet:
    if user.is_superuser:
        return Membership.objects.all()
    return Membership.objects.filter(study__in=_study_ids(user, (Role.STUDY_ADMIN,)))


def teachers_see_follow_up(study) -> bool:
    policy = getattr(study, "policy", None) if study is not None else None
    return bool(policy and policy.teachers_see_follow_up)


# --- Second factor ---------------------------------------------------------------------------------


def second_factor_required(user) -> bool:
    """Superusers and the roles of ``settings.OTP_REQUIRED_ROLES`` (names, answers or alerts) need a TOTP device."""
    return user.is_authenticated and (user.is_superuser or has_any_role(user, settings.OTP_REQUIRED_ROLES))


def studies_with_names(user) -> QuerySet:
    """Studies in which the user sees children's display names (a role on the school's side only)."""
    memberships = memberships_of(user)
    if user.is_superuser:
        return Study.objects.none()
    return Study.objects.filter(pk__in=memberships.filter(role__in=NAME_ROLES).values("study_id")).exclude(
        pk__in=memberships.filter(role__in=ANSWER_ROLES).values("study_id")
    )


def sees_names(user, study) -> bool:
    return studies_with_names(user).filter(pk=study.pk).exists()
