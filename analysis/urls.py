"""Researchers' analysis pages, included under ``research/analysis/``."""

from django.urls import path

from . import views

app_name = "analysis"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("waves/<int:wave_id>/start/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.run_report, name="run_report"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/tables/<slug:name>.csv", views.run_table_csv, name="run_table_csv"),
    path("runs/<int:pk>/plots/<slug:name>/", views.run_plot, name="run_plot"),
]
