"""Template helpers of the staff pages."""

from django import template

from studies.scoping import administered_studies

register = template.Library()


@register.simple_tag
def administers(user, study) -> bool:
    """Whether ``user`` is a study administrator of ``study`` (links to pages only they may open)."""
    return administered_studies(user).filter(pk=study.pk).exists()
