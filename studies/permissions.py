"""Permissions of the API, built on the scoping rules (``studies.scoping``)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from .models import STUDY_WIDE_ROLES
from .scoping import is_study_wide


class IsResearcher(permissions.BasePermission):
    """A researcher or study administrator (of some study; objects are then scoped to their studies)."""

    message = _("Only the study's researchers may read pseudonymous data.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.is_superuser or user.memberships.filter(role__in=STUDY_WIDE_ROLES).exists()

    def has_object_permission(self, request, view, obj) -> bool:
        study = getattr(obj, "study", None) or getattr(getattr(obj, "wave", None), "study", None)
        return study is None or is_study_wide(request.user, study)
