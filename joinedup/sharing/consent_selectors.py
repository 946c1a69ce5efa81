"""A child's consent records (issue 6): every consent about the child, grouped by series
with its versions, and the choices for the consent form. Reading them is a read of the
child's record, so it writes an access record in the same transaction. Access through
sharing.policy (can_view_child_consents, can_manage_child_consents)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from joinedup.children.models import Child
from joinedup.partnerships.models import Agency, Membership
from joinedup.referrals.models import Service
from joinedup.sharing import audit, consents, policy
from joinedup.sharing.models import AccessAction, Consent, InformationKind

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.sharing.policy import Decision

WHAT = "Consent records"


@dataclass(frozen=True)
class ConsentVersion:
    consent: Consent
    scope_labels: list[str]
    recipients: list[str]


@dataclass(frozen=True)
class ConsentSeries:
    """One consent and its versions, newest first (``current`` is the latest)."""

    current: Consent
    versions: list[ConsentVersion]
    due_for_review: bool

    @property
    def in_force(self) -> bool:
        return self.current.is_in_force()

    @property
    def latest(self) -> ConsentVersion:
        return self.versions[0]


@dataclass(frozen=True)
class ConsentRecords:
    child: Child
    series: list[ConsentSeries]
    may_manage: bool


def scope_labels(consent: Consent) -> list[str]:
    labels = dict(InformationKind.choices)
    return [str(labels[kind]) for kind in consent.scope if kind in labels]


def recipients(consent: Consent) -> list[str]:
    """To whom, in words (agencies and services from prefetched rows)."""
    names = ["The agencies of the team around the child"] if consent.to_team else []
    names += [agency.name for agency in consent.agencies.all()]
    names += [f"{service.name} ({service.agency.name})" for service in consent.services.all()]
    return names


def group_series(versions: list[Consent]) -> list[ConsentSeries]:
    """Versions (ordered by series, newest version first) grouped into series; the series
    in force first, then by when the latest version was given, newest first."""
    today = timezone.localdate()
    grouped: dict[object, list[Consent]] = {}
    for consent in versions:
        grouped.setdefault(consent.series, []).append(consent)
    series = [
        ConsentSeries(
            current=items[0],
            versions=[ConsentVersion(c, scope_labels(c), recipients(c)) for c in items],
            due_for_review=bool(
                items[0].is_in_force(today) and items[0].review_on and items[0].review_on <= today
            ),
        )
        for items in grouped.values()
    ]
    series.sort(key=lambda s: (not s.in_force, -s.current.given_on.toordinal(), -s.current.pk))
    return series


def _child_for(practitioner: Practitioner, child_id: int) -> tuple[Child, Decision]:
    child = get_object_or_404(Child, pk=child_id)
    decision = policy.can_view_child_consents(practitioner, child)
    if not decision:
        raise PermissionDenied("You have no current involvement with this child.")
    return child, decision


def consent_records(*, practitioner: Practitioner, child_id: int, path: str) -> ConsentRecords:
    """Every consent about the child, with its versions. Refused (PermissionDenied) unless
    policy.can_view_child_consents allows; one access record. A fixed number of queries
    however many consents there are."""
    with transaction.atomic():
        child, decision = _child_for(practitioner, child_id)
        versions = consents.child_consents(
            child, visible=policy.visible_consents_filter(practitioner)
        )
        audit.record_access(
            practitioner=practitioner, children=[child], decision=decision, what=WHAT, path=path
        )
        may_manage = bool(policy.can_manage_child_consents(practitioner, child))
    return ConsentRecords(child=child, series=group_series(versions), may_manage=may_manage)


def child_for_consent_form(
    *, practitioner: Practitioner, child_id: int, path: str, what: str
) -> tuple[Child, Decision]:
    """The child whose consent is being recorded; refused unless the practitioner may
    record consents for them (policy.can_manage_child_consents). One access record."""
    with transaction.atomic():
        child = get_object_or_404(Child, pk=child_id)
        decision = policy.can_manage_child_consents(practitioner, child)
        if not decision:
            raise PermissionDenied(
                "Only someone involved with the child, or on the team around them, may record "
                "their consent."
            )
        audit.record_access(
            practitioner=practitioner, children=[child], decision=decision, what=what, path=path
        )
    return child, decision


def consent_for_form(
    *, practitioner: Practitioner, child_id: int, consent_id: int, path: str, what: str
) -> tuple[Child, Consent, Decision]:
    """A consent about the child, to change or withdraw. 404 when it is not about the child
    or not shown to the practitioner (visible_consents_filter)."""
    child, decision = child_for_consent_form(
        practitioner=practitioner, child_id=child_id, path=path, what=what
    )
    consent = (
        Consent.objects.filter(consents.child_consents_q(child), pk=consent_id)
        .filter(policy.visible_consents_filter(practitioner))
        .select_related("child", "episode")
        .prefetch_related("agencies", "services__agency")
        .first()
    )
    if consent is None:
        raise Http404("No such consent for this child")
    return child, consent, decision


def record_change(
    *, practitioner: Practitioner, child: Child, decision: Decision, what: str, path: str
) -> None:
    """The access record of a change to the child's consent records."""
    audit.record_access(
        practitioner=practitioner,
        children=[child],
        decision=decision,
        action=AccessAction.CHANGED,
        what=what,
        path=path,
    )


def agency_choices(practitioner: Practitioner, consent: Consent | None = None) -> QuerySet[Agency]:
    """The agencies of the partnerships the practitioner is a current member of (and those
    the consent already names, so changing it keeps them)."""
    memberships = Membership.objects.current().filter(practitioner=practitioner)
    named = Q(pk__in=consent.agencies.all()) if consent is not None else Q(pk__in=[])
    return (
        Agency.objects.filter(Q(partnerships__memberships__in=memberships) | named)
        .distinct()
        .order_by("name", "pk")
    )


def service_choices(consent: Consent | None = None) -> QuerySet[Service]:
    """Published services (and those the consent already names)."""
    named = Q(pk__in=consent.services.all()) if consent is not None else Q(pk__in=[])
    return (
        Service.objects.filter(Q(is_published=True) | named)
        .select_related("agency")
        .order_by("name", "pk")
    )
