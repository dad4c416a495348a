"""Who may open a page or call an endpoint: one layer for pages (decorators) and the API (DRF permissions).

Built on the scoping rules (``studies.scoping``): a role in some study opens the page (403 otherwise);
the rows shown are then scoped by the selectors (404 for a row outside the user's studies).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from .models import STUDY_WIDE_ROLES
from .scoping import has_any_role, is_study_wide


def role_required(*roles):
    """A page for users signed in with one of ``roles`` in some study; 403 for anyone else signed in."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_any_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


researcher_required = role_required(*STUDY_WIDE_ROLES)


def study_wide_required(user, study) -> None:
    """A row of ``study`` (a wave, a run) is the user's only as its researcher or study administrator: else 403."""
    if not is_study_wide(user, study):
        raise PermissionDenied


class HasRole(permissions.BasePermission):
    """The user holds one of the view's ``roles`` in some study (rows are then scoped by the queryset)."""

    def has_permission(self, request, view) -> bool:
        return has_any_role(request.user, view.roles)


class IsResearcher(permissions.BasePermission):
    """A researcher or study administrator (of some study; objects are then scoped to their studies)."""

    message = _("Only the study's researchers may read pseudonymous data.")

    def has_permission(self, request, view) -> bool:
        return has_any_role(request.user, STUDY_WIDE_ROLES)

    def has_object_permission(self, request, view, obj) -> bool:
        study = getattr(obj, "study", None) or getattr(getattr(obj, "wave", None), "study", None)
        return study is None or is_study_wide(request.user, study)
