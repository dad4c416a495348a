"""What every app's API shares: filters that refuse what the database cannot hold, deprecated aliases, id routes."""

import datetime

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

MAX_ID = 2**63 - 1


# --------------------------------------------------------------------------- filters that refuse what the database cannot hold


class IdFilter(django_filters.NumberFilter):
    """An id: a whole number the database can store (larger ones are 400, not a database error)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)


class _BoundedIsoDateTimeField(IsoDateTimeField):
    default_error_messages = {"range": _("Enter a date and time between 1900 and 2999.")}

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
            if parsed is not None:
                parsed.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise DjangoValidationError(self.error_messages["range"], code="range") from None
        if parsed is not None and not 1900 <= parsed.year <= 2999:
            raise DjangoValidationError(self.error_messages["range"], code="range")
        return parsed


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _BoundedIsoDateTimeField


# --------------------------------------------------------------------------- authentication and permissions


def deprecated(new: str) -> str:
    """The description of a filter kept under its old name (``config.api_schema`` marks it deprecated)."""
    return f"Deprecated alias of {new}."


class ApiAuthMixin:
    """Numeric ids in the routes (authentication: the settings' classes, personal tokens first)."""

    lookup_value_regex = r"\d+"
