"""Every URL × every role × relationship present or ended.

The list of URLs comes from the URL configuration itself, so a new URL without a rule
here fails ``test_every_url_has_a_rule``. Each rule names the roles allowed; every other
signed-in role must be refused (403) and anonymous visitors sent to sign in.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from joinedup.sharing.models import AccessRecord

ROLES = (
    "anonymous",
    "involved",
    "ended",
    "unrelated",
    "member",
    "coordinator",
    "administrator",
    "data_manager",
)
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
PRACTITIONERS = frozenset(
    {"involved", "ended", "unrelated", "member", "coordinator", "data_manager"}
)


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    method: str = "GET"
    # Extra form data for POST actions, so an allowed request does what it says.
    data: dict[str, str] = field(default_factory=dict)
    # Signing out ends at the sign-in page by design.
    ends_at_sign_in: bool = False


def allow(
    *roles: str | frozenset[str],
    method: str = "GET",
    data: dict[str, str] | None = None,
    ends_at_sign_in: bool = False,
) -> Rule:
    names: set[str] = set()
    for role in roles:
        names |= {role} if isinstance(role, str) else set(role)
    return Rule(frozenset(names), method, data or {}, ends_at_sign_in)


PUBLIC = frozenset(ROLES)

RULES: dict[str, Rule] = {
    "home": allow(SIGNED_IN),
    "health": allow(PUBLIC),
    "accounts:sign-in": allow(PUBLIC),
    "accounts:sign-out": allow(SIGNED_IN, method="POST", ends_at_sign_in=True),
    "accounts:verify-two-factor": allow(SIGNED_IN),
    "accounts:set-up-two-factor": allow(SIGNED_IN),
    "accounts:security": allow(SIGNED_IN),
    "accounts:set-password": allow(PUBLIC),
    # Nobody: everyone must use two-factor authentication (policy.requires_two_factor).
    "accounts:turn-off-two-factor": allow(method="POST"),
    "accounts:change-password": allow(SIGNED_IN),
    # Notifications (docs/referrals.md): everyone signed in has their own list and settings;
    # a notification is opened (marked read) by its recipient only: the world's is for
    # 'involved'.
    "accounts:notifications": allow(SIGNED_IN),
    "accounts:notification-read": allow("involved", method="POST"),
    "accounts:notifications-read-all": allow(SIGNED_IN, method="POST"),
    "accounts:notification-settings": allow(SIGNED_IN),
    # Audit viewers (issue 6): everyone signed in reads their own access history; a data
    # protection lead ('coordinator') reads a member's audit ('member') and the anomaly flags.
    "accounts:my-access-history": allow(SIGNED_IN),
    "accounts:practitioner-audit": allow("coordinator"),
    "accounts:access-anomalies": allow("coordinator"),
    "accounts:manage-list": allow("administrator"),
    "accounts:manage-create": allow("administrator"),
    "accounts:manage-detail": allow("administrator"),
    "accounts:manage-edit": allow("administrator"),
    "accounts:manage-deactivate": allow("administrator", method="POST"),
    "accounts:manage-reactivate": allow("administrator", method="POST"),
    "accounts:manage-reset-two-factor": allow("administrator", method="POST"),
    "accounts:manage-unlock": allow("administrator", method="POST"),
    "accounts:manage-send-set-password-link": allow("administrator", method="POST"),
    "partnerships:list": allow(SIGNED_IN),
    "partnerships:detail": allow(SIGNED_IN),
    "partnerships:edit": allow("coordinator"),
    "partnerships:add-member": allow("coordinator"),
    "partnerships:change-member": allow("coordinator"),
    "partnerships:end-membership": allow(
        "coordinator", method="POST", data={"ended_on": datetime.date.today().isoformat()}
    ),
    "partnerships:agency-list": allow(SIGNED_IN),
    "partnerships:agency-detail": allow(SIGNED_IN),
    # Partnership toolkit (docs/toolkit.md): the partnership's current members ('involved',
    # 'member', 'coordinator') see its exercises, start them and take part; the world's
    # exercises were started by 'coordinator', who alone rewords statements and closes them.
    "toolkit:index": allow(PRACTITIONERS),
    "toolkit:partnership": allow("involved", "member", "coordinator"),
    "toolkit:create": allow("involved", "member", "coordinator"),
    "toolkit:exercise": allow("involved", "member", "coordinator"),
    "toolkit:result": allow("involved", "member", "coordinator"),
    "toolkit:result-csv": allow("involved", "member", "coordinator"),
    "toolkit:submit-ranking": allow("involved", "member", "coordinator", method="POST"),
    "toolkit:add-force": allow(
        "involved",
        "member",
        "coordinator",
        method="POST",
        data={"direction": "for", "description": "Shared funding", "strength": "4"},
    ),
    "toolkit:add-strategy": allow(
        "involved", "member", "coordinator", method="POST", data={"description": "Ask early"}
    ),
    "toolkit:add-swot-item": allow(
        "involved",
        "member",
        "coordinator",
        method="POST",
        data={"quadrant": "strengths", "text": "We trust each other"},
    ),
    "toolkit:reword-statement": allow("coordinator"),
    "toolkit:change-status": allow("coordinator", method="POST"),
    # Meetings: members see the schedule, term dates, meetings and the calendar file; the
    # coordinator plans meetings and enters terms, and manages the world's meeting, which
    # they planned.
    "toolkit:meetings": allow("involved", "member", "coordinator"),
    "toolkit:meetings-ics": allow("involved", "member", "coordinator"),
    "toolkit:term-dates": allow("involved", "member", "coordinator"),
    "toolkit:meeting": allow("involved", "member", "coordinator"),
    "toolkit:add-meeting": allow("coordinator"),
    "toolkit:add-term-date": allow("coordinator"),
    "toolkit:add-proposed-meetings": allow("coordinator", method="POST"),
    "toolkit:record-meeting": allow(
        "coordinator",
        method="POST",
        data={"held_on": datetime.date.today().isoformat(), "status": "held", "minutes": "Met"},
    ),
    "toolkit:add-meeting-action": allow(
        "coordinator", method="POST", data={"description": "Book the room"}
    ),
    "toolkit:complete-meeting-action": allow("coordinator", method="POST"),
    # Self-evaluations: every current member starts one, rates its items and sees the group
    # result with the evidence Joined Up holds.
    "toolkit:create-self-evaluation": allow("involved", "member", "coordinator"),
    "toolkit:self-evaluation": allow("involved", "member", "coordinator"),
    "toolkit:self-evaluation-csv": allow("involved", "member", "coordinator"),
    "toolkit:answer-self-evaluation": allow(
        "involved", "member", "coordinator", method="POST", data={"rating_clear_purpose": "3"}
    ),
    # Services directory (docs/services-directory.md): searching, an entry's page and the
    # printable directory are public (no child data); the CSV export and "My services" are
    # for anyone signed in. The world's entry is the school's, maintained by 'member'; the
    # school's data manager and the coordinator of its partnership may change it, add
    # entries and import. An import's result is its importer's (the data manager).
    "referrals:directory": allow(PUBLIC),
    "referrals:service": allow(PUBLIC),
    "referrals:print": allow(PUBLIC),
    "referrals:print-pdf": allow(PUBLIC),
    "referrals:export-csv": allow(SIGNED_IN),
    "referrals:my-services": allow(SIGNED_IN),
    "referrals:edit": allow("member", "coordinator", "data_manager"),
    "referrals:confirm-checked": allow("member", "coordinator", "data_manager", method="POST"),
    "referrals:create": allow("coordinator", "data_manager"),
    "referrals:import": allow("coordinator", "data_manager"),
    "referrals:import-result": allow("data_manager"),
    "referrals:import-rejects-csv": allow("data_manager"),
    "referrals:fix-rejected-row": allow("data_manager"),
    # Referrals (docs/referrals.md). The world's referral (referral_id) was sent by
    # 'involved' to the nurture group, whose staff is 'member'.
    "referrals:referral": allow("involved", "member"),
    # The referrer's side: the list of referrals made (every practitioner, never an
    # administrator: it names children); making a referral needs access to the child; the
    # draft (draft_referral_id) is changed and sent by its referrer; the sent referral is
    # withdrawn, and the declined one referred again, by its referrer ('involved').
    "referrals:my-referrals": allow(PRACTITIONERS),
    "referrals:new": allow("involved"),
    "referrals:edit-referral": allow("involved"),
    "referrals:send": allow("involved"),
    "referrals:withdraw": allow("involved"),
    "referrals:refer-again": allow("involved"),
    # Answering: the service's staff ('member'); 'involved' made the referral to a service
    # in Joined Up, so may not answer it. The world's referral is only sent: acknowledging
    # works; the later steps' pages show the refusal (tests/referrals/test_answering.py).
    "referrals:acknowledge": allow("member", method="POST"),
    "referrals:accept": allow("member"),
    "referrals:decline": allow("member"),
    "referrals:start": allow("member"),
    "referrals:complete": allow("member"),
    # The nurture group's referrals and waiting list: its staff. Its waiting time: its staff
    # and whoever keeps its entry up to date.
    "referrals:service-referrals": allow("member"),
    "referrals:update-waiting-time": allow(
        "member",
        "coordinator",
        "data_manager",
        method="POST",
        data={"waiting_weeks": "6", "capacity": "limited"},
    ),
    # The ping-pong list and taking ownership of a child referred in the partnership's
    # scope (the world's child was referred by 'involved', a member): its coordinator only.
    "referrals:pingpong": allow("coordinator"),
    "referrals:pingpong-own": allow("coordinator"),
    # Referral reports (counts and times, no child data): the nurture group's report for its
    # staff ('member') and whoever keeps its entry up to date (the school's data manager,
    # the coordinator); the partnership's report for its coordinator.
    "referrals:service-report": allow("member", "coordinator", "data_manager"),
    "referrals:service-report-csv": allow("member", "coordinator", "data_manager"),
    "referrals:partnership-report": allow("coordinator"),
    "referrals:partnership-report-csv": allow("coordinator"),
    # FHIR (docs/referrals.md, "Interoperability (FHIR)"): the world's sent referral is
    # downloaded by its referrer ('involved') or the nurture group's staff ('member');
    # receiving a referral from another system for the nurture group is for its staff. The
    # referral pack is for the referrer of the world's referral to a service outside Joined
    # Up (outside_referral_id).
    "referrals:fhir-export": allow("involved", "member"),
    "referrals:fhir-import": allow("member"),
    "referrals:pack": allow("involved"),
    "referrals:pack-pdf": allow("involved"),
    "children:list": allow(SIGNED_IN),
    # Search shows children's names: practitioners only, never administrators (policy).
    "children:search": allow(PRACTITIONERS),
    "children:detail": allow("involved"),
    # The disclosure log: whoever may view the child (policy.can_view_disclosures).
    "children:disclosures": allow("involved"),
    # Consent records (issue 6, tests/sharing/test_consent_records.py): whoever may view
    # the child reads them; recording, changing and withdrawing need an involvement or a
    # place on the team ('involved'). The world's consent (consent_id) is the episode's.
    "children:consents": allow("involved"),
    "children:new-consent": allow("involved"),
    "children:change-consent": allow("involved"),
    "children:withdraw-consent": allow("involved"),
    # A family's view (subject access): a data manager of one of the child's agencies
    # (policy.can_produce_family_view; the world's data manager is the school's).
    "children:family-view": allow("data_manager"),
    # The audit of the record (tests/sharing/test_audit_viewer.py): the school's data
    # manager, and 'coordinator' as data protection lead of the partnership whose member
    # 'involved' is involved with the child (policy.can_view_child_audit).
    "children:audit": allow("data_manager", "coordinator"),
    # Anyone signed in may open a record by stating why; the reason is recorded.
    "children:state-reason": allow(
        SIGNED_IN, method="POST", data={"reason": "A concern about this child was raised today"}
    ),
    "children:end-involvement": allow(
        "involved", method="POST", data={"reason": "Support completed"}
    ),
    # Break-glass (emergency access, tests/sharing/test_break_glass.py): any practitioner
    # sees the form (never an administrator); the review queue and a review are for data
    # protection leads: 'coordinator', reviewing the world's expired access by 'member'.
    "children:break-glass": allow(PRACTITIONERS),
    "children:break-glass-reviews": allow("coordinator"),
    "children:break-glass-review": allow("coordinator"),
    # Sharing without consent (tests/sharing/test_sharing_decisions.py): every practitioner
    # has a queue (of decisions waiting for them); the world's decision by 'member', who has
    # no supervisor, is confirmed by 'coordinator' as data protection lead, never 'member'.
    "children:sharing-decisions": allow(PRACTITIONERS),
    "children:sharing-decision": allow("coordinator"),
    # Consent for a sensitive involvement: the practitioner involved only (the world's
    # involvement is not sensitive, so nobody may; tests/children/test_index_page.py
    # covers the allowed case).
    "children:record-consent": allow(method="POST"),
    # Shielding: data managers of an agency holding a record about the child.
    "children:shielding": allow("data_manager"),
    "children:shielding-reviews": allow("data_manager"),
    "children:review-access": allow("data_manager", method="POST"),
    # Identity matching: data managers of an agency holding a record about a child
    # involved (the review's record, either child). Deciding, merging, splitting and
    # undoing by POST are covered in tests/children/test_linkage.py.
    "children:matching": allow("data_manager"),
    "children:matching-review": allow("data_manager"),
    "children:undo-link-event": allow("data_manager"),
    "children:linking": allow("data_manager"),
    "children:merge": allow("data_manager"),
    "children:split": allow("data_manager"),
    # Agency feeds: the agency's own data managers only; the format is documentation.
    "children:feeds:index": allow("data_manager"),
    "children:feeds:upload": allow("data_manager"),
    "children:feeds:format": allow(SIGNED_IN),
    "children:feeds:template-csv": allow(SIGNED_IN),
    "children:feeds:template-xlsx": allow(SIGNED_IN),
    "children:feeds:mapping": allow("data_manager"),
    "children:feeds:detail": allow("data_manager"),
    "children:feeds:progress": allow("data_manager"),
    "children:feeds:rejects": allow("data_manager"),
    "children:feeds:deal-with-reject": allow(
        "data_manager", method="POST", data={"reason": "The pupil left before the file was sent"}
    ),
    # Casework (docs/casework.md): the world's child has an open episode whose lead
    # professional is the practitioner involved. Opening an episode needs access to the
    # child (the page then shows the duplicate guard: 200); the episode and its actions
    # need a current place on the team, and team management needs the lead professional.
    "casework:open-episode": allow("involved"),
    "casework:episode": allow("involved"),
    "casework:record-check": allow(
        "involved", method="POST", data={"needs_more_than_universal": "yes", "notes": "Speech"}
    ),
    "casework:record-consent": allow(
        "involved",
        method="POST",
        data={
            "given_by_kind": "parent_carer",
            "given_by_name": "Alex Carer",
            "given_on": "2025-01-06",
            "scope": "assessment",
        },
    ),
    "casework:withdraw-consent": allow(
        "involved", method="POST", data={"reason": "The family changed their minds"}
    ),
    "casework:add-team-member": allow(
        "involved",
        method="POST",
        data={
            "kind": "family",
            "participant_name": "Pat Carer",
            "participant_relationship": "Grandparent",
            "role": "Family member",
        },
    ),
    "casework:leave-team": allow("involved", method="POST"),
    "casework:choose-lead": allow(
        "involved",
        method="POST",
        data={
            "practitioner": "involved",
            "family_agreement_recorded": "on",
            "family_agreed_by": "Sam Carer",
        },
    ),
    # The action plan (docs/casework.md): the team reads it; the lead professional (the
    # practitioner involved) manages it and updates actions; "My actions" is every
    # practitioner's own list (administrators see no child data through that role).
    "casework:my-actions": allow(PRACTITIONERS),
    "casework:plan": allow("involved"),
    "casework:add-need": allow("involved"),
    "casework:add-desired-outcome": allow("involved"),
    "casework:add-action": allow("involved"),
    "casework:edit-action": allow("involved"),
    "casework:set-action-status": allow(
        "involved", method="POST", data={"status": "in_progress", "revision": "1"}
    ),
    # The assessment (docs/casework.md): the world's episode has a draft assessment by
    # the practitioner involved (its assessing practitioner and lead professional). Team
    # members of the episode read it; its assessing practitioner or the lead edit it.
    "casework:start-assessment": allow("involved", method="POST"),
    "casework:assessment": allow("involved"),
    "casework:assessment-edit": allow("involved"),
    "casework:assessment-autosave": allow(
        "involved", method="POST", data={"revision": "1", "reason": "Worried about attendance"}
    ),
    "casework:assessment-revise": allow("involved", method="POST"),
    "casework:assessment-versions": allow("involved"),
    # Reviews (docs/casework.md): the world's episode has a scheduled review. The team
    # reads it and its calendar file; the lead schedules and records; every practitioner
    # has an overdue-reviews page (leads see theirs, coordinators their partnership's).
    "casework:overdue-reviews": allow(PRACTITIONERS),
    "casework:schedule-review": allow("involved"),
    "casework:team-review": allow("involved"),
    "casework:record-review": allow("involved"),
    "casework:review-calendar": allow("involved"),
    # Work queues and handing over the lead role (docs/casework.md): any practitioner has
    # a lead's queue (listing only episodes they lead); the partnership's queue is for its
    # coordinator. The world's lead ('involved') has offered the role to a team member who
    # is no world role, so only the lead may withdraw it and nobody here may answer it.
    "casework:lead-queue": allow(PRACTITIONERS),
    "casework:partnership-queue": allow("coordinator"),
    "casework:offer-lead": allow(
        "involved",
        method="POST",
        data={"to_practitioner": "successor", "family_agreed_by": "Sam Carer"},
    ),
    "casework:lead-offer": allow(),
    "casework:withdraw-lead-offer": allow("involved", method="POST"),
    # Outcomes over time, closure and reopening (docs/casework.md): the lead professional
    # records ratings (the world's assessment is a draft, so the page explains why it cannot
    # take them yet: 200) and closes the episode. The world's closed episode (closed today,
    # opened by 'involved' with no lead chosen) may be reopened by its opener only.
    "casework:record-ratings": allow("involved"),
    "casework:close-episode": allow("involved"),
    "casework:reopen-episode": allow("involved"),
    # Paper copies and brothers or sisters joining (docs/casework.md): whoever reads the
    # assessment or the plan prints it or downloads the PDF (the team: 'involved'); the
    # lead professional adds a brother or sister (the page lists children they may see).
    "casework:assessment-print": allow("involved"),
    "casework:assessment-pdf": allow("involved"),
    "casework:plan-print": allow("involved"),
    "casework:plan-pdf": allow("involved"),
    "casework:add-child": allow("involved"),
    # Step-up and step-down (docs/casework.md): the world's episode has a step-up waiting
    # for children's social care. Its lead steps up (the page says one is waiting: 200) and
    # may record the answer; practitioners of the social care agency may too, and only
    # social care practitioners who may see the child step down — no world role works in
    # social care, so nobody here (tests/casework/test_escalation.py covers them).
    "casework:step-up": allow("involved"),
    "casework:step-up-decision": allow(
        "involved",
        method="POST",
        data={
            "status": "not_accepted",
            "decided_on": datetime.date.today().isoformat(),
            "decision_note": "Below the threshold: early help continues",
        },
    ),
    "casework:step-down": allow(),
}

# Django's admin site is one rule: only system administrators get past its own sign-in.
NAMESPACE_RULES: dict[str, Rule] = {"admin": allow("administrator")}


def url_names() -> Iterator[tuple[str, URLPattern]]:
    def walk(patterns: list, namespace: str) -> Iterator[tuple[str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            else:
                yield f"{namespace}{pattern.name or ''}", pattern

    yield from walk(get_resolver().url_patterns, "")


def rule_for(name: str) -> Rule | None:
    if name in RULES:
        return RULES[name]
    namespace = name.split(":", 1)[0] if ":" in name else ""
    return NAMESPACE_RULES.get(namespace)


def test_every_url_has_a_rule():
    missing = [
        name for name, _ in url_names() if not name.startswith("admin:") and rule_for(name) is None
    ]
    unnamed = [
        str(pattern.pattern) for name, pattern in url_names() if name.endswith(":") or name == ""
    ]
    assert not unnamed or all(
        name.startswith("admin:") for name, _ in url_names() if name.endswith(":")
    )
    assert not missing, f"URLs with no rule in the permission matrix: {missing}"


def test_rules_name_only_real_urls():
    names = {name for name, _ in url_names()}
    assert set(RULES) <= names, f"Rules for URLs that no longer exist: {set(RULES) - names}"


def matrix() -> Iterator[tuple[str, str]]:
    for name, _ in url_names():
        if name.startswith("admin:"):
            continue
        for role in ROLES:
            yield name, role


def admin_matrix() -> Iterator[tuple[str, str]]:
    for name in (
        "admin:index",
        "admin:accounts_practitioner_changelist",
        "admin:partnerships_agency_changelist",
    ):
        for role in ROLES:
            yield name, role


def request_as(client, world, name: str, role: str, rule: Rule):
    world.sign_in(client, role)
    pattern = dict(url_names())[name]
    kwargs = {key: world.url_kwargs[key] for key in pattern.pattern.regex.groupindex}
    url = reverse(name, kwargs=kwargs)
    if rule.method == "POST":
        return client.post(url, rule.data)
    return client.get(url)


def assert_outcome(response, role: str, rule: Rule, name: str) -> None:
    location = response.headers.get("Location", "")
    if role in rule.allowed:
        assert response.status_code in {200, 204, 302, 303}, (
            f"{role} should reach {name}: {response.status_code}"
        )
        if role != "anonymous" and not rule.ends_at_sign_in:
            assert "/sign-in/" not in location, f"{role} was sent to sign in by {name}"
            assert "/two-factor/" not in location or name.startswith("accounts:"), location
    elif role == "anonymous":
        assert response.status_code == 302 and "/sign-in/" in location, f"anonymous reached {name}"
    else:
        assert response.status_code == 403, (
            f"{role} should be refused {name}, got {response.status_code}"
        )


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), list(matrix()))
def test_permission_matrix(client, world, name, role):
    rule = rule_for(name)
    assert rule is not None
    response = request_as(client, world, name, role, rule)
    assert_outcome(response, role, rule, name)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), list(admin_matrix()))
def test_admin_site_is_for_administrators_only(client, world, name, role):
    world.sign_in(client, role)
    response = client.get(reverse(name))
    if role == "administrator":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert (
            "/login/" in response.headers["Location"] or "/sign-in/" in response.headers["Location"]
        )


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(SIGNED_IN))
def test_a_child_record_is_read_only_with_an_access_record(client, world, role):
    world.sign_in(client, role)
    before = AccessRecord.objects.filter(child=world.child).count()
    response = client.get(reverse("children:detail", kwargs={"child_id": world.child.pk}))
    written = AccessRecord.objects.filter(child=world.child).count() - before
    if role == "involved":
        assert response.status_code == 200
        assert written == 1
        record = AccessRecord.objects.filter(child=world.child).latest("occurred_at")
        assert record.practitioner == world.users["involved"]
        assert record.reason.startswith("Involved as")
    else:
        assert response.status_code == 403
        assert written == 0
