"""Every read scoped by role, in one place, for the pages and the API alike.

Researchers and study administrators see their studies, with respondents by
``pid`` only. School administrators and counsellors see their school, teachers
their own classes; school staff see progress, never answers or scores.
A superuser sees everything.
"""

from django.db.models import Q, QuerySet

from surveys.models import Respondent, Response, School, SchoolClass, Study, Wave

from .models import SCHOOL_ROLES, STUDY_WIDE_ROLES, Membership, Role


def _memberships(user) -> QuerySet:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user)


def roles_of(user, study: Study | None = None) -> set[str]:
    memberships = _memberships(user)
    if study is not None:
        memberships = memberships.filter(study=study)
    return set(memberships.values_list("role", flat=True))


def is_study_wide(user, study: Study | None = None, roles=STUDY_WIDE_ROLES) -> bool:
    """A researcher or study administrator (of ``study`` when given)."""
    return user.is_superuser or bool(roles_of(user, study) & set(roles))


def studies_visible(user) -> QuerySet:
    if user.is_superuser:
        return Study.objects.all()
    return Study.objects.filter(pk__in=_memberships(user).values("study_id"))


def research_studies(user, roles=STUDY_WIDE_ROLES) -> QuerySet:
    """Studies whose pseudonymous data the user may read (researchers, study administrators)."""
    if user.is_superuser:
        return Study.objects.all()
    return Study.objects.filter(pk__in=_memberships(user).filter(role__in=roles).values("study_id"))


def waves_visible(user) -> QuerySet:
    return Wave.objects.filter(study__in=studies_visible(user))


def schools_visible(user) -> QuerySet:
    if user.is_superuser:
        return School.objects.all()
    memberships = _memberships(user)
    return School.objects.filter(
        Q(study__in=memberships.filter(role__in=STUDY_WIDE_ROLES).values("study_id"))
        | Q(pk__in=memberships.filter(role__in=SCHOOL_ROLES).values("school_id"))
        | Q(classes__in=memberships.filter(role=Role.TEACHER).values("school_class_id"))
    ).distinct()


def classes_visible(user) -> QuerySet:
    if user.is_superuser:
        return SchoolClass.objects.all()
    memberships = _memberships(user)
    return SchoolClass.objects.filter(
        Q(school__study__in=memberships.filter(role__in=STUDY_WIDE_ROLES).values("study_id"))
        | Q(school__in=memberships.filter(role__in=SCHOOL_ROLES).values("school_id"))
        | Q(pk__in=memberships.filter(role=Role.TEACHER).values("school_class_id"))
    )


def respondents_visible(user) -> QuerySet:
    """The roster a user may see (school staff: with display names; researchers: pid only, by serializer)."""
    return Respondent.objects.filter(school_class__in=classes_visible(user))


def responses_readable(user) -> QuerySet:
    """Answers and scores: only for researchers and study administrators of the study."""
    return Response.objects.filter(wave__study__in=research_studies(user))
