"""The REST API, versioned under /api/v1/. Each app registers its viewsets on the router here."""

from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from analysis.api import AnalysisRunViewSet
from exports.api import ExportJobViewSet, WaveFlowView
from schools.api import AlertViewSet, MembershipViewSet, RosterViewSet
from surveys.api import (
    RespondentViewSet,
    ResponseSubmitSlashView,
    ResponseSubmitView,
    ResponseViewSet,
    SchoolClassViewSet,
    SchoolViewSet,
    ScoreViewSet,
    StudyViewSet,
    WaveViewSet,
)

router = DefaultRouter()
router.register("memberships", MembershipViewSet, basename="membership")
router.register("alerts", AlertViewSet, basename="alert")
router.register("roster", RosterViewSet, basename="roster")
router.register("studies", StudyViewSet, basename="study")
router.register("waves", WaveViewSet, basename="wave")
router.register("schools", SchoolViewSet, basename="school")
router.register("classes", SchoolClassViewSet, basename="schoolclass")
router.register("respondents", RespondentViewSet, basename="respondent")
router.register("responses", ResponseViewSet, basename="response")
router.register("scores", ScoreViewSet, basename="score")
router.register("exports", ExportJobViewSet, basename="exportjob")
router.register("analysis-runs", AnalysisRunViewSet, basename="analysis-run")

urlpatterns = [
    path("responses/submit", ResponseSubmitView.as_view(), name="response-submit"),
    path("responses/submit/", ResponseSubmitSlashView.as_view(), name="response-submit-slash"),
    path("waves/<int:pk>/flow/", WaveFlowView.as_view(), name="wave-flow"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The Content Security Policy allows no inline script or style: Swagger UI's start-up script is served
    # as a file (the split view's ``?script``) with a template without inline code. Redoc injects <style>
    # elements at run time (refused by ``style-src 'self'``): its address leads to Swagger UI.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"), name="api-docs"),
    path("redoc/", RedirectView.as_view(pattern_name="api-docs", permanent=False), name="api-redoc"),
]
