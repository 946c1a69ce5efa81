"""Identity matching pages: the review queue, a possible match side by side, a child's
linked records and link history, merging, splitting and undoing.

Thin views: each asks ``sharing.policy``, reads inside one transaction with the access
records of every child whose agencies' records it shows (``sharing.audit.record_access``),
and changes through ``children.linkage``. See docs/child-index.md, "Identity matching in
the app".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from joinedup.children import linkage, search_throttle
from joinedup.children.linkage_forms import (
    ChooseChildForm,
    DecideReviewForm,
    FindOtherChildForm,
    ReasonForm,
    SplitForm,
)
from joinedup.children.models import (
    Child,
    LinkEvent,
    LinkEventKind,
    MatchReview,
    MatchReviewStatus,
    SourceRecord,
)
from joinedup.children.provenance import fields_as_received
from joinedup.children.search import search_children
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction, AccessBasis

WHEREABOUTS_FIELDS = {"address", "postcode"}
CARD_FIELDS = (
    ("name", "Name"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("nhs_number", "NHS number"),
    ("upn", "Unique pupil number"),
    ("address", "Address"),
    ("postcode", "Postcode"),
)


@dataclass
class RecordCard:
    """One agency's record, as the agency sent it, for a side-by-side comparison."""

    record: SourceRecord
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # label, value, invalid


@dataclass
class ChildCards:
    child: Child
    cards: list[RecordCard]
    whereabouts_visible: bool
    hidden_records: int = 0


def _card(record: SourceRecord, whereabouts: bool) -> RecordCard:
    received = fields_as_received(record)
    invalid = record.invalid_fields or {}
    card = RecordCard(record)
    for key, label in CARD_FIELDS:
        if key in WHEREABOUTS_FIELDS and not whereabouts:
            card.rows.append((label, "Withheld: the record is shielded", ""))
            continue
        if key == "name":
            parts = ("given_name", "other_names", "family_name")
            value = " ".join(received[p] for p in parts if received.get(p))
            why = "; ".join(invalid[p] for p in parts if p in invalid)
        elif key == "address":
            parts = ("address_line_1", "address_line_2", "town")
            value = ", ".join(received[p] for p in parts if received.get(p))
            why = "; ".join(invalid[p] for p in parts if p in invalid)
        else:
            value, why = received.get(key, ""), invalid.get(key, "")
        card.rows.append((label, value or "Not given", why))
    return card


def _child_cards(user: Any, child: Child, *, first: SourceRecord | None = None) -> ChildCards:
    """The child's agencies' records this user may see (sensitive services need consent;
    a shielded child's whereabouts only for their data managers)."""
    whereabouts = bool(policy.whereabouts_decision(user, child, policy.active_shielding(child)))
    records = list(
        SourceRecord.objects.filter(child=child)
        .filter(policy.visible_source_records_filter(user, child))
        .select_related("agency", "last_feed")
        .defer("last_feed__content")
        .order_by("-last_received_at", "pk")
    )
    total = SourceRecord.objects.filter(child=child).count()
    if first is not None and first in records:
        records.remove(first)
        records.insert(0, first)
    return ChildCards(
        child=child,
        cards=[_card(record, whereabouts) for record in records],
        whereabouts_visible=whereabouts,
        hidden_records=total - len(records),
    )


def _record_views(
    request: AuthenticatedRequest, children: list[Child], decision: policy.Decision, what: str
) -> None:
    audit.record_access(
        practitioner=request.user,
        children=children,
        decision=decision,
        what=what,
        path=request.get_full_path(),
    )


def _add_errors(form: Any, problem: ValidationError) -> None:
    for message in problem.messages:
        form.add_error(None, message)


# The review queue ----------------------------------------------------------------------


def _open_reviews(user: Any) -> Any:
    return (
        MatchReview.objects.filter(status=MatchReviewStatus.PENDING)
        .filter(policy.match_reviews_filter(user))
        .filter(child__merged_into__isnull=True, candidate_child__merged_into__isnull=True)
        .exclude(child=None)
        .select_related("child", "candidate_child", "source_record__agency")
        .order_by("-probability", "created_at", "pk")
    )


@require_GET
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(
        policy.can_use_matching(request.user),
        "Only data managers review possible matches of records.",
    )
    with transaction.atomic():
        reviews = _open_reviews(request.user)
        page = Paginator(reviews, settings.PAGE_SIZE).get_page(request.GET.get("page"))
        listed: dict[int, Child] = {}
        for review in page.object_list:
            for child in (review.child, review.candidate_child):
                if child is not None:
                    listed.setdefault(child.pk, child)
        audit.record_access(
            practitioner=request.user,
            children=listed.values(),
            decision=policy.Decision(
                True, basis=AccessBasis.DATA_MANAGER, reason="Listing possible matches to review"
            ),
            action=AccessAction.LISTED,
            what="Name and date of birth in the matching review queue",
            path=request.get_full_path(),
        )
        decided = (
            MatchReview.objects.exclude(status=MatchReviewStatus.PENDING)
            .filter(policy.match_reviews_filter(request.user))
            .count()
        )
    return render(
        request,
        "children/matching/reviews.html",
        {"page": page, "count": page.paginator.count, "decided": decided},
    )


@require_http_methods(["GET", "POST"])
def review_detail(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = get_object_or_404(
        MatchReview.objects.select_related("child", "candidate_child", "decided_by"),
        pk=review_id,
    )
    decision = policy.can_decide_review(request.user, review)
    policy.require(decision, "You cannot see this possible match.")
    form = DecideReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            linkage.decide_review(
                review=review,
                decision=form.cleaned_data["decision"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as problem:
            _add_errors(form, problem)
        else:
            if form.cleaned_data["decision"] == "link":
                messages.success(request, "The records are linked: they are now one child.")
            else:
                messages.success(request, "The records are kept apart as two children.")
            return redirect("children:matching")
    with transaction.atomic():
        left = (
            _child_cards(request.user, review.child, first=review.source_record)
            if review.child is not None
            else None
        )
        right = _child_cards(request.user, review.candidate_child, first=review.candidate_record)
        shown = [c for c in (review.child, review.candidate_child) if c is not None]
        _record_views(request, shown, decision, "Agencies' records side by side, a possible match")
    return render(
        request,
        "children/matching/review.html",
        {
            "review": review,
            "left": left,
            "right": right,
            "form": form,
            "evidence": review.evidence.get("fields", []),
            "percent": round(review.probability * 100, 1),
        },
        status=400 if request.method == "POST" else 200,
    )


# A child's linked records, merge, split, undo -----------------------------------------


@require_GET
def child_linking(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    child = get_object_or_404(Child, pk=child_id)
    decision = policy.can_manage_child_identity(request.user, child)
    policy.require(decision, "Only a data manager of this child's agencies can see this page.")
    with transaction.atomic():
        cards = _child_cards(request.user, child)
        events = list(
            LinkEvent.objects.filter(Q(child=child) | Q(other_child=child))
            .select_related("performed_by", "child", "other_child", "source_record__agency")
            .order_by("-created_at", "-pk")[:100]
        )
        reviews = list(
            MatchReview.objects.filter(status=MatchReviewStatus.PENDING)
            .filter(Q(child=child) | Q(candidate_child=child))
            .filter(policy.match_reviews_filter(request.user))
        )
        _record_views(request, [child], decision, "Linked records and link history")
    undoable = {event.pk for event in events if policy.can_undo_link_event(request.user, event)}
    return render(
        request,
        "children/matching/linking.html",
        {
            "child": child,
            "cards": cards,
            "events": events,
            "undoable": undoable,
            "reviews": reviews,
            "merge_form": ChooseChildForm(),
        },
    )


@require_http_methods(["GET", "POST"])
def merge_child(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    """Merge another record into this child: choose the other record, then confirm with
    both side by side and a reason."""
    keep = get_object_or_404(Child, pk=child_id)
    policy.require(
        policy.can_manage_child_identity(request.user, keep),
        "Only a data manager of this child's agencies can merge records into it.",
    )
    choose = ChooseChildForm(request.GET if "other" in request.GET else None)
    other: Child | None = None
    if choose.is_bound and choose.is_valid():
        other = Child.objects.filter(pk=choose.cleaned_data["other"]).first()
        if other is None:
            choose.add_error("other", "There is no child record with that ID")
        elif other.pk == keep.pk:
            choose.add_error("other", "Choose a different record from this one")
        elif not policy.can_merge_children(request.user, keep, other):
            choose.add_error("other", "That record cannot be merged into this one")
            other = None
    if other is None or choose.errors:
        # Find the other record by name and date of birth (a recorded search); each result
        # links back here with ?other=<id>, which is this form filled in.
        can_search = bool(policy.can_search_children(request.user))
        bound = can_search and any(key in request.GET for key in FindOtherChildForm.FIELDS)
        find = FindOtherChildForm(request.GET if bound else None)
        outcome = None
        if bound and find.is_valid():
            wait = search_throttle.wait_before_next_search(request.user)
            if wait is not None:
                return search_throttle.too_many_searches(request, wait)
            outcome = search_children(practitioner=request.user, query=find.to_query())
        return render(
            request,
            "children/matching/merge_choose.html",
            {
                "child": keep,
                "form": choose,
                "find_form": find,
                "can_search": can_search,
                "outcome": outcome,
            },
            status=400 if choose.errors else 200,
        )
    decision = policy.can_merge_children(request.user, keep, other)
    form = ReasonForm(request.POST or None)
    problem = linkage.cannot_link_reason(keep, other)
    if request.method == "POST" and form.is_valid() and not problem:
        try:
            linkage.merge_children(
                keep=keep, merge=other, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(
                request,
                f"The records are merged: {keep.full_name} now holds both. You can undo this "
                "from the link history below.",
            )
            return redirect("children:linking", child_id=keep.pk)
    with transaction.atomic():
        left = _child_cards(request.user, keep)
        right = _child_cards(request.user, other)
        _record_views(request, [keep, other], decision, "Two records side by side, to merge")
    return render(
        request,
        "children/matching/merge_confirm.html",
        {
            "child": keep,
            "other": other,
            "left": left,
            "right": right,
            "form": form,
            "problem": problem,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def split_child(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    """Move some of a child's records (and involvements) to a new child: choose, then
    confirm."""
    child = get_object_or_404(Child, pk=child_id)
    decision = policy.can_manage_child_identity(request.user, child)
    policy.require(decision, "Only a data manager of this child's agencies can split it.")
    with transaction.atomic():
        cards = _child_cards(request.user, child)
        involvements = list(
            child.involvements.filter(policy.visible_involvements_filter(request.user, child))
            .select_related("agency", "practitioner")
            .order_by("started_on", "pk")
        )
        _record_views(request, [child], decision, "Records to split")
    record_choices = [
        (
            str(card.record.pk),
            f"{card.record.agency.name}, record {card.record.source_id}: "
            f"{card.rows[0][1]}, born {card.rows[1][1]}",
        )
        for card in cards.cards
    ]
    involvement_choices = [
        (
            str(i.pk),
            f"{i.role} — {i.practitioner.get_full_name() if i.practitioner else i.agency.name}",
        )
        for i in involvements
    ]
    form = SplitForm(
        request.POST or None,
        record_choices=record_choices,
        involvement_choices=involvement_choices,
    )
    confirming = request.method == "POST" and request.POST.get("confirm") == "yes"
    if request.method == "POST" and form.is_valid():
        chosen = [c for c in cards.cards if str(c.record.pk) in form.cleaned_data["records"]]
        chosen_involvements = [
            i for i in involvements if str(i.pk) in form.cleaned_data.get("involvements", [])
        ]
        if confirming:
            try:
                linkage.split_child(
                    child=child,
                    source_records=[c.record for c in chosen],
                    involvements=chosen_involvements,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as problem:
                _add_errors(form, problem)
            else:
                messages.success(
                    request,
                    "The records are split: the chosen records are now a separate child. "
                    "You can undo this from the link history.",
                )
                return redirect("children:linking", child_id=child.pk)
        if not form.errors:
            return render(
                request,
                "children/matching/split_confirm.html",
                {
                    "child": child,
                    "form": form,
                    "chosen": chosen,
                    "chosen_involvements": chosen_involvements,
                    "data": request.POST,
                },
            )
    return render(
        request,
        "children/matching/split.html",
        {"child": child, "cards": cards, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def undo_event(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = get_object_or_404(
        LinkEvent.objects.select_related("child", "other_child", "performed_by"), pk=event_id
    )
    decision = policy.can_undo_link_event(request.user, event)
    policy.require(decision, "This change cannot be undone, or not by you.")
    if event.child is None or event.other_child is None:
        raise Http404("A child this change involved is gone.")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            linkage.undo_link_event(
                event=event, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as problem:
            _add_errors(form, problem)
        else:
            if event.kind == LinkEventKind.MERGED:
                messages.success(
                    request,
                    "The merge is undone: both children are restored, each with their own "
                    "records and involvements.",
                )
            else:
                messages.success(request, "The split is undone: the records are one child again.")
            # A merge is undone on the child kept; a split on the child it came from.
            target = event.child if event.kind == LinkEventKind.MERGED else event.other_child
            return redirect("children:linking", child_id=target.pk)
    with transaction.atomic():
        shown = [event.child, event.other_child]
        _record_views(request, shown, decision, "Undoing a merge or split")
    return render(
        request,
        "children/matching/undo.html",
        {
            "event": event,
            "form": form,
            "moved_records": len(event.moved_source_records),
            "moved_involvements": len(event.moved_involvements),
        },
        status=400 if request.method == "POST" else 200,
    )
