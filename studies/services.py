"""Writes of studies: roles (memberships) and the class roster, each audited."""

import secrets

from django.db import IntegrityError, transaction

from common.audit import audit_record

from .models import Membership, Respondent, SchoolClass


def membership_create(*, actor, user, role: str, study, school=None, school_class=None) -> Membership:
    membership = Membership(user=user, role=role, study=study, school=school, school_class=school_class)
    membership.full_clean()
    membership.save()
    audit_record(
        actor=actor,
        action="membership.create",
        target=str(membership),
        study=study,
        details={"user": user.pk, "role": role, "school": membership.school_id, "class": membership.school_class_id},
    )
    return membership


def membership_delete(*, actor, membership: Membership) -> None:
    audit_record(
        actor=actor,
        action="membership.delete",
        target=str(membership),
        study=membership.study,
        details={"user": membership.user_id, "role": membership.role},
    )
    membership.delete()


def _new_pid(study) -> str:
    return f"{study.code[:8].upper()}-{secrets.token_hex(4).upper()}"


def respondents_add(*, actor, school_class: SchoolClass, students: list[tuple[int | None, str]]) -> list[Respondent]:
    """Add children to a class roster: a seat number and an optional display name each; a random pid each.

    A seat already taken in the class is skipped (the roster keeps its child).
    """
    study = school_class.school.study
    taken = set(Respondent.objects.filter(school_class=school_class).values_list("seat_number", flat=True))
    added = []
    with transaction.atomic():
        for seat, name in students:
            if seat is not None and seat in taken:
                continue
            for _attempt in range(5):
                try:
                    with transaction.atomic():
                        added.append(
                            Respondent.objects.create(
                                study=study, school_class=school_class, seat_number=seat, display_name=name[:100], pid=_new_pid(study)
                            )
                        )
                    break
                except IntegrityError:
                    continue
            taken.add(seat)
        audit_record(
            actor=actor, action="roster.add", target=f"class {school_class.pk}", study=study, details={"added": len(added)}
        )
    return added
