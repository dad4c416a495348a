"""API of the schools app: memberships (study administrators), alerts (counsellors), rosters (school staff).

Same rules as the pages: 403 without a role for this kind of endpoint, 404 for
a row outside the user's scope; querysets come from ``schools.scoping``.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response as ApiResponse

from common import audit
from common.api import IdFilter, deprecated
from safeguarding import selectors as safeguarding_selectors
from safeguarding import services as safeguarding_services
from safeguarding.models import Alert
from studies import scoping
from studies import services as study_services
from studies.models import Membership, School, SchoolClass
from studies.permissions import HasRole

from . import selectors

# --- Memberships --------------------------------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.get_username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "role", "study", "school", "school_class", "created_at"]
        read_only_fields = ["id", "username", "created_at"]


NO_SUCH_USER = _("No such user among this study's people or the accounts not yet in a study.")
NOT_YOUR_STUDY = _("Not a study you administer.")


class MembershipInputSerializer(serializers.Serializer):
    """The user by ``username`` or ``email`` (or id), found only among those a study administrator may name:
    the same answer for an unknown user and a user of another study."""

    user = serializers.IntegerField(required=False, min_value=1)
    username = serializers.CharField(required=False, max_length=150)
    email = serializers.EmailField(required=False)
    role = serializers.ChoiceField(choices=scoping.Role.choices)
    study = serializers.IntegerField(min_value=1)
    school = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    school_class = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class MembershipViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Who holds which role: study administrators manage their studies' memberships (audited)."""

    roles = (scoping.Role.STUDY_ADMIN,)
    permission_classes = [IsAuthenticated, HasRole]
    serializer_class = MembershipSerializer

    def get_queryset(self):
        return scoping.memberships_manageable(self.request.user).select_related("user").order_by("pk")

    ordering_fields = ["id", "created_at", "role"]

    @extend_schema(request=MembershipInputSerializer, responses=MembershipSerializer)
    def create(self, request, *args, **kwargs):
        data = MembershipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        study = scoping.administered_studies(request.user).filter(pk=values["study"]).first()
        if study is None:  # the same for a study that does not exist
            raise ValidationError({"study": NOT_YOUR_STUDY})
        keys = {key: values.pop(key) for key in ("user", "username", "email") if key in values}
        if len(keys) != 1:
            raise ValidationError({"user": _("Give exactly one of user, username, email.")})
        lookup = {"user": "pk", "username": "username", "email": "email__iexact"}
        (key, value), = keys.items()
        users = scoping.users_nameable(request.user, study).filter(**{lookup[key]: value})
        if users.count() != 1:
            raise ValidationError({key: NO_SUCH_USER})
        values.update(study=study, user=users.get())
        places = {"school": School.objects.filter(study=study), "school_class": SchoolClass.objects.filter(school__study=study)}
        for key, in_study in places.items():
            if values.get(key) is not None:
                values[key] = in_study.filter(pk=values[key]).first()
                if values[key] is None:  # the same for another study's and for none
                    raise ValidationError({key: _("No such place in this study.")})
        try:
            membership = study_services.membership_create(actor=request.user, **values)
        except DjangoValidationError as error:
            raise ValidationError(error.messages) from None
        return ApiResponse(MembershipSerializer(membership).data, status=201)

    def perform_destroy(self, instance):
        study_services.membership_delete(actor=self.request.user, membership=instance)


# --- Alerts -------------------------------------------------------------------------------------------


class AlertSerializer(serializers.ModelSerializer):
    # empty for a study administrator (names never meet answers): the view blanks it, see alerts_named
    display_name = serializers.CharField(source="respondent.display_name")
    seat_number = serializers.IntegerField(source="respondent.seat_number")
    school_name = serializers.CharField(source="school.__str__")
    class_name = serializers.CharField(source="school_class.__str__")
    wave_code = serializers.CharField(source="wave.code")

    class Meta:
        model = Alert
        fields = [
            "id",
            "display_name",
            "seat_number",
            "school",
            "school_name",
            "school_class",
            "class_name",
            "wave_code",
            "rules",
            "status",
            "created_at",
            "acknowledged_at",
            "escalated_at",
        ]


class FollowUpInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000)
    close = serializers.BooleanField(default=False)


class AlertFilter(django_filters.FilterSet):
    school_id = IdFilter(field_name="school_id")
    class_id = IdFilter(field_name="school_class_id")
    wave_id = IdFilter(field_name="wave_id")
    school = IdFilter(field_name="school_id", help_text=deprecated("school_id"))
    school_class = IdFilter(field_name="school_class_id", help_text=deprecated("class_id"))
    wave = IdFilter(field_name="wave_id", help_text=deprecated("wave_id"))

    class Meta:
        model = Alert
        fields = ["status", "school_id", "class_id", "wave_id", "school", "school_class", "wave"]


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """The counsellor's queue: counsellors of the school and study administrators; every view is logged."""

    roles = scoping.ALERT_ROLES
    permission_classes = [IsAuthenticated, HasRole]
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["id", "created_at", "status"]

    def get_queryset(self):
        return safeguarding_selectors.alerts_visible(self.request.user).select_related(
            "respondent", "school", "school_class", "wave"
        ).order_by("-created_at")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = safeguarding_selectors.alerts_named(user=request.user, alerts=self.paginate_queryset(queryset))
        audit.audit_alert_views(actor=request.user, alerts=page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        alert = self.get_object()
        audit.audit_alert_views(actor=request.user, alerts=[alert])
        return ApiResponse(self.get_serializer(alert).data)

    def get_serializer(self, instance=None, *args, **kwargs):
        if isinstance(instance, Alert):  # every answer about one alert: the name only where the user sees names
            instance = safeguarding_selectors.alerts_named(user=self.request.user, alerts=[instance])[0]
        return super().get_serializer(instance, *args, **kwargs)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = safeguarding_services.alert_acknowledge(alert=self.get_object(), user=request.user)
        return ApiResponse(self.get_serializer(alert).data)

    @extend_schema(request=FollowUpInputSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        alert = self.get_object()
        data = FollowUpInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        safeguarding_services.alert_follow_up_add(alert=alert, user=request.user, **data.validated_data)
        alert.refresh_from_db()
        return ApiResponse(self.get_serializer(alert).data)


# --- Roster -------------------------------------------------------------------------------------------


class RosterRowSerializer(serializers.Serializer):
    respondent_id = serializers.IntegerField()
    seat_number = serializers.IntegerField(allow_null=True)
    display_name = serializers.CharField()
    status = serializers.CharField()
    section = serializers.CharField()
    section_position = serializers.IntegerField(allow_null=True)
    last_activity_at = serializers.DateTimeField(allow_null=True)
    consent = serializers.CharField()
    needs_follow_up = serializers.BooleanField(allow_null=True)


class RosterSerializer(serializers.Serializer):
    school_class = serializers.IntegerField(help_text="the class's id")
    wave = serializers.IntegerField(help_text="the wave's id")
    completion = serializers.IntegerField(help_text="submitted, in % of the children expected (withdrawn left out)")
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="children by status")
    rows = RosterRowSerializer(many=True)


class RosterQuerySerializer(serializers.Serializer):
    class_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    wave_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    school_class = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, help_text=deprecated("class_id"))
    wave = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, help_text=deprecated("wave_id"))

    def validate(self, data):
        class_id, wave_id = data.get("class_id", data.get("school_class")), data.get("wave_id", data.get("wave"))
        errors = {}
        if class_id is None:
            errors["class_id"] = [_("This parameter is required.")]
        if wave_id is None:
            errors["wave_id"] = [_("This parameter is required.")]
        if errors:
            raise ValidationError(errors)
        return {"class_id": class_id, "wave_id": wave_id}


class RosterViewSet(viewsets.ViewSet):
    """Progress of one class on one wave (never answers or scores): teachers, school and study administrators."""

    roles = scoping.ROSTER_ROLES
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        parameters=[
            OpenApiParameter("class_id", int, description="the class's id (required)"),
            OpenApiParameter("wave_id", int, description="the wave's id (required)"),
            OpenApiParameter("school_class", int, description=deprecated("class_id")),
            OpenApiParameter("wave", int, description=deprecated("wave_id")),
        ],
        responses=RosterSerializer,
    )
    def list(self, request):
        query = RosterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        class_id, wave_id = query.validated_data["class_id"], query.validated_data["wave_id"]
        school_class = selectors.roster_class_get(user=request.user, class_id=class_id)
        wave = selectors.roster_wave_get(school_class=school_class, wave_id=wave_id)
        roster = selectors.roster_get(user=request.user, school_class=school_class, wave=wave, lang=get_language())
        return ApiResponse(
            {
                "school_class": school_class.pk,
                "wave": wave.pk,
                "completion": roster.completion,
                "counts": roster.counts,
                "rows": RosterRowSerializer(roster.rows, many=True).data,
            }
        )
