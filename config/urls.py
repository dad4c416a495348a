from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from surveys import staff_views

# Admin pages of the models that moved app in the re-cut (their tables did not move): old bookmarks still work.
MOVED_ADMIN = {
    "surveys": {"studies": "study|wave|school|schoolclass|respondent|instrumentversion"},
    "schools": {"studies": "membership|studypolicy", "safeguarding": "safeguardingrule|alert|alertfollowup|guardianconsent", "common": "auditevent"},
}
moved_admin = [
    re_path(
        rf"^admin/{old}/(?P<model>{models})/(?P<rest>.*)$",
        RedirectView.as_view(url=f"/admin/{new}/%(model)s/%(rest)s", permanent=True, query_string=True),
    )
    for old, moves in MOVED_ADMIN.items()
    for new, models in moves.items()
]

urlpatterns = [
    path("", include("surveys.urls")),
    path("staff/", staff_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("schools.account_urls")),
    path("school/studies/<int:study_id>/respondents/<str:pid>/answers/", staff_views.answer_history, name="answer_history"),
    path("school/", include("schools.urls")),
    path("research/analysis/", include("analysis.urls")),
    path("research/exports/", include("exports.urls")),
    path("research/tokens/", include("apitokens.urls")),
    path("api/v1/", include("config.api_urls")),
    *moved_admin,
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the staff pages' language switch
]

# Under /api/, a 404 or 500 outside the API's views gets the API's error body (config.api_errors).
handler404 = "config.api_errors.page_not_found"
handler500 = "config.api_errors.server_error"
