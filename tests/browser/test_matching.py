"""Identity matching in the browser: the demo data manager opens the review queue, decides
a possible match, merges two children, undoes the merge (both restored) and splits a
child. Every page is screenshotted and checked with axe-core and for CSP violations.

The demo area's four agency feeds are imported and linked with the real matching library;
one extra school record (a variant of a demo child) is put in the review queue with the
trained model's evidence, so the queue is never empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from joinedup.children import linkage
from joinedup.children.feeds.importing import import_feed
from joinedup.children.matching._normalise import prepare
from joinedup.children.models import Child, LinkEvent, LinkEventKind, SourceRecord
from joinedup.demo.feeds import SPECS, write_demo_feeds
from joinedup.partnerships.models import Agency
from tests.browser.support import PageChecker, sign_in

pytestmark = pytest.mark.browser

SCHOOL = next(spec for spec in SPECS if spec.key == "brookfield_school")


def link_demo_feeds(tmp_path: Path) -> None:
    for written in write_demo_feeds(tmp_path):
        mapping = json.loads(Path(written.mapping_path).read_text(encoding="utf-8"))
        import_feed(
            agency=Agency.objects.get(name=written.agency),
            file=Path(written.path).read_bytes(),
            filename=Path(written.path).name,
            mapping=mapping,
        )
    linkage.link_all(seed=7)


def queue_a_possible_match() -> tuple[Child, Child]:
    """A school record of a demo child typed differently, on a child of its own, queued
    against the demo child with the trained model's evidence."""
    school = Agency.objects.get(name=SCHOOL.agency)
    known = SourceRecord.objects.filter(agency=school, child__isnull=False).first()
    assert known is not None and known.child is not None
    child = known.child
    feed = import_feed(
        agency=school,
        file=(
            "Record ID,Given name,Family name,Date of birth,Postcode\r\n"
            f"LATE1,{child.given_name[:3]},{child.family_name},"
            f"{child.date_of_birth:%d/%m/%Y},{child.postcode}\r\n"
        ).encode(),
        filename="late.csv",
    )
    record = SourceRecord.objects.get(agency=school, source_id="LATE1")
    if record.child is not None and record.child != child:
        new = record.child
    else:
        new_child = linkage._new_child([record], by=None, reason="A possible match to review")
        assert new_child is not None
        SourceRecord.objects.filter(pk=record.pk).update(child=new_child)
        new = new_child
    model_row = linkage.current_model()
    assert model_row is not None and feed.status == "done"
    entries = [linkage._Entry(record=record), linkage._Entry(record=known)]
    prepared = prepare(linkage._frame(entries))
    evidence = linkage.pair_evidence(model_row.settings, prepared.iloc[[0]], prepared.iloc[[1]])
    linkage._queue_review(
        child=new,
        candidate=child,
        source_record=record,
        candidate_record=known,
        probability=0.8,
        evidence=evidence,
    )
    return new, child


def test_data_manager_reviews_merges_undoes_and_splits(
    page: Page, demo, checker: PageChecker, tmp_path: Path
) -> None:
    link_demo_feeds(tmp_path)
    new, candidate = queue_a_possible_match()
    school = Agency.objects.get(name=SCHOOL.agency)

    sign_in(page, "datamanager", demo.password, checker)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Matching").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible matches to review")
    checker.check("datamanager-matching-queue")

    # The possible match: both children's records side by side, with the evidence.
    page.get_by_role("link", name=f"Review the possible match of {new.full_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are these records about the same child?"
    )
    expect(page.get_by_role("table", name="The evidence")).to_contain_text("Date of birth")
    checker.check("datamanager-matching-review")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose whether")
    checker.check("datamanager-matching-review-error", expected_status=400)
    page.get_by_label("Yes — link them: they are one child").check()
    page.get_by_label("Why?").fill("Same pupil: the school typed a short name")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible matches to review")
    assert Child.objects.get(pk=new.pk).merged_into_id == candidate.pk

    # Merge another child into the candidate: from the child's linked records page.
    # Another agency's child that cannot-link allows (no different NHS number or UPN).
    other = next(
        child
        for child in Child.objects.filter(merged_into__isnull=True, source_records__isnull=False)
        .exclude(pk=candidate.pk)
        .exclude(source_records__agency=school)
        .distinct()
        .order_by("pk")
        if not linkage.cannot_link_reason(candidate, child)
    )
    assert other is not None
    other_records = set(other.source_records.values_list("pk", flat=True))
    other_involvements = set(other.involvements.values_list("pk", flat=True))
    page.goto(reverse("children:linking", kwargs={"child_id": candidate.pk}))
    expect(page.get_by_role("heading", level=1)).to_have_text("Linked records")
    checker.check("datamanager-matching-linking")
    page.get_by_label("Joined Up ID of the other record").fill(str(other.pk))
    page.get_by_role("button", name="Compare the records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are these one child?")
    checker.check("datamanager-matching-merge-confirm")
    problem = page.locator(".govuk-warning-text")
    if problem.count():  # two NHS numbers: cannot-link refuses it, as it should
        pytest.fail(f"The chosen records cannot be merged: {problem.inner_text()}")
    page.get_by_label("Why?").fill("The same child, recorded twice")
    page.get_by_role("button", name="Merge the records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linked records")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The records are merged")
    assert Child.objects.get(pk=other.pk).merged_into_id == candidate.pk
    checker.check("datamanager-matching-merged")

    # Undo the merge: both children restored with their records and involvements.
    merge = LinkEvent.objects.get(kind=LinkEventKind.MERGED, other_child=other)
    page.locator(f"a[href='{reverse('children:undo-link-event', args=[merge.pk])}']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Undo the merge")
    checker.check("datamanager-matching-undo")
    page.get_by_label("Why?").fill("Two children after all: the GP confirmed")
    page.get_by_role("button", name="Undo the merge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linked records")
    other.refresh_from_db()
    assert other.merged_into_id is None
    assert set(other.source_records.values_list("pk", flat=True)) == other_records
    assert set(other.involvements.values_list("pk", flat=True)) == other_involvements

    # Split the record linked by the review back out of the candidate.
    page.get_by_role("link", name="Split this child").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Split this child's records")
    checker.check("datamanager-matching-split")
    page.get_by_label("LATE1", exact=False).check()
    page.get_by_label("Why are they a different child?").fill("A different pupil")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you split")
    checker.check("datamanager-matching-split-confirm")
    page.get_by_role("button", name="Split the records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linked records")
    late = SourceRecord.objects.get(agency=school, source_id="LATE1")
    assert late.child_id not in {candidate.pk, None}
    checker.check("datamanager-matching-history")
    checker.assert_no_problems()
