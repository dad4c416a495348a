"""The REST API of the survey models (``/api/v1/``): thin viewsets over the role-scoped selectors.

Every queryset comes from ``studies.scoping``; researchers and study
administrators read pseudonymous data (``pid`` only, never a display name,
access code or log-in detail); school staff see their studies, waves,
schools and classes, never answers or scores. Writes go through
``surveys.services``, the same functions as the phone pages.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response as ApiResponse
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from common import throttle
from common.api import ApiAuthMixin, DateTimeFilter, IdFilter, deprecated
from config.api_errors import ApiError, Conflict, ErrorSerializer
from config.api_pagination import IdCursorPages
from scoring.cleaning import CLEANING_RULES
from scoring.instrument import LANGUAGES
from studies.instruments import INSTRUMENT_TEXTS, instrument_for
from studies.models import Respondent, School, SchoolClass, Study, Wave
from studies.permissions import IsResearcher
from studies.scoping import (
    classes_visible,
    research_studies,
    respondents_visible,
    schools_visible,
    studies_visible,
    waves_visible,
)

from .access_codes import normalise_access_code
from .entry import Refusal, access_code_enter, student_session_response
from .models import AnswerChange, Response, Score
from .selectors import responses_readable, waves_with_counts
from .services import ResponseClosed, response_save_page, response_submit

RULE_NAMES = [name for name, _ in CLEANING_RULES]
# refusal -> (message, stable error code, HTTP status)
API_REFUSALS = {
    Refusal.LOCKED: (_("Too many attempts; wait 15 minutes."), "access_code_locked", 429),
    Refusal.INVALID: (_("This access code is not valid."), "access_code_invalid", 403),
    Refusal.WITHDRAWN: (_("This respondent has withdrawn."), "respondent_withdrawn", 403),
    Refusal.CONSENT: (_("The guardian's consent has not been recorded."), "consent_missing", 403),
}
IDEMPOTENCY_HEADER = "Idempotency-Key"


# --------------------------------------------------------------------------- studies, waves, schools, classes


class StudySerializer(serializers.ModelSerializer):
    class Meta:
        model = Study
        fields = ["id", "code", "name", "created_at"]


class StudyViewSet(ApiAuthMixin, viewsets.ReadOnlyModelViewSet):
    """Studies the user has a role in."""

    serializer_class = StudySerializer
    filterset_fields = ["code"]
    ordering_fields = ["id", "code", "created_at"]

    def get_queryset(self):
        return studies_visible(self.request.user).order_by("code")


class WaveSerializer(serializers.ModelSerializer):
    study = serializers.SlugRelatedField(slug_field="code", read_only=True)
    instrument_version = serializers.CharField(source="instrument.version", read_only=True)
    submitted = serializers.IntegerField(read_only=True)
    in_progress = serializers.IntegerField(read_only=True)

    class Meta:
        model = Wave
        fields = ["id", "study", "code", "name", "instrument_version", "is_open", "submitted", "in_progress", "data_changed_at"]


class WaveFilter(django_filters.FilterSet):
    study_id = IdFilter(field_name="study_id")
    study_code = django_filters.CharFilter(field_name="study__code")
    study = django_filters.CharFilter(field_name="study__code", help_text=deprecated("study_code"))

    class Meta:
        model = Wave
        fields = ["study_id", "study_code", "code", "is_open", "study"]


class WaveViewSet(ApiAuthMixin, viewsets.ReadOnlyModelViewSet):
    """Waves with their numbers of submitted responses and drafts (the cleaning flow: ``exports.api.WaveFlowView``)."""

    serializer_class = WaveSerializer
    filterset_class = WaveFilter
    ordering_fields = ["id", "code", "data_changed_at", "submitted"]

    def get_queryset(self):
        return waves_with_counts(waves_visible(self.request.user))


class SchoolSerializer(serializers.ModelSerializer):
    study = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = School
        fields = ["id", "study", "code", "name"]


class SchoolFilter(django_filters.FilterSet):
    study_id = IdFilter(field_name="study_id")
    study_code = django_filters.CharFilter(field_name="study__code")

    class Meta:
        model = School
        fields = ["study_id", "study_code", "code"]


class SchoolViewSet(ApiAuthMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SchoolSerializer
    filterset_class = SchoolFilter
    ordering_fields = ["id", "code"]

    def get_queryset(self):
        return schools_visible(self.request.user).select_related("study").order_by("study__code", "code")


class SchoolClassSerializer(serializers.ModelSerializer):
    school_code = serializers.CharField(source="school.code", read_only=True)

    class Meta:
        model = SchoolClass
        fields = ["id", "school", "school_code", "code", "name"]


class SchoolClassFilter(django_filters.FilterSet):
    school_id = IdFilter(field_name="school_id")
    school_code = django_filters.CharFilter(field_name="school__code")
    school = IdFilter(field_name="school_id", help_text=deprecated("school_id"))

    class Meta:
        model = SchoolClass
        fields = ["school_id", "school_code", "code", "school"]


class SchoolClassViewSet(ApiAuthMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SchoolClassSerializer
    filterset_class = SchoolClassFilter
    ordering_fields = ["id", "code"]

    def get_queryset(self):
        return classes_visible(self.request.user).select_related("school").order_by("school__code", "code")


# --------------------------------------------------------------------------- respondents, responses, scores


class RespondentSerializer(serializers.ModelSerializer):
    """Pseudonymous: pid only (no display name, seat number, access code, nor the internal id the school's
    pages use: no key shared with the side that sees names)."""

    study = serializers.SlugRelatedField(slug_field="code", read_only=True)
    school_code = serializers.CharField(source="school_class.school.code", read_only=True)
    class_code = serializers.CharField(source="school_class.code", read_only=True)

    class Meta:
        model = Respondent
        fields = ["pid", "study", "school_code", "class_code"]


class RespondentFilter(django_filters.FilterSet):
    study_id = IdFilter(field_name="study_id")
    study_code = django_filters.CharFilter(field_name="study__code")
    school_id = IdFilter(field_name="school_class__school_id")
    school_code = django_filters.CharFilter(field_name="school_class__school__code")
    class_id = IdFilter(field_name="school_class_id")
    class_code = django_filters.CharFilter(field_name="school_class__code")
    study = django_filters.CharFilter(field_name="study__code", help_text=deprecated("study_code"))
    school = django_filters.CharFilter(field_name="school_class__school__code", help_text=deprecated("school_code"))

    class Meta:
        model = Respondent
        fields = ["study_id", "study_code", "school_id", "school_code", "class_id", "class_code", "pid", "study", "school"]


class RespondentViewSet(ApiAuthMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Respondents of the user's studies by pid (withdrawn children left out); one child: ``?pid=``."""

    serializer_class = RespondentSerializer
    permission_classes = [IsResearcher]
    filterset_class = RespondentFilter
    ordering_fields = ["id", "pid"]

    def get_queryset(self):
        user = self.request.user
        return (
            respondents_visible(user)
            .filter(study__in=research_studies(user), withdrawn_at__isnull=True)
            .select_related("study", "school_class__school")
            .order_by("study__code", "pid")
        )


class ResponseSerializer(serializers.ModelSerializer):
    pid = serializers.CharField(source="respondent.pid", read_only=True)
    wave = serializers.IntegerField(source="wave_id", read_only=True)
    wave_code = serializers.CharField(source="wave.code", read_only=True)
    school_code = serializers.CharField(source="school_class.school.code", read_only=True)
    class_code = serializers.CharField(source="school_class.code", read_only=True)
    answers = serializers.SerializerMethodField()

    class Meta:
        model = Response
        fields = [
            "id", "pid", "wave", "wave_code", "school_code", "class_code", "status", "lang", "instrument_version",
            "started_at", "submitted_at", "duration_s", "answers",
        ]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"}})
    def get_answers(self, obj) -> dict[str, int]:
        """Item answers keyed by dictionary code; only codes of the instrument's items (never free text)."""
        cache = self.context.setdefault("item_codes", {})  # one set per instrument, not per row
        items = cache.get(obj.wave.instrument_id)
        if items is None:
            items = cache[obj.wave.instrument_id] = set(instrument_for(obj.wave.instrument).item_codes)
        return {code: value for code, value in (obj.answers or {}).items() if code in items}


class ResponseFilter(django_filters.FilterSet):
    wave_id = IdFilter(field_name="wave_id")
    wave_code = django_filters.CharFilter(field_name="wave__code")
    study_id = IdFilter(field_name="wave__study_id")
    study_code = django_filters.CharFilter(field_name="wave__study__code")
    school_id = IdFilter(field_name="school_class__school_id")
    school_code = django_filters.CharFilter(field_name="school_class__school__code")
    class_id = IdFilter(field_name="school_class_id")
    class_code = django_filters.CharFilter(field_name="school_class__code")
    pid = django_filters.CharFilter(field_name="respondent__pid")
    submitted_after = DateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = DateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    wave = IdFilter(field_name="wave_id", help_text=deprecated("wave_id"))
    study = django_filters.CharFilter(field_name="wave__study__code", help_text=deprecated("study_code"))
    school = django_filters.CharFilter(field_name="school_class__school__code", help_text=deprecated("school_code"))

    class Meta:
        model = Response
        fields = [
            "wave_id", "wave_code", "study_id", "study_code", "school_id", "school_code", "class_id", "class_code", "pid",
            "status", "submitted_after", "submitted_before", "wave", "study", "school",
        ]


class SubmitThrottle(AnonRateThrottle):
    scope = "anon"


class SubmitSerializer(serializers.Serializer):
    access_code = serializers.RegexField(
        r"^[A-Za-z0-9 -]{4,24}$", required=False, help_text="the student's access code, e.g. ABCD-EFGH (or the phone session)"
    )
    answers = serializers.DictField(child=serializers.IntegerField(allow_null=True), help_text="item code -> option code")
    lang = serializers.ChoiceField(choices=list(LANGUAGES), required=False)
    active_seconds = serializers.IntegerField(required=False, min_value=0, max_value=24 * 3600)


class SubmitResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    created = serializers.BooleanField(help_text="false when this key had submitted already (a replay)")


class ResponseViewSet(ApiAuthMixin, viewsets.ReadOnlyModelViewSet):
    """Responses of the user's studies (pid only), drafts and submitted; withdrawn children left out.

    Paged by a cursor (``next``), up to 1,000 rows a page (``page_size``), in id order.
    """

    serializer_class = ResponseSerializer
    permission_classes = [IsResearcher]
    filterset_class = ResponseFilter
    pagination_class = IdCursorPages
    ordering_fields = ["id"]

    def get_queryset(self):
        # Waves (with their instrument, without its long texts) are fetched once per page, not joined to every row.
        waves = Wave.objects.select_related("instrument", "study").defer(*[f"instrument__{text}" for text in INSTRUMENT_TEXTS])
        return (
            responses_readable(self.request.user)
            .filter(respondent__withdrawn_at__isnull=True)
            .select_related("respondent", "school_class__school")
            .prefetch_related(Prefetch("wave", queryset=waves))
            .order_by("id")
        )


class ResponseSubmitView(APIView):
    """POST /api/v1/responses/submit: a student's answers, submitted once (the phone pages' services).

    The student is known by the access code in the body, let in by the same
    ``access_code_enter`` as the phone pages (throttle, withdrawal, guardian
    consent: 403, or 429 while the client is locked), or by the phone
    questionnaire's session, checked as the pages check it (a revoked code or
    a withdrawn child: 401). An ``Idempotency-Key`` header is required: a retry
    with the same key returns the stored submission (200), another key after
    submission gets 409.
    """

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [SubmitThrottle]

    @extend_schema(
        request=SubmitSerializer,
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True)],
        responses={201: SubmitResultSerializer, 200: SubmitResultSerializer, 409: ErrorSerializer},
        auth=[],
    )
    def post(self, request):
        """Submit a student's answers once: the same Idempotency-Key gives the same submission."""
        key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
        if not key or len(key) > 64:
            raise ApiError(_("An Idempotency-Key header (1..64 characters) is required."), code="idempotency_key_required")
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        response = self._student_response(request, data.get("access_code"), data.get("lang"))
        if response.is_submitted:
            return self._replay(response, key)
        instrument = instrument_for(response.wave.instrument)
        errors = {}
        for code, value in data["answers"].items():
            if code not in instrument or not instrument[code].is_item:
                errors[code] = [_("Not an item of this questionnaire.")]
            elif value is not None and not instrument[code].allowed(value):
                errors[code] = [_("Not an allowed answer.")]
        if errors:
            raise ValidationError({"answers": errors})
        lang = data.get("lang") or response.lang
        try:
            response_save_page(
                response_id=response.pk, section="api", answers=dict(data["answers"]), lang=lang,
                next_section="review", active_seconds=data.get("active_seconds"), source=AnswerChange.Source.SUBMIT,
            )
        except ResponseClosed:
            response.refresh_from_db()
            return self._replay(response, key)
        submission = response_submit(response_id=response.pk, submission_key=key)
        if not submission.created:
            return self._replay(submission.response, key)
        return ApiResponse(self._result(submission.response, created=True), status=status.HTTP_201_CREATED)

    def _student_response(self, request, code: str | None, lang: str | None):
        """The one way in (``access_code_enter``), or the phone questionnaire's session, checked alike."""
        if code:
            entered = access_code_enter(code=normalise_access_code(code), client=throttle.client_of(request), lang=lang or LANGUAGES[0])
            if entered.response is None:
                message, error_code, status_code = API_REFUSALS[entered.refusal]
                raise ApiError(message, code=error_code, status_code=status_code)
            return entered.response
        state = student_session_response(session=request.session) if hasattr(request, "session") else None
        if state is None or state.response is None:
            raise ApiError(
                _("An access code (or the questionnaire's session) is required."), code="not_authenticated", status_code=401
            )
        return state.response

    @staticmethod
    def _result(response: Response, *, created: bool) -> dict:
        return {"status": response.status, "submitted_at": response.submitted_at, "created": created}

    def _replay(self, response: Response, key: str):
        if response.submission_key and response.submission_key != key[:64]:
            raise Conflict(_("These answers were submitted already."), code="already_submitted")
        return ApiResponse(self._result(response, created=False), status=status.HTTP_200_OK)


@extend_schema_view(post=extend_schema(exclude=True))
class ResponseSubmitSlashView(ResponseSubmitView):
    """The same, with a trailing slash (documented once, without it)."""


class ScoreSerializer(serializers.ModelSerializer):
    response = serializers.IntegerField(source="response_id", read_only=True)
    pid = serializers.CharField(source="response.respondent.pid", read_only=True)
    wave = serializers.IntegerField(source="response.wave_id", read_only=True)
    values = serializers.DictField(read_only=True, help_text="derived variables keyed by dictionary code")

    class Meta:
        model = Score
        fields = ["id", "response", "pid", "wave", "instrument_version", "scored_at", "values"]


class ScoreFilter(django_filters.FilterSet):
    wave_id = IdFilter(field_name="response__wave_id")
    wave_code = django_filters.CharFilter(field_name="response__wave__code")
    study_code = django_filters.CharFilter(field_name="response__wave__study__code")
    pid = django_filters.CharFilter(field_name="response__respondent__pid")
    wave = IdFilter(field_name="response__wave_id", help_text=deprecated("wave_id"))

    class Meta:
        model = Score
        fields = ["wave_id", "wave_code", "study_code", "pid", "wave"]


class ScoreViewSet(ApiAuthMixin, viewsets.ReadOnlyModelViewSet):
    """Derived variables of submitted responses (``flag_speeding`` depends on the wave: see the exports and the flow).

    Paged by a cursor (``next``), up to 1,000 rows a page (``page_size``), in id order.
    """

    serializer_class = ScoreSerializer
    permission_classes = [IsResearcher]
    filterset_class = ScoreFilter
    pagination_class = IdCursorPages
    ordering_fields = ["id"]

    def get_queryset(self):
        # responses_readable's rule (the studies the user researches) as joins, not an IN list rebuilt for every page
        return (
            Score.objects.filter(
                response__wave__study__in=research_studies(self.request.user), response__respondent__withdrawn_at__isnull=True
            )
            .select_related("response__respondent")
            .only(  # not the response's answers: a score row needs its pid and wave only
                "id", "response_id", "instrument_version", "scored_at", "values", "response__wave_id", "response__respondent__pid"
            )
            .order_by("id")
        )

    def check_object_permissions(self, request, obj):  # the queryset is already scoped to the user's studies
        super().check_object_permissions(request, obj.response)
