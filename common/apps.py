from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("Audit log and task outbox")

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the CJK font check)
