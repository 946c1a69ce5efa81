"""factory_boy factories for Joined Up's models."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from faker import Faker

from joinedup.accounts.models import Practitioner, ProfessionalBackground
from joinedup.children import identifiers
from joinedup.children.models import Child, Involvement, Sex
from joinedup.partnerships.models import (
    ActivityModel,
    Agency,
    AgencyKind,
    GovernmentModel,
    Membership,
    MembershipRole,
    Partnership,
    Sector,
)

TEST_PASSWORD = "amber-kettle-orchard-41"

_faker = Faker("en_GB")


def plain_name(kind: str) -> factory.LazyFunction:
    """A random British name without apostrophes. Pages escape an apostrophe (O'Brien
    becomes O&#x27;Brien), so tests that look for a name in a page would fail at random;
    Django's escaping is tested by Django."""
    return factory.LazyFunction(lambda: getattr(_faker, kind)().replace("'", ""))


def valid_nhs_number(n: int) -> str:
    """The n-th valid NHS number in the 999 test range (never a real person). Each n has a
    block of ten candidates of its own, so no two n give the same number (about one number
    in eleven has no valid check digit)."""
    base = 999_000_000 + n * 10
    while True:
        first_nine = f"{base:09d}"
        check = identifiers.nhs_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"
        base += 1


def valid_upn(n: int) -> str:
    tail = f"{999}{2000 + n % 1000:04d}{n % 100:02d}{n % 1000:03d}"
    return identifiers.upn_check_letter(tail) + tail


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Agency {n}")
    sector = Sector.EDUCATION
    kind = AgencyKind.SCHOOL
    town = "Exampleton"
    postcode = "EX1 2AB"
    phone = "01632 960000"
    email = factory.Sequence(lambda n: f"office{n}@agency.example")


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"practitioner{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = plain_name("first_name")
    last_name = plain_name("last_name")
    home_agency = factory.SubFactory(AgencyFactory)
    job_title = "School nurse"
    professional_background = ProfessionalBackground.NURSING
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdministratorFactory(PractitionerFactory):
    is_staff = True
    is_superuser = True
    job_title = "Systems administrator"
    professional_background = ProfessionalBackground.ADMINISTRATION
    home_agency = None


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    name = factory.Sequence(lambda n: f"Partnership {n}")
    government_model = GovernmentModel.PANEL
    activity_model = ActivityModel.DECISION_MAKING_GROUP
    started_on = datetime.date(2024, 9, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    partnership = factory.SubFactory(PartnershipFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    role = MembershipRole.MEMBER
    started_on = datetime.date(2024, 9, 1)


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    given_name = plain_name("first_name")
    family_name = plain_name("last_name")
    date_of_birth = datetime.date(2015, 3, 14)
    sex = Sex.FEMALE
    address_line_1 = factory.Sequence(lambda n: f"{n + 1} Mill Lane")
    town = "Exampleton"
    postcode = "EX1 2AB"
    nhs_number = factory.Sequence(valid_nhs_number)
    upn = factory.Sequence(valid_upn)


class InvolvementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Involvement

    child = factory.SubFactory(ChildFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    agency = factory.LazyAttribute(
        lambda o: o.practitioner.home_agency if o.practitioner else AgencyFactory()
    )
    role = "School nurse"
    started_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
