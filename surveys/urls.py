from django.urls import path

from . import offline_views, views

app_name = "surveys"

urlpatterns = [
    path("", views.entry, name="entry"),
    path("sw.js", offline_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline_views.manifest, name="manifest"),
    path("q/offline/bundle.json", offline_views.bundle, name="offline_bundle"),
    path("q/offline/sync/", offline_views.sync, name="offline_sync"),
    path("q/assent/", views.assent, name="assent"),
    path("q/review/", views.review, name="review"),
    path("q/done/", views.done, name="done"),
    path("q/stop/", views.stop, name="stop"),
    path("q/lang/", views.set_language, name="set_language"),
    path("q/<slug:section>/", views.section, name="section"),
]
