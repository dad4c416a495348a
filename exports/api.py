"""Exports through the API: start one, follow its progress, download it (researchers of the study)."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from common.api import ApiAuthMixin, IdFilter
from scoring.cleaning import CLEANING_RULES
from scoring.instrument import LANGUAGES
from studies.models import Study, Wave
from studies.permissions import IsResearcher
from studies.scoping import research_studies, waves_visible
from surveys.selectors import waves_with_counts

from .engine import FORMATS, LAYOUTS, PANELS, STATA_VERSIONS, ExportOptions, ExportOptionsError
from .models import ExportJob
from .selectors import export_job_downloadable, export_jobs_visible, wave_flow_cached
from .services import export_job_create, export_job_download

RULE_NAMES = [name for name, _ in CLEANING_RULES]


class ExportJobSerializer(serializers.ModelSerializer):
    wave_code = serializers.CharField(source="wave.code", read_only=True)
    study = serializers.CharField(source="study.code", read_only=True)
    panel = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id", "wave", "wave_code", "study", "panel", "options", "status", "progress", "row_count", "flow", "fingerprint",
            "analysis_run",
            "created_at", "finished_at", "expires_at", "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        if not export_job_downloadable(job):
            return None
        url = reverse("exportjob-download", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ExportStartSerializer(serializers.Serializer):
    """One wave (``wave``: its id), or every wave of a study as a panel (``study_code`` and ``panel``)."""

    wave = serializers.IntegerField(min_value=1, required=False, help_text="id of the wave (an export of one wave)")
    study_code = serializers.CharField(required=False, help_text="code of the study (a panel export)")
    panel = serializers.ChoiceField(
        choices=[panel for panel in PANELS if panel], required=False,
        help_text="long: one row per pid and wave (with wave_no); wide: one row per pid, columns suffixed _w1, _w2...",
    )
    stata_version = serializers.ChoiceField(choices=list(STATA_VERSIONS), default=118, help_text="release of a .dta file")
    cleaned = serializers.BooleanField(default=False)
    skip_rules = serializers.ListField(child=serializers.ChoiceField(choices=RULE_NAMES), required=False, default=list)
    format = serializers.ChoiceField(choices=list(FORMATS), default="csv")
    layout = serializers.ChoiceField(choices=list(LAYOUTS), default="wide")
    hash_pid = serializers.BooleanField(default=False)
    lang = serializers.ChoiceField(choices=list(LANGUAGES), default=LANGUAGES[0])

    def validate(self, data):
        if data.get("panel"):
            if not data.get("study_code"):
                raise serializers.ValidationError({"study_code": "a panel export needs the study's code"})
        elif not data.get("wave"):
            raise serializers.ValidationError({"wave": "name a wave, or a study_code and a panel"})
        return data


class ExportJobFilter(django_filters.FilterSet):
    wave = IdFilter(field_name="wave_id")
    study_code = django_filters.CharFilter(field_name="study__code")

    class Meta:
        model = ExportJob
        fields = ["wave", "study_code", "status"]


class ExportJobViewSet(ApiAuthMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Exports of the user's studies: ``POST`` starts one (built by a worker), ``GET`` shows its progress."""

    serializer_class = ExportJobSerializer
    permission_classes = [IsResearcher]
    filterset_class = ExportJobFilter


    def get_queryset(self):
        return export_jobs_visible(self.request.user)

    @extend_schema(request=ExportStartSerializer, responses={202: ExportJobSerializer})
    def create(self, request, *args, **kwargs):
        body = ExportStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        studies = research_studies(request.user)
        target = {}
        if data.get("panel"):
            target["study"] = Study.objects.filter(code=data["study_code"], pk__in=studies.values("pk")).first()
            if target["study"] is None:
                raise serializers.ValidationError({"study_code": "no such study among yours"})
        else:
            target["wave"] = Wave.objects.filter(pk=data["wave"], study__in=studies).select_related("study").first()
            if target["wave"] is None:
                raise serializers.ValidationError({"wave": "no such wave among your studies"})
        try:
            options = ExportOptions(
                cleaned=data["cleaned"], rules={rule: False for rule in data["skip_rules"]}, format=data["format"],
                layout=data["layout"], hash_pid=data["hash_pid"], lang=data["lang"], panel=data.get("panel", ""),
                stata_version=data["stata_version"],
            )
            job = export_job_create(user=request.user, options=options, **target)
        except ExportOptionsError as error:
            raise serializers.ValidationError({"options": str(error)}) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return ApiResponse(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The zip: data file, codebook (HTML, CSV), flow (CSV), datapackage.json, loaders for R and Stata."""
        job = self.get_object()
        if not export_job_downloadable(job):
            raise NotFound("this export is not ready or has expired")
        return FileResponse(export_job_download(job=job, user=request.user), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])


# --------------------------------------------------------------------------- the cleaning flow of a wave

FlowRowSerializer = inline_serializer(
    "FlowRow",
    many=True,
    fields={
        "rule": serializers.CharField(),
        "flag": serializers.CharField(),
        "enabled": serializers.BooleanField(allow_null=True),
        "dropped": serializers.IntegerField(),
        "remaining": serializers.IntegerField(),
    },
)


class WaveFlowView(APIView):
    """``/waves/{id}/flow/``: the cleaning flow of a wave that the export and the analysis apply (researchers)."""

    permission_classes = [IsResearcher]

    @extend_schema(
        operation_id="waves_flow_retrieve",
        parameters=[
            OpenApiParameter("skip", OpenApiTypes.STR, many=True, enum=RULE_NAMES, description="switch a rule off (repeatable)")
        ],
        responses={200: FlowRowSerializer},
    )
    def get(self, request, pk: int):
        """Raw count, rows dropped by each rule in the specification's order, analytic count."""
        wave = get_object_or_404(waves_with_counts(waves_visible(request.user)), pk=pk)
        self.check_object_permissions(request, wave)
        skip = request.query_params.getlist("skip")
        unknown = [rule for rule in skip if rule not in RULE_NAMES]
        if unknown:
            raise ValidationError({"skip": [_("Unknown rules: %(rules)s") % {"rules": ", ".join(unknown)}]})
        return ApiResponse(wave_flow_cached(wave=wave, rules={rule: False for rule in skip}))
