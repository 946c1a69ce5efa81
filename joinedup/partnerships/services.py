"""Changes to partnerships and their memberships.

Every change re-asks the policy module inside its transaction and locks the partnership
row, so two coordinators acting at once cannot, between them, leave a partnership without
a coordinator or give a practitioner two open memberships.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.dateformat import format as format_date

from joinedup.partnerships.models import Agency, Membership, MembershipRole, Partnership
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

NOT_A_COORDINATOR = "Only a coordinator of this partnership can do that."


def _lock(partnership: Partnership) -> Partnership:
    return Partnership.objects.select_for_update().get(pk=partnership.pk)


def _other_current_coordinators(membership: Membership) -> bool:
    return (
        Membership.objects.current()
        .filter(partnership_id=membership.partnership_id, role=MembershipRole.COORDINATOR)
        .exclude(pk=membership.pk)
        .exists()
    )


def is_last_coordinator(membership: Membership) -> bool:
    """True if this is the partnership's only current coordinator."""
    return (
        membership.role == MembershipRole.COORDINATOR
        and membership.is_current
        and not _other_current_coordinators(membership)
    )


def _has_membership_on(
    partnership: Partnership, practitioner: Practitioner, day: datetime.date
) -> bool:
    """True if the practitioner has a membership of the partnership that has not ended by
    ``day`` (a current one, or one starting later)."""
    return Membership.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=day),
        partnership=partnership,
        practitioner=practitioner,
    ).exists()


def _check_line_manager(
    practitioner: Practitioner, partnership_line_manager: Practitioner | None
) -> None:
    if partnership_line_manager is None:
        return
    if partnership_line_manager.pk == practitioner.pk:
        raise ValidationError(
            {"partnership_line_manager": "A practitioner cannot be their own line manager."}
        )
    if partnership_line_manager.pk == practitioner.line_manager_id:
        raise ValidationError(
            {
                "partnership_line_manager": (
                    f"{partnership_line_manager} is already {practitioner}'s line manager in "
                    "their home agency. Leave this blank unless someone else in the "
                    "partnership line-manages them too."
                )
            }
        )


def add_member(
    *,
    partnership: Partnership,
    practitioner: Practitioner,
    role: str,
    started_on: datetime.date,
    partnership_line_manager: Practitioner | None = None,
    added_by: Practitioner,
) -> Membership:
    """Add a practitioner to a partnership. Refused if they already have a membership of it
    that has not ended by the new start date."""
    with transaction.atomic():
        partnership = _lock(partnership)
        policy.require(policy.can_manage_memberships(added_by, partnership), NOT_A_COORDINATOR)
        if _has_membership_on(partnership, practitioner, started_on):
            raise ValidationError(
                {"practitioner": f"{practitioner} is already a member of {partnership}."}
            )
        _check_line_manager(practitioner, partnership_line_manager)
        try:
            with transaction.atomic():
                return Membership.objects.create(
                    partnership=partnership,
                    practitioner=practitioner,
                    role=role,
                    started_on=started_on,
                    partnership_line_manager=partnership_line_manager,
                )
        except IntegrityError as clash:
            raise ValidationError(
                {"practitioner": f"{practitioner} is already a member of {partnership}."}
            ) from clash


def end_membership(
    *, membership: Membership, ended_on: datetime.date, ended_by: Practitioner
) -> Membership:
    """End a membership on a date (it stops being current that day). A partnership always
    keeps at least one current coordinator."""
    with transaction.atomic():
        _lock(membership.partnership)
        membership = Membership.objects.select_related("partnership", "practitioner").get(
            pk=membership.pk
        )
        policy.require(policy.can_change_membership(ended_by, membership), NOT_A_COORDINATOR)
        if ended_on < membership.started_on:
            raise ValidationError(
                {
                    "ended_on": (
                        "The end date must be on or after the date the membership started, "
                        f"{format_date(membership.started_on, 'j F Y')}."
                    )
                }
            )
        if is_last_coordinator(membership):
            raise ValidationError(
                f"{membership.practitioner} is the only coordinator of "
                f"{membership.partnership}. Make another member a coordinator first."
            )
        membership.ended_on = ended_on
        membership.save(update_fields=["ended_on"])
    return membership


def change_member(
    *,
    membership: Membership,
    role: str,
    partnership_line_manager: Practitioner | None,
    changed_by: Practitioner,
) -> Membership:
    """Change a member's role and their line manager in the partnership. The only current
    coordinator cannot stop being one."""
    with transaction.atomic():
        _lock(membership.partnership)
        membership = Membership.objects.select_related("partnership", "practitioner").get(
            pk=membership.pk
        )
        policy.require(policy.can_change_membership(changed_by, membership), NOT_A_COORDINATOR)
        if role != MembershipRole.COORDINATOR and is_last_coordinator(membership):
            raise ValidationError(
                {
                    "role": (
                        f"{membership.practitioner} is the only coordinator of "
                        f"{membership.partnership}. Make another member a coordinator first."
                    )
                }
            )
        _check_line_manager(membership.practitioner, partnership_line_manager)
        membership.role = role
        membership.partnership_line_manager = partnership_line_manager
        membership.save(update_fields=["role", "partnership_line_manager"])
    return membership


def update_partnership(
    *,
    partnership: Partnership,
    name: str,
    description: str,
    government_model: str,
    activity_model: str,
    base_setting: Agency | None,
    started_on: datetime.date,
    member_agencies: Iterable[Agency],
    updated_by: Practitioner,
) -> Partnership:
    """Change a partnership's details and the set of agencies that belong to it."""
    with transaction.atomic():
        partnership = _lock(partnership)
        policy.require(policy.can_manage_partnership(updated_by, partnership), NOT_A_COORDINATOR)
        if Partnership.objects.filter(name__iexact=name).exclude(pk=partnership.pk).exists():
            raise ValidationError({"name": f"There is already a partnership called {name}."})
        partnership.name = name
        partnership.description = description
        partnership.government_model = government_model
        partnership.activity_model = activity_model
        partnership.base_setting = base_setting
        partnership.started_on = started_on
        partnership.save()
        partnership.member_agencies.set(list(member_agencies))
    return partnership
