"""Analysis runs over the API (``/api/v1/analysis-runs/``): list, start, progress, results, cancel.

Researchers and study administrators see the runs of their studies; for
anyone else the list is empty, a run is 404 and starting one is 403.
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from analysis.core.models import ROBUST_SE
from analysis.core.psm import LINKS
from schools.scoping import is_study_wide
from surveys.models import Wave

from .models import AnalysisRun
from .selectors import run_assignments, run_latest_succeeded, run_parts, runs_visible, user_may_analyse
from .services import MAX_BOOTSTRAP, analysis_run_cancel, analysis_run_start


class AnalysisRunPartSerializer(serializers.Serializer):
    name = serializers.CharField()
    study = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["ok", "failed", "skipped"])
    message = serializers.CharField(allow_blank=True)


class AnalysisRunSerializer(serializers.ModelSerializer):
    study = serializers.CharField(source="wave.study.code", read_only=True)
    wave_code = serializers.CharField(source="wave.code", read_only=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None)
    is_latest = serializers.SerializerMethodField()

    class Meta:
        model = AnalysisRun
        fields = [
            "id", "study", "wave", "wave_code", "status", "is_latest", "parameters", "instrument_version",
            "data_fingerprint", "rows_read", "data_changed_at", "code_version", "progress", "message", "timings",
            "error", "failure", "trigger", "created_by", "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields

    def get_is_latest(self, run) -> bool:
        latest = self.context.setdefault("latest", {})
        if run.wave_id not in latest:
            found = run_latest_succeeded(run.wave)
            latest[run.wave_id] = found.pk if found else None
        return latest[run.wave_id] == run.pk


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
    wave = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    study = serializers.ChoiceField(choices=["A", "B", "both"], default="both", help_text="which models to run")
    k = serializers.IntegerField(min_value=2, max_value=20, required=False, allow_null=True)
    years = serializers.CharField(required=False, default="1-12", help_text="years of life clustered, e.g. 1-12")
    method = serializers.ChoiceField(choices=["ward.D", "ward.D2"], default="ward.D")
    costs = serializers.ChoiceField(choices=["TRATE", "CONSTANT"], default="TRATE")
    algorithm = serializers.ChoiceField(choices=["auto", "exact", "clara"], default="auto")
    robust_se = serializers.ListField(
        child=serializers.ChoiceField(choices=list(ROBUST_SE)), required=False,
        help_text="standard errors besides the classical ones: HC1, cluster (by school); default both",
    )
    psm_link = serializers.ChoiceField(choices=list(LINKS), default="logit", help_text="propensity model")
    psm_ties = serializers.BooleanField(default=True, help_text="psmatch2's ties: equally near controls share the weight")
    psm_bootstrap = serializers.IntegerField(min_value=0, max_value=MAX_BOOTSTRAP, default=0, help_text="bootstrap resamples for PSM SEs")


class AnalysisRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AnalysisRunSerializer
    filterset_fields = ["wave", "status"]

    def get_queryset(self):
        return runs_visible(self.request.user).order_by("-created_at", "-id")

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
            raise ApiValidationError({"wave": ["no such wave among your studies"]})
        try:
            run, created = analysis_run_start(wave=wave, parameters=parameters, user=request.user, trigger="api")
        except ValueError as error:
            raise ApiValidationError({"parameters": [str(error)]}) from error
        return Response(
            AnalysisRunSerializer(run, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses=AnalysisRunProgressSerializer)
    @action(detail=True)
    def progress(self, request, pk=None):
        return Response(AnalysisRunProgressSerializer(self.get_object()).data)

    @action(detail=True)
    def results(self, request, pk=None):
        """The stored results of a succeeded run (409 otherwise); ``?assignments=1`` adds the rows per pid."""
        run = self.get_object()
        if run.status != AnalysisRun.Status.SUCCEEDED:
            return Response({"detail": f"run is {run.status}", "status": run.status}, status=status.HTTP_409_CONFLICT)
        payload = {"run": AnalysisRunDetailSerializer(run, context=self.get_serializer_context()).data, "results": run.results}
        if request.query_params.get("assignments") in ("1", "true", "yes"):
            frame = run_assignments(run).drop(columns="sequence")
            payload["assignments"] = frame.astype(object).where(frame.notna(), None).to_dict("records")
        return Response(payload)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = analysis_run_cancel(run=self.get_object())
        return Response(AnalysisRunSerializer(run, context=self.get_serializer_context()).data)

    @action(detail=False)
    def latest(self, request):
        """The latest succeeded run of ``?wave=ID`` (404 when none)."""
        wave_id = request.query_params.get("wave", "")
        if not wave_id.isdigit():
            raise ApiValidationError({"wave": ["a wave id is required"]})
        wave = Wave.objects.select_related("study").filter(pk=int(wave_id)).first()
        # the same 404 for a wave that does not exist, a wave of another study and a wave without a run
        run = run_latest_succeeded(wave) if wave is not None and user_may_analyse(request.user, wave) else None
        if run is None:
            return Response({"detail": "no succeeded run"}, status=status.HTTP_404_NOT_FOUND)
        return Response(AnalysisRunDetailSerializer(run, context=self.get_serializer_context()).data)
