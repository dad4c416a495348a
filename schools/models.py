"""Who may see what: a user's roles, each tied to a study and, for school staff, to a school or class."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import School, SchoolClass, Study


class Role(models.TextChoices):
    TEACHER = "teacher", _("teacher")
    COUNSELLOR = "counsellor", _("school counsellor")
    SCHOOL_ADMIN = "school_admin", _("school administrator")
    RESEARCHER = "researcher", _("researcher")
    STUDY_ADMIN = "study_admin", _("study administrator")


STUDY_WIDE_ROLES = (Role.RESEARCHER, Role.STUDY_ADMIN)
SCHOOL_ROLES = (Role.COUNSELLOR, Role.SCHOOL_ADMIN)


class Membership(models.Model):
    """One role of one user: a teacher of a class, a counsellor of a school, a researcher of a study."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "study", "school", "school_class"], name="membership_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        where = self.school_class or self.school or self.study
        return f"{self.user} {self.get_role_display()} {where}"

    def clean(self) -> None:
        if self.role == Role.TEACHER and self.school_class_id is None:
            raise ValidationError(_("A teacher's role names a class."))
        if self.role in SCHOOL_ROLES and self.school_id is None:
            raise ValidationError(_("This role names a school."))
        if self.school_class_id and not self.school_id:
            self.school = self.school_class.school
