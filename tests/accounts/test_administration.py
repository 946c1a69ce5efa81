"""Account administration: for system administrators only, and never showing child data."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from joinedup.accounts.models import Practitioner, ProfessionalBackground
from tests.factories import AgencyFactory, InvolvementFactory, PractitionerFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

GET_PAGES = [
    "accounts:manage-list",
    "accounts:manage-create",
    "accounts:manage-detail",
    "accounts:manage-edit",
]
POST_ACTIONS = [
    "accounts:manage-deactivate",
    "accounts:manage-reactivate",
    "accounts:manage-reset-two-factor",
    "accounts:manage-unlock",
    "accounts:manage-send-set-password-link",
]


def _url(name: str, target: Practitioner) -> str:
    if name in {"accounts:manage-list", "accounts:manage-create"}:
        return reverse(name)
    return reverse(name, kwargs={"practitioner_id": target.pk})


@pytest.mark.parametrize("name", GET_PAGES)
def test_administrators_reach_the_account_pages(admin_client, practitioner, name):
    assert admin_client.get(_url(name, practitioner)).status_code == 200


@pytest.mark.parametrize("name", GET_PAGES + POST_ACTIONS)
@pytest.mark.parametrize("role", ["practitioner", "coordinator"])
def test_everyone_else_is_refused(client, request, practitioner, name, role):
    person = request.getfixturevalue(role)
    sign_in_verified(client, person)
    url = _url(name, practitioner)
    response = client.post(url) if name in POST_ACTIONS else client.get(url)
    assert response.status_code == 403
    practitioner.refresh_from_db()
    assert practitioner.is_active


@pytest.mark.parametrize("name", GET_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, practitioner, name):
    response = client.get(_url(name, practitioner))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


@pytest.mark.parametrize("name", POST_ACTIONS)
def test_actions_are_post_only(admin_client, practitioner, name):
    assert admin_client.get(_url(name, practitioner)).status_code == 405


def test_unknown_accounts_are_not_found(admin_client):
    assert (
        admin_client.get(
            reverse("accounts:manage-detail", kwargs={"practitioner_id": 999999})
        ).status_code
        == 404
    )
    assert (
        admin_client.post(
            reverse("accounts:manage-deactivate", kwargs={"practitioner_id": 999999})
        ).status_code
        == 404
    )


def test_an_unverified_administrator_cannot_manage_accounts(client, administrator):
    client.force_login(administrator)
    response = client.get(reverse("accounts:manage-list"))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("accounts:set-up-two-factor")


def test_the_list_searches_and_pages(admin_client, settings):
    settings.PAGE_SIZE = 2
    school = AgencyFactory(name="Harbour Primary School")
    for n in range(3):
        PractitionerFactory(username=f"teacher{n}", last_name=f"Teacher{n}", home_agency=school)
    PractitionerFactory(username="nurse-z", last_name="Zed")

    response = admin_client.get(reverse("accounts:manage-list"), {"q": "harbour"})
    page = response.context["page"]
    assert page.paginator.count == 3
    assert len(page.object_list) == 2
    content = response.content.decode()
    assert "?q=harbour&amp;page=2" in content
    assert 'class="govuk-table"' in content

    second = admin_client.get(reverse("accounts:manage-list"), {"q": "harbour", "page": 2})
    assert [p.username for p in second.context["page"].object_list] == ["teacher2"]

    assert (
        admin_client.get(reverse("accounts:manage-list"), {"q": "zed"})
        .context["page"]
        .paginator.count
        == 1
    )
    assert (
        "No accounts match"
        in admin_client.get(reverse("accounts:manage-list"), {"q": "nobody"}).content.decode()
    )


def test_creating_an_account(admin_client):
    school = AgencyFactory(name="Harbour Primary School")
    manager = PractitionerFactory(username="head", home_agency=school)
    page = admin_client.get(reverse("accounts:manage-create")).content.decode()
    for label in (
        "First name",
        "Last name",
        "Username",
        "Email address",
        "Home agency",
        "Line manager",
    ):
        assert label in page

    response = admin_client.post(
        reverse("accounts:manage-create"),
        {
            "first_name": "Sam",
            "last_name": "Patel",
            "username": "spatel",
            "email": "Sam.Patel@EXAMPLE.org",
            "home_agency": school.pk,
            "job_title": "Learning mentor",
            "professional_background": ProfessionalBackground.TEACHING,
            "phone": "01632 960123",
            "line_manager": manager.pk,
        },
    )
    assert response.status_code == 200
    assert "Account created" in response.content.decode()
    assert response.headers["Cache-Control"] == "no-store"
    new = Practitioner.objects.get(username="spatel")
    assert new.email == "Sam.Patel@example.org"
    assert new.home_agency == school
    assert new.line_manager == manager
    assert new.is_active and not new.is_superuser and not new.is_staff
    assert not new.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Sam.Patel@example.org"]
    assert "Your username is: spatel" in mail.outbox[0].body


def test_creating_an_account_needs_names_username_and_email(admin_client):
    response = admin_client.post(reverse("accounts:manage-create"), {})
    assert response.status_code == 200
    content = response.content.decode()
    for message in (
        "Enter their first name",
        "Enter their last name",
        "Enter a username",
        "Enter their email address",
    ):
        assert message in content
    assert "govuk-error-summary" in content
    assert not mail.outbox


def test_usernames_and_emails_must_be_unique_ignoring_case(admin_client, practitioner):
    response = admin_client.post(
        reverse("accounts:manage-create"),
        {
            "first_name": "A",
            "last_name": "B",
            "username": "NURSE",
            "email": practitioner.email.upper(),
        },
    )
    content = response.content.decode()
    assert "There is already an account with this username" in content
    assert "There is already an account with this email address" in content


def test_editing_an_account(admin_client, practitioner):
    url = reverse("accounts:manage-edit", kwargs={"practitioner_id": practitioner.pk})
    form = admin_client.get(url).context["form"]
    data = {
        key: value
        for key, value in form.initial.items()
        if key in form.fields and value is not None
    }
    data.update({"job_title": "Lead school nurse", "line_manager": ""})
    response = admin_client.post(url, data)
    assert response.status_code == 302
    practitioner.refresh_from_db()
    assert practitioner.job_title == "Lead school nurse"


def test_nobody_can_be_their_own_line_manager(admin_client, practitioner):
    url = reverse("accounts:manage-edit", kwargs={"practitioner_id": practitioner.pk})
    form = admin_client.get(url).context["form"]
    assert practitioner not in form.fields["line_manager"].queryset


def test_deactivating_and_reactivating(admin_client, practitioner, sign_in):
    session = Client()
    sign_in_verified(session, practitioner)
    assert session.get(reverse("home")).status_code == 200

    response = admin_client.post(
        reverse("accounts:manage-deactivate", kwargs={"practitioner_id": practitioner.pk})
    )
    assert response.status_code == 302
    practitioner.refresh_from_db()
    assert not practitioner.is_active
    # Their open session ends, and they cannot sign in.
    assert session.get(reverse("home")).status_code == 302
    assert sign_in("nurse").status_code == 200

    admin_client.post(
        reverse("accounts:manage-reactivate", kwargs={"practitioner_id": practitioner.pk})
    )
    practitioner.refresh_from_db()
    assert practitioner.is_active
    assert sign_in("nurse").status_code == 302


def test_an_administrator_cannot_deactivate_themselves(admin_client, administrator):
    detail = admin_client.get(
        reverse("accounts:manage-detail", kwargs={"practitioner_id": administrator.pk})
    )
    assert "Deactivate account" not in detail.content.decode()
    response = admin_client.post(
        reverse("accounts:manage-deactivate", kwargs={"practitioner_id": administrator.pk}),
        follow=True,
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account" in response.content.decode()
    administrator.refresh_from_db()
    assert administrator.is_active


def test_sending_a_new_set_password_link(admin_client, practitioner):
    response = admin_client.post(
        reverse(
            "accounts:manage-send-set-password-link", kwargs={"practitioner_id": practitioner.pk}
        )
    )
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert "/accounts/set-password/" in mail.outbox[0].body


def test_no_link_is_sent_for_a_deactivated_account(admin_client, practitioner):
    practitioner.is_active = False
    practitioner.save()
    response = admin_client.post(
        reverse(
            "accounts:manage-send-set-password-link", kwargs={"practitioner_id": practitioner.pk}
        ),
        follow=True,
    )
    assert "Reactivate this account" in response.content.decode()
    assert not mail.outbox


def test_administrators_see_accounts_but_no_child_data(admin_client, practitioner):
    # A surname no page would show by chance, so its absence means something.
    involvement = InvolvementFactory(
        practitioner=practitioner, child__family_name="Quarrington-Zebedee"
    )
    child = involvement.child
    for url in (
        reverse("accounts:manage-list"),
        reverse("accounts:manage-detail", kwargs={"practitioner_id": practitioner.pk}),
        reverse("home"),
    ):
        content = admin_client.get(url).content.decode()
        assert child.family_name not in content
        assert "/children/" not in content.replace('href="/children/"', "")
    assert (
        admin_client.get(reverse("children:detail", kwargs={"child_id": child.pk})).status_code
        == 403
    )


def test_the_django_admin_shows_practitioners_extra_fields(admin_client, practitioner):
    assert admin_client.get(reverse("admin:accounts_practitioner_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:accounts_practitioner_change", args=[practitioner.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    for field in ("home_agency", "job_title", "professional_background", "line_manager"):
        assert f'name="{field}"' in content
