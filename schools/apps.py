from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = _("School pages")

    def ready(self) -> None:
        # A sign-in is Django's own event: the receiver only records it in the audit log.
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from .services import sign_in_failure_record, sign_in_record  # models are ready only now

        def _record_sign_in(sender, request, user, **kwargs):
            sign_in_record(user=user, request=request)

        def _record_failure(sender, credentials, request=None, **kwargs):
            sign_in_failure_record(username=str(credentials.get("username", "")), request=request)

        user_logged_in.connect(_record_sign_in, dispatch_uid="schools_audit_sign_in", weak=False)
        user_login_failed.connect(_record_failure, dispatch_uid="schools_audit_sign_in_failed", weak=False)
