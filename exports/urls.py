from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.wave_list, name="waves"),
    path("wave/<int:wave_id>/", views.export_form, name="form"),
    path("downloads/", views.downloads, name="downloads"),
    path("downloads/<int:pk>/", views.download, name="download"),
    path("downloads/<int:pk>/progress/", views.progress, name="progress"),
]
