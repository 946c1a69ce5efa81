"""Partnership pages as a coordinator, a member and someone outside the partnership."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.partnerships.models import (
    ActivityModel,
    GovernmentModel,
    Membership,
    MembershipRole,
    Sector,
)
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)

pytestmark = pytest.mark.django_db


def detail_url(team):
    return reverse("partnerships:detail", kwargs={"partnership_id": team.partnership.pk})


def member_url(name, team, membership):
    return reverse(
        name, kwargs={"partnership_id": team.partnership.pk, "membership_id": membership.pk}
    )


def management_urls(team):
    return [
        reverse("partnerships:edit", kwargs={"partnership_id": team.partnership.pk}),
        reverse("partnerships:add-member", kwargs={"partnership_id": team.partnership.pk}),
        member_url("partnerships:change-member", team, team.member_membership),
        member_url("partnerships:end-membership", team, team.member_membership),
    ]


# Partnership list -------------------------------------------------------------------------


def test_list_shows_models_base_agency_count_and_my_role(team, sign_in):
    other = PartnershipFactory(
        name="Riverside Children's Centre", government_model=GovernmentModel.INTEGRATED_SERVICE
    )
    other.member_agencies.add(AgencyFactory(), AgencyFactory())
    MembershipFactory(partnership=other, practitioner=team.member)
    client = sign_in(team.coordinator)
    html = client.get(reverse("partnerships:list")).content.decode()
    assert "Brook Lane Team Around the Child" in html
    assert "Multi-agency panel" in html
    assert "Integrated service" in html
    assert "Decision-making group" in html
    assert "Brook Lane Primary School" in html
    assert "You coordinate this" in html
    assert "You are a member" not in html


def test_list_marks_membership(team, sign_in):
    html = sign_in(team.member).get(reverse("partnerships:list")).content.decode()
    assert "You are a member" in html
    assert "You coordinate this" not in html


def test_list_filters_by_government_model(team, sign_in):
    PartnershipFactory(name="Riverside Centre", government_model=GovernmentModel.INTEGRATED_SERVICE)
    client = sign_in(team.outsider)
    url = reverse("partnerships:list")
    html = client.get(
        url, {"government_model": GovernmentModel.INTEGRATED_SERVICE}
    ).content.decode()
    assert "Riverside Centre" in html
    assert "Brook Lane Team Around the Child" not in html
    assert "1 partnership found" in html
    assert "Show all partnerships" in html


def test_list_ignores_an_unknown_filter(team, sign_in):
    html = sign_in(team.outsider).get(
        reverse("partnerships:list"), {"government_model": "nonsense"}
    )
    assert "Brook Lane Team Around the Child" in html.content.decode()


def test_list_filter_with_htmx_returns_only_the_results(team, sign_in):
    response = sign_in(team.outsider).get(
        reverse("partnerships:list"),
        {"government_model": GovernmentModel.PANEL},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="partnership-results"')
    assert "<h1" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_anonymous_visitors_are_sent_to_sign_in(team, client):
    response = client.get(reverse("partnerships:list"))
    assert response.status_code == 302
    assert "/sign-in/" in response.headers["Location"]


# Partnership detail -----------------------------------------------------------------------


def test_detail_explains_both_models_and_shows_the_summary(team, sign_in):
    html = sign_in(team.outsider).get(detail_url(team)).content.decode()
    assert html.count("<h1") == 1
    assert "Multi-agency panel" in html
    assert "meet regularly to talk through" in html  # the plain-English explanation
    assert "Decision-making group" in html
    assert "each agency keeps its own distinct role" in html
    assert "1 September 2024" in html
    assert "Cara Cole" in html  # coordinator in the summary list
    assert "Brook Lane Primary School" in html


def test_detail_lists_current_members_with_line_management(team, sign_in):
    home_manager = PractitionerFactory(first_name="Hana", last_name="Hill")
    supervisor = PractitionerFactory(first_name="Sam", last_name="Shaw")
    team_leader = PractitionerFactory(first_name="Tess", last_name="Tate")
    seconded = PractitionerFactory(
        first_name="Dev",
        last_name="Dale",
        job_title="Educational psychologist",
        line_manager=home_manager,
        professional_supervisor=supervisor,
    )
    MembershipFactory(
        partnership=team.partnership, practitioner=seconded, partnership_line_manager=team_leader
    )
    MembershipFactory(
        partnership=team.partnership,
        practitioner=PractitionerFactory(first_name="Ed", last_name="Ended"),
        ended_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    html = sign_in(team.member).get(detail_url(team)).content.decode()
    assert "Dev Dale" in html
    assert "Educational psychologist" in html
    assert "Hana Hill" in html
    assert "Tess Tate" in html
    assert "Dual line management" in html
    assert "Sam Shaw" in html
    assert "Ed Ended" not in html


def test_members_do_not_see_coordinator_actions(team, sign_in):
    html = sign_in(team.member).get(detail_url(team)).content.decode()
    assert "Add a member" not in html
    assert reverse("partnerships:edit", kwargs={"partnership_id": team.partnership.pk}) not in html
    assert "End<span" not in html


def test_coordinators_see_actions(team, sign_in):
    html = sign_in(team.coordinator).get(detail_url(team)).content.decode()
    assert "Add a member" in html
    assert 'hx-post="' in html
    for url in management_urls(team):
        assert url in html


def test_members_joining_later_are_listed_separately(team, sign_in):
    MembershipFactory(
        partnership=team.partnership,
        practitioner=PractitionerFactory(first_name="Lou", last_name="Later"),
        started_on=timezone.localdate() + datetime.timedelta(days=7),
    )
    html = sign_in(team.member).get(detail_url(team)).content.decode()
    assert "Joining on a later date" in html
    assert "Lou Later" in html


def test_unknown_partnership_is_not_found(team, sign_in):
    response = sign_in(team.member).get(
        reverse("partnerships:detail", kwargs={"partnership_id": 999999})
    )
    assert response.status_code == 404


# Who may manage ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_management_pages_are_refused_to_non_coordinators(team, sign_in, who):
    client = sign_in(getattr(team, who))
    for url in management_urls(team):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"ended_on": timezone.localdate().isoformat()}).status_code == 403
    team.member_membership.refresh_from_db()
    assert team.member_membership.ended_on is None


def test_coordinator_of_another_partnership_is_refused(team, sign_in):
    elsewhere = MembershipFactory(role=MembershipRole.COORDINATOR).practitioner
    client = sign_in(elsewhere)
    for url in management_urls(team):
        assert client.get(url).status_code == 403, url


def test_management_pages_open_for_the_coordinator(team, sign_in):
    client = sign_in(team.coordinator)
    for url in management_urls(team):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content.decode().count("<h1") == 1


def test_a_membership_of_another_partnership_is_not_found(team, sign_in):
    stranger = MembershipFactory()
    client = sign_in(team.coordinator)
    for name in ("partnerships:change-member", "partnerships:end-membership"):
        assert client.get(member_url(name, team, stranger)).status_code == 404


def test_unverified_coordinator_is_sent_to_two_factor_set_up(team, client):
    client.force_login(team.coordinator)
    response = client.get(detail_url(team))
    assert response.status_code == 302
    assert "two-factor" in response.headers["Location"]


# Adding members ---------------------------------------------------------------------------


def add_url(team):
    return reverse("partnerships:add-member", kwargs={"partnership_id": team.partnership.pk})


def test_adding_a_member_without_javascript(team, sign_in):
    newcomer = PractitionerFactory(first_name="Nia", last_name="New")
    client = sign_in(team.coordinator)
    response = client.post(
        add_url(team),
        {
            "practitioner": newcomer.pk,
            "role": MembershipRole.MEMBER,
            "started_on": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == detail_url(team)
    html = response.content.decode()
    assert "Nia New has been added as member." in html
    assert Membership.objects.current().filter(practitioner=newcomer).exists()


def test_adding_a_member_with_htmx_returns_the_members_section(team, sign_in):
    newcomer = PractitionerFactory(first_name="Nia", last_name="New")
    client = sign_in(team.coordinator)
    response = client.post(
        add_url(team),
        {
            "practitioner": newcomer.pk,
            "role": MembershipRole.COORDINATOR,
            "started_on": timezone.localdate().isoformat(),
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="members"')
    assert "Nia New has been added as coordinator or chair." in html
    assert 'id="partnership-coordinators" hx-swap-oob="true"' in html
    assert "<h1" not in html


def test_adding_a_current_member_again_shows_the_error_summary(team, sign_in):
    client = sign_in(team.coordinator)
    response = client.post(
        add_url(team),
        {
            "practitioner": team.member.pk,
            "role": MembershipRole.MEMBER,
            "started_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_practitioner"' in html
    assert "Mo Mills is already a member of Brook Lane Team Around the Child." in html
    assert "govuk-form-group--error" in html
    assert "(error)" in html  # in the page title


def test_adding_with_htmx_shows_errors_in_place(team, sign_in):
    client = sign_in(team.coordinator)
    response = client.post(add_url(team), {"role": ""}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Choose the practitioner to add" in html
    assert "Select their role in the partnership" in html


def test_add_member_form_defaults_to_today(team, sign_in):
    html = sign_in(team.coordinator).get(add_url(team)).content.decode()
    today = timezone.localdate()
    assert f'name="started_on_day" type="text" inputmode="numeric" value="{today.day}"' in html
    assert f'name="started_on_month" type="text" inputmode="numeric" value="{today.month}"' in html
    assert f'name="started_on_year" type="text" inputmode="numeric" value="{today.year}"' in html


# Ending and changing memberships ----------------------------------------------------------


def test_end_membership_page_defaults_to_today(team, sign_in):
    url = member_url("partnerships:end-membership", team, team.member_membership)
    html = sign_in(team.coordinator).get(url).content.decode()
    today = timezone.localdate()
    assert f'name="ended_on_day" type="text" inputmode="numeric" value="{today.day}"' in html
    assert f'name="ended_on_year" type="text" inputmode="numeric" value="{today.year}"' in html
    assert "End membership" in html


def test_ending_a_membership(team, sign_in):
    url = member_url("partnerships:end-membership", team, team.member_membership)
    response = sign_in(team.coordinator).post(
        url, {"ended_on": timezone.localdate().isoformat()}, follow=True
    )
    assert response.redirect_chain[-1][0] == detail_url(team)
    assert "Mo Mills&#x27;s membership of Brook Lane Team Around the Child has ended." in (
        response.content.decode()
    )
    team.member_membership.refresh_from_db()
    assert team.member_membership.ended_on == timezone.localdate()


def test_ending_before_the_start_shows_an_error(team, sign_in):
    url = member_url("partnerships:end-membership", team, team.member_membership)
    html = sign_in(team.coordinator).post(url, {"ended_on": "2020-01-01"}).content.decode()
    assert "There is a problem" in html
    assert "on or after the date the membership started, 1 September 2024" in html


def test_ending_with_a_missing_date_shows_an_error(team, sign_in):
    url = member_url("partnerships:end-membership", team, team.member_membership)
    html = sign_in(team.coordinator).post(url, {"ended_on": ""}).content.decode()
    assert "Enter the date the membership ends" in html
    assert 'href="#id_ended_on_day"' in html


def test_the_last_coordinator_is_told_to_hand_over_first(team, sign_in):
    client = sign_in(team.coordinator)
    url = member_url("partnerships:end-membership", team, team.coordinator_membership)
    html = client.get(url).content.decode()
    assert "is the only coordinator" in html
    assert '<form method="post" action="' + url not in html
    response = client.post(url, {"ended_on": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    team.coordinator_membership.refresh_from_db()
    assert team.coordinator_membership.ended_on is None


def test_an_ended_membership_cannot_be_ended_again(team, sign_in):
    team.member_membership.ended_on = timezone.localdate()
    team.member_membership.save()
    url = member_url("partnerships:end-membership", team, team.member_membership)
    assert sign_in(team.coordinator).get(url).status_code == 403


def test_changing_a_members_role(team, sign_in):
    url = member_url("partnerships:change-member", team, team.member_membership)
    client = sign_in(team.coordinator)
    html = client.get(url).content.decode()
    assert 'value="member" checked' in html
    response = client.post(
        url,
        {"role": MembershipRole.COORDINATOR, "partnership_line_manager": team.coordinator.pk},
    )
    assert response.status_code == 302
    team.member_membership.refresh_from_db()
    assert team.member_membership.role == MembershipRole.COORDINATOR
    assert team.member_membership.partnership_line_manager == team.coordinator


def test_the_last_coordinator_cannot_step_down_through_the_form(team, sign_in):
    url = member_url("partnerships:change-member", team, team.coordinator_membership)
    html = sign_in(team.coordinator).post(url, {"role": MembershipRole.MEMBER}).content.decode()
    assert "There is a problem" in html
    assert 'href="#id_role_0"' in html
    assert "Make another member a coordinator first." in html


# Partnership details ----------------------------------------------------------------------


def edit_url(team):
    return reverse("partnerships:edit", kwargs={"partnership_id": team.partnership.pk})


def test_edit_form_is_filled_in(team, sign_in):
    html = sign_in(team.coordinator).get(edit_url(team)).content.decode()
    assert 'value="Brook Lane Team Around the Child"' in html
    assert 'name="started_on_year" type="text" inputmode="numeric" value="2024"' in html
    assert f'value="{team.school.pk}" checked' in html
    assert 'value="panel" checked' in html
    assert "meet regularly to talk through" in html  # each choice explained


def test_editing_the_partnership(team, sign_in):
    clinic = AgencyFactory(name="Exampleton Health Visiting", sector=Sector.HEALTH)
    response = sign_in(team.coordinator).post(
        edit_url(team),
        {
            "name": "Brook Lane Multi-Agency Team",
            "description": "",
            "government_model": GovernmentModel.TEAM,
            "activity_model": ActivityModel.OPERATIONAL_TEAM,
            "base_setting": team.school.pk,
            "started_on": "2024-09-02",
            "member_agencies": [team.school.pk, clinic.pk],
        },
    )
    assert response.status_code == 302
    team.partnership.refresh_from_db()
    assert team.partnership.name == "Brook Lane Multi-Agency Team"
    assert team.partnership.government_model == GovernmentModel.TEAM
    assert team.partnership.started_on == datetime.date(2024, 9, 2)
    assert set(team.partnership.member_agencies.all()) == {team.school, clinic}


def test_editing_with_errors_shows_the_error_summary(team, sign_in):
    html = (
        sign_in(team.coordinator)
        .post(edit_url(team), {"name": "", "started_on": "31/02/2024"})
        .content.decode()
    )
    assert "There is a problem" in html
    for message in (
        "Enter the partnership&#x27;s name",
        "Select the model from government guidance",
        "Select the model of activity",
        "Enter the date the partnership started as a real date",
    ):
        assert message in html
    assert 'href="#id_name"' in html
    assert 'href="#id_government_model_0"' in html  # the first radio


# Agencies ---------------------------------------------------------------------------------


def test_agency_list_filters_by_sector(team, sign_in):
    AgencyFactory(name="Exampleton CAMHS", sector=Sector.HEALTH)
    client = sign_in(team.outsider)
    html = client.get(reverse("partnerships:agency-list")).content.decode()
    assert "Brook Lane Primary School" in html
    assert "Exampleton CAMHS" in html
    html = client.get(
        reverse("partnerships:agency-list"), {"sector": Sector.HEALTH}
    ).content.decode()
    assert "Exampleton CAMHS" in html
    assert "Brook Lane Primary School" not in html
    assert "1 agency found" in html


def test_agency_detail_shows_contact_people_and_partnerships(team, sign_in):
    team.school.address_line_1 = "1 Brook Lane"
    team.school.save()
    PractitionerFactory(
        first_name="Gone", last_name="Away", home_agency=team.school, is_active=False
    )
    url = reverse("partnerships:agency-detail", kwargs={"agency_id": team.school.pk})
    html = sign_in(team.outsider).get(url).content.decode()
    assert "1 Brook Lane" in html
    assert "01632 960000" in html
    assert "School" in html and "Education" in html
    assert "Cara Cole" in html and "Mo Mills" in html
    assert "School nurse" in html
    assert "Gone Away" not in html
    assert team.member.email not in html  # names and job titles only
    assert "Brook Lane Team Around the Child" in html
    assert "the partnership's base" in html


def test_unknown_agency_is_not_found(team, sign_in):
    url = reverse("partnerships:agency-detail", kwargs={"agency_id": 999999})
    assert sign_in(team.member).get(url).status_code == 404
