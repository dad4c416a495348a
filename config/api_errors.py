"""One error format for the whole API, with stable codes.

Every error reply of ``/api/v1/`` has the body::

    {"error": {"code": "not_found", "message": "Not found.", "fields": null}}

``code`` is stable and meant for programs (the table ``ERROR_CODES``);
``message`` is for people, in the request's language (``Accept-Language``;
English when the header is absent, see ``config.api_language``); ``fields``
holds the messages per input field of a validation error (a parameter or a
body field: ``{"page_size": ["..."]}``), otherwise null. A throttled reply
also carries ``retry_after`` (seconds) beside the ``Retry-After`` header.

Views raise DRF exceptions (or :class:`ApiError` for the project's own
cases); ``api_exception_handler`` (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``)
turns them into this body.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

# code -> what it means (documented in the schema's Error component and the README)
ERROR_CODES: dict[str, str] = {
    "invalid": "a parameter or body field is not valid (see fields)",
    "parse_error": "the body is not valid JSON or form data",
    "not_authenticated": "no credentials were sent",
    "authentication_failed": "the credentials (token, session) are not valid, expired or revoked",
    "permission_denied": "the user's roles do not allow this",
    "not_found": "no such object among the user's, or no such page or cursor",
    "method_not_allowed": "the operation does not accept this HTTP method",
    "not_acceptable": "no representation matches the Accept header",
    "unsupported_media_type": "the body's content type is not accepted",
    "throttled": "too many requests; retry after retry_after seconds",
    "conflict": "the object is not in a state that allows this (e.g. a run that has not succeeded)",
    "already_submitted": "these answers were submitted already under another Idempotency-Key",
    "idempotency_key_required": "an Idempotency-Key header (1..64 characters) is required",
    "access_code_invalid": "the access code is not valid",
    "access_code_locked": "too many wrong access codes; wait 15 minutes",
    "respondent_withdrawn": "the respondent has withdrawn from the study",
    "consent_missing": "the guardian's consent has not been recorded for this wave",
    "server_error": "the server failed; the request may be retried later",
}

_BUILT_IN = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


class ApiError(exceptions.APIException):
    """An error of the project's own with a stable ``code`` (one of ``ERROR_CODES``) and an HTTP status."""

    def __init__(self, message, *, code: str, status_code: int = status.HTTP_400_BAD_REQUEST):
        assert code in ERROR_CODES, code
        self.status_code = status_code
        super().__init__(detail=message, code=code)
        self.error_code = code


class Conflict(ApiError):
    def __init__(self, message=None, *, code: str = "conflict"):
        super().__init__(message or _("This is not possible in the object's current state."), code=code, status_code=409)


def error_code(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        return exc.error_code
    for kind in type(exc).__mro__:
        if kind in _BUILT_IN:
            return _BUILT_IN[kind]
    return getattr(exc, "default_code", "error")


def _first_message(detail) -> str:
    """The first human message in a (possibly nested) DRF detail."""
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
        return ""
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def _plain(detail):
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(value) for value in detail]
    return str(detail)


def error_body(exc: exceptions.APIException) -> dict:
    code = error_code(exc)
    detail = exc.detail
    fields = None
    message = str(detail) if not isinstance(detail, (dict, list)) else ""
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(detail, dict):
            fields = {key: value for key, value in _plain(detail).items() if key not in ("non_field_errors", "detail")}
            general = detail.get("non_field_errors") or detail.get("detail")
            field_message = _first_message(next(iter(fields.values()))) if fields else ""
            message = _first_message(general) if general else f"{next(iter(fields))}: {field_message}" if fields else ""
        else:
            message = _first_message(detail)
        message = message or str(_("Invalid input."))
    body = {"code": code, "message": message, "fields": fields or None}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after"] = int(round(exc.wait))
    return {"error": body}


def api_exception_handler(exc, context):
    """DRF's handler (status, headers), then the body in the one format; Django's 404 and 403 mapped first."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        response.data = error_body(exc)
    return response


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=sorted(ERROR_CODES), help_text="stable, for programs")
    message = serializers.CharField(help_text="for people, in the request's language (Accept-Language; English by default)")
    fields = serializers.DictField(
        allow_null=True, help_text="messages per parameter or body field (validation errors), else null"
    )
    retry_after = serializers.IntegerField(required=False, help_text="seconds to wait (throttled replies only)")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# --------------------------------------------------------------------------- outside DRF's views (config.urls)


def _api_error(code: str, message, status_code: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": str(message), "fields": None}}, status=status_code)


def page_not_found(request, exception):
    """``handler404``: an unknown address under /api/ gets the API's error body, elsewhere Django's page."""
    if request.path_info.startswith("/api/"):
        return _api_error("not_found", _("Not found."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """``handler500``: the same for a server error."""
    if request.path_info.startswith("/api/"):
        return _api_error("server_error", _("A server error occurred."), 500)
    return defaults.server_error(request)
