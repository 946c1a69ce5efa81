"""The early help assessment (issue 4, part 3): services and selectors.

Changes run in one transaction each; views ask sharing.policy first. Saving a draft uses
optimistic locking: the form carries the ``revision`` it was loaded at, and a save made
after someone else's is refused (``AssessmentConflict``) with both versions to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from joinedup.casework.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentDomain,
    AssessmentElement,
    AssessmentStatus,
    Episode,
    Rating,
)
from joinedup.sharing import audit, consents, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child

TEXT_FIELD_LABELS: dict[str, str] = {
    "reason": "Why the assessment is being done",
    "child_views": "The child's or young person's views",
    "parent_carer_views": "The parent's or carer's views",
    "summary_strengths": "Summary of strengths",
    "summary_needs": "Summary of needs",
    "family_wants_to_change": "What the family wants to change",
}
RATING_LABELS: dict[str, str] = dict(Rating.choices)


# Snapshots and differences -------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The content of one version (or of a form): text fields, and per element id its
    rating and notes."""

    fields: dict[str, str]
    answers: dict[int, tuple[str, str]]

    def answer(self, element_id: int) -> tuple[str, str]:
        return self.answers.get(element_id, (Rating.NOT_ASSESSED, ""))


def snapshot(assessment: Assessment) -> Snapshot:
    """Uses the prefetched answers when there are any."""
    return Snapshot(
        fields={name: getattr(assessment, name) for name in Assessment.TEXT_FIELDS},
        answers={
            answer.element_id: (answer.rating, answer.notes) for answer in assessment.answers.all()
        },
    )


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class ElementChange:
    element: AssessmentElement
    old_rating: str
    old_notes: str
    new_rating: str
    new_notes: str

    @property
    def old_rating_label(self) -> str:
        return RATING_LABELS.get(self.old_rating, self.old_rating)

    @property
    def new_rating_label(self) -> str:
        return RATING_LABELS.get(self.new_rating, self.new_rating)

    @property
    def rating_changed(self) -> bool:
        return self.old_rating != self.new_rating

    @property
    def notes_changed(self) -> bool:
        return self.old_notes != self.new_notes


@dataclass(frozen=True)
class Differences:
    fields: list[FieldChange] = field(default_factory=list)
    elements: list[ElementChange] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.elements)


def differences(old: Snapshot, new: Snapshot, elements: Iterable[AssessmentElement]) -> Differences:
    """What changed from ``old`` to ``new``: per text field and per element (rating or
    notes), in the order of the assessment. No queries."""
    fields = [
        FieldChange(name, TEXT_FIELD_LABELS[name], old.fields[name], new.fields[name])
        for name in Assessment.TEXT_FIELDS
        if old.fields.get(name, "") != new.fields.get(name, "")
    ]
    changes = []
    for element in elements:
        before, after = old.answer(element.pk), new.answer(element.pk)
        if before != after:
            changes.append(ElementChange(element, *before, *after))
    return Differences(fields, changes)


# Services ------------------------------------------------------------------------------


class AssessmentConflict(Exception):
    """Someone saved the assessment after this form was loaded: nothing was saved."""

    def __init__(self, stored: Assessment) -> None:
        super().__init__(
            f"{stored.updated_by or 'Someone'} saved this assessment at "
            f"{timezone.localtime(stored.updated_at):%H:%M} after you opened it"
        )
        self.stored = stored
        self.stored_snapshot = snapshot(stored)


def has_assessment_consent(episode: Episode) -> bool:
    """Consent to the assessment in force (given, not withdrawn, not expired)."""
    return consents.has_assessment_consent(episode)


def _require_consent(episode: Episode) -> None:
    if not has_assessment_consent(episode):
        raise ValidationError(
            "Consent to the assessment is not recorded, or it has been withdrawn: record "
            "consent on the episode page before assessing",
            code="no_consent",
        )


def _locked(assessment_id: int) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("episode", "updated_by")
        .prefetch_related("answers")
        .get(pk=assessment_id)
    )


@transaction.atomic
def start_assessment(*, practitioner: Practitioner, episode: Episode, child: Child) -> Assessment:
    """Start version 1 of the assessment of a child in an open episode; needs consent to
    the assessment in force. Every active element starts as "not assessed"."""
    if not episode.is_open:
        raise ValidationError("This episode is closed")
    if not episode.episode_children.filter(child=child).exists():
        raise ValidationError("This child is not part of the episode")
    _require_consent(episode)
    Episode.objects.select_for_update().filter(pk=episode.pk).first()  # one start at a time
    if Assessment.objects.filter(episode=episode, child=child).exists():
        raise ValidationError(
            "An assessment of this child has already been started in this episode",
            code="exists",
        )
    now = timezone.now()
    assessment = Assessment.objects.create(
        episode=episode,
        child=child,
        assessing_practitioner=practitioner,
        agency=practitioner.home_agency,
        created_at=now,
        updated_at=now,
        updated_by=practitioner,
    )
    AssessmentAnswer.objects.bulk_create(
        AssessmentAnswer(assessment=assessment, element=element)
        for element in AssessmentElement.objects.filter(is_active=True)
    )
    return assessment


def _require_draft(assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(
            "This assessment has been submitted and is locked: start a revision to change it",
            code="locked",
        )


@transaction.atomic
def save_draft(
    *,
    practitioner: Practitioner,
    assessment: Assessment,
    revision: int,
    fields: Mapping[str, str],
    answers: Mapping[int, tuple[str, str]],
) -> Assessment:
    """Save a draft loaded at ``revision``. Refused with ``AssessmentConflict`` (nothing
    saved) when the stored revision has moved on; refused when the draft was submitted."""
    stored = _locked(assessment.pk)
    _require_draft(stored)
    if stored.revision != revision:
        raise AssessmentConflict(stored)
    for name in Assessment.TEXT_FIELDS:
        if name in fields:
            setattr(stored, name, fields[name].strip())
    stored.revision += 1
    stored.updated_at = timezone.now()
    stored.updated_by = practitioner
    stored.save(update_fields=[*Assessment.TEXT_FIELDS, "revision", "updated_at", "updated_by"])
    existing = {answer.element_id: answer for answer in stored.answers.all()}
    changed, created = [], []
    for element_id, (rating, notes) in answers.items():
        if rating not in Rating.values:
            raise ValidationError("Choose strength, need or not assessed")
        answer = existing.get(element_id)
        if answer is None:
            created.append(
                AssessmentAnswer(
                    assessment=stored, element_id=element_id, rating=rating, notes=notes.strip()
                )
            )
        elif (answer.rating, answer.notes) != (rating, notes.strip()):
            answer.rating, answer.notes = rating, notes.strip()
            changed.append(answer)
    AssessmentAnswer.objects.bulk_update(changed, ["rating", "notes"])
    AssessmentAnswer.objects.bulk_create(created)
    return stored


@transaction.atomic
def submit_assessment(
    *, practitioner: Practitioner, assessment: Assessment, revision: int
) -> Assessment:
    """Submission locks the version: no further edits (a revision makes a new version)."""
    stored = _locked(assessment.pk)
    _require_draft(stored)
    if stored.revision != revision:
        raise AssessmentConflict(stored)
    now = timezone.now()
    stored.status = AssessmentStatus.SUBMITTED
    stored.submitted_at = now
    stored.submitted_by = practitioner
    stored.revision += 1
    stored.updated_at = now
    stored.updated_by = practitioner
    stored.save(
        update_fields=[
            "status",
            "submitted_at",
            "submitted_by",
            "revision",
            "updated_at",
            "updated_by",
        ]
    )
    return stored


@transaction.atomic
def revise_assessment(*, practitioner: Practitioner, assessment: Assessment) -> Assessment:
    """A new draft version copying the latest submitted one; the practitioner revising it
    is its assessing practitioner."""
    stored = _locked(assessment.pk)
    if stored.status != AssessmentStatus.SUBMITTED:
        raise ValidationError("Only a submitted assessment can be revised")
    if not stored.episode.is_open:
        raise ValidationError("This episode is closed")
    latest = Assessment.objects.filter(episode_id=stored.episode_id, child_id=stored.child_id)
    if latest.filter(version__gt=stored.version).exists():
        raise ValidationError("A later version of this assessment exists: revise that one")
    _require_consent(stored.episode)
    now = timezone.now()
    new = Assessment.objects.create(
        episode_id=stored.episode_id,
        child_id=stored.child_id,
        version=stored.version + 1,
        assessing_practitioner=practitioner,
        agency=practitioner.home_agency,
        previous_version=stored,
        created_at=now,
        updated_at=now,
        updated_by=practitioner,
        **{name: getattr(stored, name) for name in Assessment.TEXT_FIELDS},
    )
    AssessmentAnswer.objects.bulk_create(
        AssessmentAnswer(
            assessment=new, element_id=answer.element_id, rating=answer.rating, notes=answer.notes
        )
        for answer in stored.answers.all()
    )
    return new


# Selectors -----------------------------------------------------------------------------


def _assessments() -> Any:
    return Assessment.objects.select_related(
        "episode",
        "child",
        "assessing_practitioner",
        "agency",
        "updated_by",
        "submitted_by",
    )


def elements_for(assessment: Assessment) -> list[AssessmentElement]:
    """The elements of an assessment: the active ones and any it has answered. One query."""
    answered = AssessmentAnswer.objects.filter(assessment=assessment, element=OuterRef("pk"))
    return list(
        AssessmentElement.objects.filter(Q(is_active=True) | Q(Exists(answered))).select_related(
            "domain"
        )
    )


def by_domain(
    elements: Iterable[AssessmentElement],
) -> list[tuple[AssessmentDomain, list[AssessmentElement]]]:
    groups: dict[int, tuple[AssessmentDomain, list[AssessmentElement]]] = {}
    for element in elements:
        groups.setdefault(element.domain_id, (element.domain, []))[1].append(element)
    return list(groups.values())


@dataclass(frozen=True)
class AssessmentPage:
    assessment: Assessment
    elements: list[AssessmentElement]
    reason: str

    @property
    def domains(self) -> list[tuple[AssessmentDomain, list[AssessmentElement]]]:
        return by_domain(self.elements)

    @property
    def answers(self) -> dict[int, AssessmentAnswer]:
        return {answer.element_id: answer for answer in self.assessment.answers.all()}

    @property
    def rows(self) -> list[tuple[AssessmentDomain, list[tuple[AssessmentElement, Any]]]]:
        answers = self.answers
        return [
            (domain, [(element, answers.get(element.pk)) for element in elements])
            for domain, elements in self.domains
        ]


def assessment_page(
    *,
    practitioner: Practitioner,
    assessment_id: int,
    path: str,
    decide: Callable[[Practitioner, Assessment], policy.Decision] = policy.can_view_assessment,
    action: str = AccessAction.VIEWED,
) -> AssessmentPage:
    """One version of an assessment with its answers and elements, if the policy allows;
    the read and its access record for the child happen in one transaction. The number of
    queries does not depend on the number of elements or answers."""
    with transaction.atomic():
        assessment = get_object_or_404(
            _assessments().prefetch_related(
                Prefetch("answers", queryset=AssessmentAnswer.objects.all())
            ),
            pk=assessment_id,
        )
        decision = decide(practitioner, assessment)
        if not decision:
            raise PermissionDenied("You may not do this with this assessment.")
        elements = elements_for(assessment)
        audit.record_access(
            practitioner=practitioner,
            children=[assessment.child],
            decision=decision,
            action=action,
            what="Early help assessment",
            path=path,
        )
    return AssessmentPage(assessment, elements, decision.reason)


@dataclass(frozen=True)
class VersionComparison:
    older: Assessment
    newer: Assessment
    changes: Differences


@dataclass(frozen=True)
class VersionsPage:
    assessment: Assessment
    versions: list[Assessment]
    comparisons: list[VersionComparison]
    reason: str


def versions_page(*, practitioner: Practitioner, assessment_id: int, path: str) -> VersionsPage:
    """Every version of the assessment of this child in this episode, newest first, with
    the differences between each version and the one before it. Constant queries."""
    with transaction.atomic():
        assessment = get_object_or_404(_assessments(), pk=assessment_id)
        decision = policy.can_view_assessment(practitioner, assessment)
        if not decision:
            raise PermissionDenied("You may not see this assessment.")
        versions = list(
            _assessments()
            .filter(episode_id=assessment.episode_id, child_id=assessment.child_id)
            .prefetch_related("answers")
            .order_by("version")
        )
        answered = AssessmentAnswer.objects.filter(assessment__in=versions, element=OuterRef("pk"))
        elements = list(
            AssessmentElement.objects.filter(
                Q(is_active=True) | Q(Exists(answered))
            ).select_related("domain")
        )
        audit.record_access(
            practitioner=practitioner,
            children=[assessment.child],
            decision=decision,
            what="Early help assessment versions",
            path=path,
        )
    snapshots = [snapshot(version) for version in versions]
    comparisons = [
        VersionComparison(
            versions[i - 1], versions[i], differences(snapshots[i - 1], snapshots[i], elements)
        )
        for i in range(len(versions) - 1, 0, -1)
    ]
    return VersionsPage(assessment, list(reversed(versions)), comparisons, decision.reason)


def latest_assessments(episode: Episode) -> dict[int, Assessment]:
    """The latest version of each child's assessment in the episode, by child id."""
    latest: dict[int, Assessment] = {}
    for assessment in Assessment.objects.filter(episode=episode).order_by("child_id", "version"):
        latest[assessment.child_id] = assessment
    return latest
