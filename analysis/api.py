"""Analysis runs over the API (``/api/v1/analysis-runs/``): list, start, progress, results, cancel, pin.

Researchers and study administrators see the runs of their studies; for
anyone else the list is empty, a run is 404 and starting one is 403. The run
*in use* for a wave (``current``) is its pinned run, else its latest
succeeded run: that one feeds the exports.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from analysis.core.costs import COST_METHODS
from analysis.core.models import ROBUST_SE
from analysis.core.pipeline import STUDIES
from analysis.core.psm import LINKS
from analysis.core.trajectories import ALGORITHMS
from analysis.core.ward import WARD_METHODS
from common.api import IdFilter, deprecated
from config.api_errors import Conflict, ErrorSerializer
from studies.models import Wave
from studies.scoping import is_study_wide

from .models import AnalysisRun
from .pinning import PinError, analysis_run_pin, analysis_run_unpin
from .selectors import (
    run_assignments,
    run_in_use,
    run_latest_succeeded,
    run_parts,
    runs_shown_by_wave,
    runs_visible,
    user_may_analyse,
)
from .services import MAX_BOOTSTRAP, analysis_run_cancel, analysis_run_start


class AnalysisRunPartSerializer(serializers.Serializer):
    name = serializers.CharField()
    study = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["ok", "failed", "skipped"])
    message = serializers.CharField(allow_blank=True)

MODELS = list(STUDIES)
WAVE_ID_PARAMETERS = [
    OpenApiParameter("wave_id", int, description="the wave's id (required)"),
    OpenApiParameter("wave", int, description=deprecated("wave_id")),
]


class AnalysisRunSerializer(serializers.ModelSerializer):
    study = serializers.CharField(source="wave.study.code", read_only=True, help_text="the study's code")
    wave_code = serializers.CharField(source="wave.code", read_only=True)
    models = serializers.SerializerMethodField(help_text="which models ran: A, B or both")
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None, allow_null=True)
    pinned_by = serializers.CharField(source="pinned_by.get_username", read_only=True, default=None, allow_null=True)
    is_latest = serializers.SerializerMethodField(help_text="the wave's most recently finished succeeded run")
    is_pinned = serializers.SerializerMethodField()
    is_current = serializers.SerializerMethodField(help_text="the run exports use: the pinned run, else the latest")
    failure = serializers.ChoiceField(
        choices=AnalysisRun.Failure.choices, allow_blank=True, read_only=True, help_text="why a failed run failed; empty otherwise"
    )

    class Meta:
        model = AnalysisRun
        fields = [
            "id", "study", "wave", "wave_code", "models", "status", "is_latest", "is_pinned", "is_current", "pinned_at",
            "pinned_by", "assignments_pruned_at", "parameters", "instrument_version", "data_fingerprint", "rows_read",
            "data_changed_at", "code_version", "progress", "message", "timings", "error", "failure", "trigger",
            "created_by", "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields

    def _cached(self, key: str, run, find) -> int | None:
        found = self.context.setdefault(key, {})
        if run.wave_id not in found:
            result = find(run.wave)
            found[run.wave_id] = result.pk if result else None
        return found[run.wave_id]

    def get_models(self, run) -> str:
        return (run.parameters or {}).get("study", "both")

    def get_is_latest(self, run) -> bool:
        return self._cached("latest", run, run_latest_succeeded) == run.pk

    def get_is_pinned(self, run) -> bool:
        return run.pinned_at is not None

    def get_is_current(self, run) -> bool:
        return self._cached("current", run, run_in_use) == run.pk


class AnalysisRunDetailSerializer(AnalysisRunSerializer):
    """One run with the status of each part of the analysis (read from its stored results, so not in the list)."""

    parts = serializers.SerializerMethodField(help_text="each part of a finished run: status ok | failed | skipped, and why")

    class Meta(AnalysisRunSerializer.Meta):
        fields = [*AnalysisRunSerializer.Meta.fields, "parts"]
        read_only_fields = fields

    @extend_schema_field(AnalysisRunPartSerializer(many=True))
    def get_parts(self, run) -> list[dict]:
        return AnalysisRunPartSerializer(run_parts(run), many=True).data


class AnalysisRunProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnalysisRun
        fields = ["id", "status", "progress", "message", "started_at", "heartbeat_at", "finished_at", "error"]
        read_only_fields = fields


class AnalysisRunStartSerializer(serializers.Serializer):
    wave = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="the wave's id")
    models = serializers.ChoiceField(choices=MODELS, required=False, help_text="which models to run (default both)")
    study = serializers.ChoiceField(choices=MODELS, required=False, help_text=deprecated("models"))
    k = serializers.IntegerField(min_value=2, max_value=20, required=False, allow_null=True)
    years = serializers.CharField(required=False, default="1-12", help_text="years of life clustered, e.g. 1-12")
    method = serializers.ChoiceField(choices=list(WARD_METHODS), default="ward.D")
    costs = serializers.ChoiceField(choices=list(COST_METHODS), default="TRATE")
    algorithm = serializers.ChoiceField(choices=list(ALGORITHMS), default="auto")
    robust_se = serializers.ListField(
        child=serializers.ChoiceField(choices=list(ROBUST_SE)), required=False,
        help_text="standard errors besides the classical ones: HC1, cluster (by school); default both",
    )
    psm_link = serializers.ChoiceField(choices=list(LINKS), default="logit", help_text="propensity model")
    psm_ties = serializers.BooleanField(default=True, help_text="psmatch2's ties: equally near controls share the weight")
    psm_bootstrap = serializers.IntegerField(min_value=0, max_value=MAX_BOOTSTRAP, default=0, help_text="bootstrap resamples for PSM SEs")

    def validate(self, data):
        models, alias = data.pop("models", None), data.pop("study", None)
        if models and alias and models != alias:
            raise ApiValidationError({"models": [_("models and its deprecated alias study disagree.")]})
        data["study"] = models or alias or "both"  # the services' parameter name
        return data


class AnalysisAssignmentSerializer(serializers.Serializer):
    pid = serializers.CharField()
    traj_cluster = serializers.IntegerField(allow_null=True)
    traj_label = serializers.CharField(allow_null=True, allow_blank=True)
    tatt = serializers.FloatField(allow_null=True)


class AnalysisRunResultsSerializer(serializers.Serializer):
    run = AnalysisRunSerializer()
    results = serializers.JSONField(help_text="everything the report shows: flows, trajectory, cluster sizes, tables, notes")
    assignments = AnalysisAssignmentSerializer(many=True, required=False, help_text="with ?assignments=1: one row per pid")


class AnalysisRunFilter(django_filters.FilterSet):
    wave_id = IdFilter(field_name="wave_id")
    wave = IdFilter(field_name="wave_id", help_text=deprecated("wave_id"))

    class Meta:
        model = AnalysisRun
        fields = ["wave_id", "status", "wave"]


class AnalysisRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AnalysisRunSerializer
    filterset_class = AnalysisRunFilter
    ordering_fields = ["id", "created_at", "finished_at"]

    def get_queryset(self):
        runs = runs_visible(self.request.user).select_related("pinned_by").order_by("-created_at", "-id")
        return runs.defer("results_json") if self.action == "list" else runs  # a list shows no results

    def list(self, request, *args, **kwargs):
        """The runs, each marked latest / pinned / current: the runs shown per wave read once for the page."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        context.update(runs_shown_by_wave(run.wave_id for run in page))
        data = AnalysisRunSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def get_serializer_class(self):
        return AnalysisRunSerializer if self.action == "list" else AnalysisRunDetailSerializer

    @extend_schema(request=AnalysisRunStartSerializer, responses={201: AnalysisRunSerializer, 200: AnalysisRunSerializer})
    def create(self, request):
        """Start a run of a wave (201); when one is queued or running already, that one (200)."""
        data = AnalysisRunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parameters = dict(data.validated_data)
        if not is_study_wide(request.user):  # no research role at all: 403, as on every research endpoint
            raise PermissionDenied
        wave = Wave.objects.select_related("study", "instrument").filter(pk=parameters.pop("wave")).first()
        if wave is None or not user_may_analyse(request.user, wave):  # the same answer for another study's wave
            raise ApiValidationError({"wave": [_("No such wave among your studies.")]})
        try:
            run, created = analysis_run_start(wave=wave, parameters=parameters, user=request.user, trigger="api")
        except ValueError as error:
            raise ApiValidationError({"parameters": [str(error)]}) from error
        return Response(
            AnalysisRunSerializer(run, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses=AnalysisRunProgressSerializer)
    @action(detail=True, pagination_class=None, filter_backends=[])
    def progress(self, request, pk=None):
        return Response(AnalysisRunProgressSerializer(self.get_object()).data)

    @extend_schema(
        parameters=[OpenApiParameter("assignments", OpenApiTypes.BOOL, description="add the rows per pid")],
        responses={200: AnalysisRunResultsSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, pagination_class=None, filter_backends=[])
    def results(self, request, pk=None):
        """The stored results of a succeeded run (409 otherwise); ``?assignments=1`` adds the rows per pid."""
        run = self.get_object()
        if run.status != AnalysisRun.Status.SUCCEEDED:
            raise Conflict(_("The run is %(status)s: it has no results.") % {"status": run.status})
        payload = {"run": AnalysisRunDetailSerializer(run, context=self.get_serializer_context()).data, "results": run.results}
        if request.query_params.get("assignments") in ("1", "true", "True", "yes"):
            frame = run_assignments(run).drop(columns="sequence")
            payload["assignments"] = frame.astype(object).where(frame.notna(), None).to_dict("records")
        return Response(payload)

    @extend_schema(request=None, responses=AnalysisRunSerializer)
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def cancel(self, request, pk=None):
        run = analysis_run_cancel(run=self.get_object())
        return Response(AnalysisRunSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: AnalysisRunSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def pin(self, request, pk=None):
        """Pin a succeeded run: exports and ``current`` use it until it is unpinned (moves the wave's pin)."""
        try:
            run = analysis_run_pin(run=self.get_object(), user=request.user)
        except PinError as error:
            raise Conflict(str(error)) from error
        return Response(AnalysisRunSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=AnalysisRunSerializer)
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def unpin(self, request, pk=None):
        run = analysis_run_unpin(run=self.get_object())
        return Response(AnalysisRunSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(parameters=WAVE_ID_PARAMETERS, responses=AnalysisRunDetailSerializer)
    @action(detail=False, pagination_class=None, filter_backends=[])
    def current(self, request):
        """The run in use for ``?wave_id=``: its pinned run, else its latest succeeded run (404 when none)."""
        return self._current(request, run_in_use)

    @extend_schema(parameters=WAVE_ID_PARAMETERS, responses=AnalysisRunDetailSerializer)
    @action(detail=False, pagination_class=None, filter_backends=[])
    def latest(self, request):
        """The latest succeeded run of ``?wave_id=`` (404 when none), pinned or not."""
        return self._current(request, run_latest_succeeded)

    def _current(self, request, find):
        wave_id = request.query_params.get("wave_id", request.query_params.get("wave", ""))
        if not wave_id.isdigit() or not 0 < int(wave_id) < 2**63:
            raise ApiValidationError({"wave_id": [_("A wave id is required.")]})
        wave = Wave.objects.select_related("study").filter(pk=int(wave_id)).first()
        # the same 404 for a wave that does not exist, a wave of another study and a wave without a run
        run = find(wave) if wave is not None and user_may_analyse(request.user, wave) else None
        if run is None:
            raise NotFound(_("This wave has no succeeded run."))
        return Response(AnalysisRunDetailSerializer(run, context=self.get_serializer_context()).data)
