"""Factories for directory entries. Needs come from the migration's vocabulary."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from joinedup.partnerships.models import Sector
from joinedup.referrals.models import (
    Need,
    Service,
    ServiceArea,
    ServiceLevelOfNeed,
    ServiceOffer,
    ServiceOpeningTime,
)
from tests.factories import AgencyFactory


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
