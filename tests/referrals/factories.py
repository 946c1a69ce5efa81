"""Factories for directory entries. Needs come from the migration's vocabulary."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from joinedup.children.models import Involvement
from joinedup.partnerships.models import Sector
from joinedup.referrals.lifecycle import ReferralDetails
from joinedup.referrals.models import (
    Need,
    Referral,
    Service,
    ServiceArea,
    ServiceLevelOfNeed,
    ServiceOffer,
    ServiceOpeningTime,
)
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    InvolvementFactory,
    PractitionerFactory,
)


def need(code: str) -> Need:
    return Need.objects.get(code=code)


class ServiceFactory(factory.django.DjangoModelFactory):
    """A published, free service for ages 0 to 18 in district EX1, open Monday to Friday
    9am to 5pm. Pass needs=["behaviour"], offers=[...], levels=[...], districts=[...],
    opening=[(weekday, "09:00", "17:00"), ...] to change them."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    agency = factory.SubFactory(AgencyFactory)
    sector = Sector.HEALTH
    name = factory.Sequence(lambda n: f"Family service {n}")
    slug = factory.Sequence(lambda n: f"family-service-{n}")
    description = "Support for children and families."
    age_from = 0
    age_to = 18
    contact_name = "Jo Contact"
    contact_role = "Service manager"
    contact_email = factory.Sequence(lambda n: f"contact{n}@service.example")
    last_checked_on = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def needs(self, create, extracted, **kwargs):
        if create and extracted:
            self.needs.set([need(code) for code in extracted])

    @factory.post_generation
    def offers(self, create, extracted, **kwargs):
        if create and extracted:
            ServiceOffer.objects.bulk_create(ServiceOffer(service=self, offer=o) for o in extracted)

    @factory.post_generation
    def levels(self, create, extracted, **kwargs):
        if create and extracted:
            ServiceLevelOfNeed.objects.bulk_create(
                ServiceLevelOfNeed(service=self, level=level) for level in extracted
            )

    @factory.post_generation
    def districts(self, create, extracted, **kwargs):
        if create:
            ServiceArea.objects.bulk_create(
                ServiceArea(service=self, district=d)
                for d in (extracted if extracted is not None else ["EX1"])
            )

    @factory.post_generation
    def opening(self, create, extracted, **kwargs):
        if not create:
            return
        slots = (
            extracted if extracted is not None else [(day, "09:00", "17:00") for day in range(5)]
        )
        ServiceOpeningTime.objects.bulk_create(
            ServiceOpeningTime(
                service=self,
                weekday=day,
                opens=datetime.time.fromisoformat(opens),
                closes=datetime.time.fromisoformat(closes),
            )
            for day, opens, closes in slots
        )

    @factory.post_generation
    def maintainers(self, create, extracted, **kwargs):
        if create and extracted:
            self.maintainers.set(extracted)


# Referrals --------------------------------------------------------------------------------


def referral_details(**overrides) -> ReferralDetails:
    """Details a referrer fills in: consent from a parent, routine, contact details shared."""
    values = {
        "reason": "Speech is hard to understand; the family would like help.",
        "urgency": "routine",
        "shared_sections": ("contact",),
        "sharing_basis": "consent",
        "consent_given_by": "parent_carer",
        "consent_given_by_name": "Sam Parent",
        "consent_given_on": timezone.localdate(),
    }
    values.update(overrides)
    return ReferralDetails(**values)


def make_referral(
    *,
    referrer=None,
    child=None,
    service=None,
    status: str = "draft",
    staff=None,
    **details,
) -> Referral:
    """A referral made through the lifecycle (so events, dates and access records are real)
    and moved on to ``status``. The referrer is involved with the child; the service (in
    Joined Up unless given) has ``staff`` (a practitioner made if not given) as maintainer.
    Declined referrals give reason "criteria_not_met"; completed ones outcome "needs_met"."""
    from joinedup.referrals import lifecycle
    from joinedup.sharing import policy

    # Sharing without consent (issue 6): on a lawful reason the referrer says why consent
    # was not sought when sending; test referrals say "not sought: harmful delay".
    consent_position = details.pop("consent_position", "not_sought_delay")
    child = child or ChildFactory()
    referrer = referrer or PractitionerFactory()
    if not Involvement.objects.filter(child=child, practitioner=referrer).exists():
        InvolvementFactory(child=child, practitioner=referrer, agency=referrer.home_agency)
    if service is None:
        service = ServiceFactory(accepts_referrals_in_app=True)
        service.maintainers.add(staff or PractitionerFactory())
    elif staff is not None:
        service.maintainers.add(staff)
    referral = lifecycle.create_draft(
        referrer=referrer, child=child, service=service, details=referral_details(**details)
    )
    if status == "draft":
        return referral
    if status == "withdrawn":
        return lifecycle.withdraw(referral, by=referrer, reason="No longer needed")
    decision = policy.can_send_referral(referrer, referral)
    referral = lifecycle.send_referral(
        referral, by=referrer, decision=decision, consent_position=consent_position
    )
    answerer = referrer if referral.handled_outside else service.maintainers.first()
    by_hand = lifecycle.ByHand("Phone call with the service") if referral.handled_outside else None
    steps = ["sent", "acknowledged", "accepted", "started", "completed"]
    if status == "declined":
        referral = lifecycle.acknowledge(referral, by=answerer, by_hand=by_hand)
        return lifecycle.decline(referral, by=answerer, reason="criteria_not_met", by_hand=by_hand)
    for step in steps[1 : steps.index(status) + 1]:
        if step == "acknowledged":
            referral = lifecycle.acknowledge(referral, by=answerer, by_hand=by_hand)
        elif step == "accepted":
            referral = lifecycle.accept(referral, by=answerer, by_hand=by_hand)
        elif step == "started":
            referral = lifecycle.start(referral, by=answerer, by_hand=by_hand)
        elif step == "completed":
            referral = lifecycle.complete(
                referral, by=answerer, outcome="needs_met", by_hand=by_hand
            )
    return referral
