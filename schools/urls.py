from django.urls import path

from . import views

app_name = "schools"

ROSTER = "classes/<int:class_id>/waves/<int:wave_id>/"
RESPONDENT = ROSTER + "respondents/<int:respondent_id>/"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("classes/<int:class_id>/", views.class_detail, name="class_detail"),
    path(ROSTER, views.roster, name="roster"),
    path(ROSTER + "start/", views.wave_start, name="wave_start"),
    path(ROSTER + "rows/", views.roster_rows, name="roster_rows"),
    path(ROSTER + "roster.csv", views.roster_csv, name="roster_csv"),
    path(ROSTER + "reminders/", views.reminders, name="reminders"),
    path(ROSTER + "slips/", views.slips, name="slips"),
    path(ROSTER + "slips.pdf", views.slips_pdf_view, name="slips_pdf"),
    path(RESPONDENT + "reissue/", views.code_reissue, name="code_reissue"),
    path(RESPONDENT + "revoke/", views.code_revoke, name="code_revoke"),
    path(RESPONDENT + "consent/", views.consent_record, name="consent_record"),
    path(RESPONDENT + "withdraw/", views.respondent_withdraw, name="respondent_withdraw"),
    path("consent/<str:token>/", views.guardian_consent, name="guardian_consent"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/follow-up/", views.alert_follow_up, name="alert_follow_up"),
    path("studies/<int:study_id>/respondents/", views.respondent_search, name="respondent_search"),
    path("studies/<int:study_id>/respondents/<str:pid>/", views.respondent_history, name="respondent_history"),
    path("studies/<int:study_id>/withdrawn/", views.withdrawn_list, name="withdrawn"),
    path("studies/<int:study_id>/withdrawn/<int:respondent_id>/delete/", views.withdrawn_delete, name="withdrawn_delete"),
    path("audit/", views.audit_log, name="audit"),
]
