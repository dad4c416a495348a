"""Researchers' analysis pages, included under ``research/analysis/``."""

from django.urls import path

from . import paper_views, views

app_name = "analysis"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("waves/<int:wave_id>/start/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.run_report, name="run_report"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/tables/<slug:name>.csv", views.run_table_csv, name="run_table_csv"),
    path("runs/<int:pk>/plots/<slug:name>/", views.run_plot, name="run_plot"),
    path("runs/<int:pk>/pin/", paper_views.run_pin, name="run_pin"),
    path("runs/<int:pk>/unpin/", paper_views.run_unpin, name="run_unpin"),
    path("runs/<int:pk>/reproduction/", paper_views.run_reproduction_report, name="run_reproduction"),
    path("runs/<int:pk>/reproduction.pdf", paper_views.run_reproduction_pdf, name="run_reproduction_pdf"),
]
