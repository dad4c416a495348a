from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.entry, name="entry"),
    path("q/assent/", views.assent, name="assent"),
    path("q/review/", views.review, name="review"),
    path("q/done/", views.done, name="done"),
    path("q/stop/", views.stop, name="stop"),
    path("q/lang/", views.set_language, name="set_language"),
    path("q/<slug:section>/", views.section, name="section"),
]
