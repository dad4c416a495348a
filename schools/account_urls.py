from django.urls import path

from . import account_views

app_name = "account"

urlpatterns = [
    path("two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/setup/qr.svg", account_views.two_factor_qr, name="two_factor_qr"),
    path("two-factor/verify/", account_views.two_factor_verify, name="two_factor_verify"),
]
