"""Consent records (issue 6): recording, changing (a new version), withdrawing, and the
reads that ask whether consent is in force. Access follows from them in sharing.policy;
this module never decides access itself.

A consent is for purposes (assessment, sharing, a referral, de-identified reporting),
covers kinds of information (its scope), and goes to the agencies of the team around the
child and/or named agencies and services. Withdrawal and expiry take effect on their date:
every policy check reads ``current_consent_q``, so the next request after a withdrawal is
already refused. Whoever loses access is told (accounts.notifications)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from joinedup.sharing.models import Consent, ConsentGiver, InformationKind, current_consent_q

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.casework.models import Episode
    from joinedup.children.models import Child
    from joinedup.partnerships.models import Agency
    from joinedup.referrals.models import Service


# What an episode's "assessment and sharing with the team" consent covers.
TEAM_SHARING_SCOPE = [
    InformationKind.IDENTITY,
    InformationKind.INVOLVEMENTS,
    InformationKind.ASSESSMENT,
    InformationKind.PLAN,
    InformationKind.OUTCOME_RATINGS,
    InformationKind.SETTING,
]


@dataclasses.dataclass
class ConsentTerms:
    """What a consent says, apart from who recorded it: the fields a new version may change."""

    given_by_kind: str
    given_by_name: str
    given_on: date
    giver_reason: str = ""
    for_assessment: bool = False
    for_sharing: bool = False
    for_referral: bool = False
    for_reporting: bool = False
    scope: Sequence[str] = ()
    to_team: bool = False
    agencies: Sequence[Agency] = ()
    services: Sequence[Service] = ()
    review_on: date | None = None
    expires_on: date | None = None


def _validate(terms: ConsentTerms) -> None:
    problems: dict[str, str] = {}
    if terms.given_by_kind not in ConsentGiver.values:
        problems["given_by_kind"] = "Say who gave consent"
    if not terms.given_by_name.strip():
        problems["given_by_name"] = "Enter the name of who gave consent"
    if terms.given_by_kind == ConsentGiver.YOUNG_PERSON and not terms.giver_reason.strip():
        problems["giver_reason"] = "Say why the young person is competent to decide"
    if terms.given_on > timezone.localdate():
        problems["given_on"] = "The date consent was given must be today or earlier"
    if not (terms.for_assessment or terms.for_sharing or terms.for_referral or terms.for_reporting):
        problems["purposes"] = "Choose at least one purpose the consent is for"
    unknown = set(terms.scope) - set(InformationKind.values)
    if unknown or not terms.scope:
        problems["scope"] = "Choose the kinds of information the consent covers"
    if (terms.for_sharing or terms.for_referral) and not (
        terms.to_team or terms.agencies or terms.services
    ):
        problems["recipients"] = "Say who the information may be shared with"
    if terms.expires_on is not None and terms.expires_on <= terms.given_on:
        problems["expires_on"] = "The expiry date must be after the date consent was given"
    if terms.review_on is not None and terms.review_on < terms.given_on:
        problems["review_on"] = "The review date must be on or after the date consent was given"
    if problems:
        raise ValidationError(problems)


def check_terms(terms: ConsentTerms) -> None:
    """Raise ValidationError (by field) if the terms cannot be recorded: for forms that
    show every problem at once before calling record_consent or change_consent."""
    _validate(terms)


def _write(
    terms: ConsentTerms,
    *,
    recorded_by: Practitioner,
    child: Child,
    episode: Episode | None,
    series: object | None = None,
    version: int = 1,
    change_note: str = "",
) -> Consent:
    consent = Consent(
        child=child,
        episode=episode,
        given_by_kind=terms.given_by_kind,
        given_by_name=terms.given_by_name.strip(),
        giver_reason=terms.giver_reason.strip(),
        for_assessment=terms.for_assessment,
        for_sharing=terms.for_sharing,
        for_referral=terms.for_referral,
        for_reporting=terms.for_reporting,
        scope=[kind for kind in InformationKind.values if kind in set(terms.scope)],
        to_team=terms.to_team,
        given_on=terms.given_on,
        review_on=terms.review_on,
        expires_on=terms.expires_on,
        recorded_by=recorded_by,
        version=version,
        change_note=change_note.strip(),
    )
    if series is not None:
        consent.series = series  # type: ignore[assignment]
    consent.save()
    consent.agencies.set(terms.agencies)
    consent.services.set(terms.services)
    return consent


@transaction.atomic
def record_consent(
    terms: ConsentTerms,
    *,
    recorded_by: Practitioner,
    child: Child,
    episode: Episode | None = None,
) -> Consent:
    _validate(terms)
    return _write(terms, recorded_by=recorded_by, child=child, episode=episode)


def terms_of(consent: Consent) -> ConsentTerms:
    return ConsentTerms(
        given_by_kind=consent.given_by_kind,
        given_by_name=consent.given_by_name,
        given_on=consent.given_on,
        giver_reason=consent.giver_reason,
        for_assessment=consent.for_assessment,
        for_sharing=consent.for_sharing,
        for_referral=consent.for_referral,
        for_reporting=consent.for_reporting,
        scope=list(consent.scope),
        to_team=consent.to_team,
        agencies=list(consent.agencies.all()),
        services=list(consent.services.all()),
        review_on=consent.review_on,
        expires_on=consent.expires_on,
    )


@transaction.atomic
def change_consent(
    *, consent: Consent, terms: ConsentTerms, changed_by: Practitioner, change_note: str
) -> Consent:
    """Write a new version with the new terms; the old version stops counting now. Anyone
    on the team who loses access by the change is told."""
    current = Consent.objects.select_for_update().get(pk=consent.pk)
    if current.superseded_at is not None:
        raise ValidationError("This consent has been changed since: change the latest version")
    if current.withdrawn_on is not None and current.withdrawn_on <= timezone.localdate():
        raise ValidationError("This consent has been withdrawn: record a new consent instead")
    if not change_note.strip():
        raise ValidationError({"change_note": "Say why the consent changed"})
    _validate(terms)
    before = _team_with_access(current)
    current.superseded_at = timezone.now()
    current.save(update_fields=["superseded_at"])
    new = _write(
        terms,
        recorded_by=changed_by,
        child=current.child,
        episode=current.episode,
        series=current.series,
        version=current.version + 1,
        change_note=change_note,
    )
    _tell_who_lost_access(
        before,
        current,
        changed_by,
        f"The family's consent was changed on {timezone.localdate():%-d %B %Y}: "
        f"{change_note.strip()}",
    )
    return new


@transaction.atomic
def withdraw_consent(*, consent: Consent, withdrawn_by: Practitioner, reason: str) -> Consent:
    """Withdrawal takes effect today: the consent no longer counts for anything, and the
    team members and services who saw the child's information through it are told."""
    current = Consent.objects.select_for_update().get(pk=consent.pk)
    if current.withdrawn_on is not None:
        raise ValidationError("This consent has already been withdrawn")
    if current.superseded_at is not None:
        raise ValidationError("This consent has been changed since: withdraw the latest version")
    if not reason.strip():
        raise ValidationError({"reason": "Say why consent was withdrawn"})
    before = _team_with_access(current)
    current.withdrawn_on = timezone.localdate()
    current.withdrawn_reason = reason.strip()
    current.withdrawal_recorded_by = withdrawn_by
    current.save(update_fields=["withdrawn_on", "withdrawn_reason", "withdrawal_recorded_by"])
    _tell_who_lost_access(
        before,
        current,
        withdrawn_by,
        f"{current.given_by_name} withdrew consent on {current.withdrawn_on:%-d %B %Y}.",
    )
    return current


def _team_with_access(consent: Consent) -> set[int]:
    """Practitioners on the consent's episode team who may see it now."""
    episode = consent.episode
    if episode is None:
        return set()
    from joinedup.casework.models import TeamMember
    from joinedup.sharing import policy

    members = (
        TeamMember.objects.current()
        .filter(episode=episode, practitioner__isnull=False)
        .select_related("practitioner")
    )
    return {
        member.practitioner.pk
        for member in members
        if member.practitioner is not None and policy.can_view_episode(member.practitioner, episode)
    }


def team_members_without_access(consent: Consent) -> list[Practitioner]:
    """Current practitioner members of the consent's episode team who may not see the
    episode now (for telling them when the consent expires: sharing.consent_reviews)."""
    episode = consent.episode
    if episode is None:
        return []
    from joinedup.accounts.models import Practitioner
    from joinedup.casework.models import TeamMember

    on_team = set(
        TeamMember.objects.current()
        .filter(episode=episode, practitioner__isnull=False)
        .values_list("practitioner_id", flat=True)
    )
    still_see = _team_with_access(consent)
    return list(Practitioner.objects.filter(pk__in=on_team - still_see, is_active=True))


def _tell_who_lost_access(
    before: set[int], consent: Consent, changed_by: Practitioner, what_changed: str
) -> None:
    """Tell each team member who could see the episode before the change and cannot now."""
    episode = consent.episode
    if episode is None:
        return
    from joinedup.accounts.models import Practitioner
    from joinedup.accounts.notifications import notify

    after = _team_with_access(consent)
    notify(
        Practitioner.objects.filter(pk__in=before - after).exclude(pk=changed_by.pk),
        kind="consent_changed",
        subject=(
            f"You can no longer see the early help episode opened on {episode.opened_on:%-d %B %Y}"
        ),
        body=(
            f"{what_changed} Consent to sharing with you is no longer in force, so you "
            "cannot see the episode, its assessment or its plan. The lead professional can "
            "tell you more."
        ),
    )


# Reads ----------------------------------------------------------------------------------


def episode_consents(episode: Episode) -> list[Consent]:
    """The episode's consents, every version, newest first."""
    return list(
        Consent.objects.filter(episode=episode)
        .select_related("recorded_by", "withdrawal_recorded_by")
        .prefetch_related("agencies", "services")
        .order_by("-recorded_at", "-pk")
    )


def sharing_consent(episode: Episode, on: date | None = None) -> Consent | None:
    """The consent to sharing with the team in force for the episode (latest given)."""
    return (
        Consent.objects.filter(current_consent_q(on), episode=episode, for_sharing=True)
        .filter(Q(to_team=True) | Q(agencies__isnull=False))
        .order_by("-given_on", "-pk")
        .first()
    )


def has_sharing_consent(episode: Episode, on: date | None = None) -> bool:
    return sharing_consent(episode, on) is not None


def has_assessment_consent(episode: Episode, on: date | None = None) -> bool:
    return Consent.objects.filter(
        current_consent_q(on), episode=episode, for_assessment=True
    ).exists()


def child_consents_q(child: Child) -> Q:
    """Consents about the child: recorded for them, or given within an episode they are in
    (an episode's consent is recorded once, against its first child)."""
    from joinedup.casework.models import EpisodeChild

    in_episode = EpisodeChild.objects.filter(child=child).values("episode_id")
    return Q(child=child) | Q(episode_id__in=in_episode)


def child_consents(child: Child, *, visible: Q | None = None) -> list[Consent]:
    """Every version of every consent about the child, grouped by series (newest version
    first). ``visible`` narrows them (sharing.policy.visible_consents_filter)."""
    consents = Consent.objects.filter(child_consents_q(child))
    if visible is not None:
        consents = consents.filter(visible)
    return list(
        consents.select_related(
            "episode", "recorded_by", "withdrawal_recorded_by", "recorded_by__home_agency"
        )
        .prefetch_related("agencies", "services__agency")
        .order_by("series", "-version")
    )


def child_consent(child: Child, consent_id: int) -> Consent | None:
    """One consent about the child (any version), or None if it is not about them."""
    return (
        Consent.objects.filter(child_consents_q(child), pk=consent_id)
        .select_related("child", "episode")
        .first()
    )


def consent_versions(consent: Consent) -> list[Consent]:
    return list(
        Consent.objects.filter(series=consent.series)
        .select_related("recorded_by")
        .prefetch_related("agencies", "services")
        .order_by("-version")
    )


def due_for_review(consents: Iterable[Consent], on: date | None = None) -> list[Consent]:
    day = on or timezone.localdate()
    return [c for c in consents if c.is_in_force(day) and c.review_on and c.review_on <= day]
