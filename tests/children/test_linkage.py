"""Identity matching in the app (children.linkage): batch linking, cannot-link, the review
queue, merge/undo, split, incremental matching after an import, events and permissions.

Most tests inject a small deterministic stand-in for the matching library's ``link`` (it
scores pairs by a simple rule, then uses the library's own cannot-link filter, clustering
and banding). Two tests run the real library on a few hundred generated records.
"""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from joinedup.children import linkage
from joinedup.children.feeds.importing import import_feed
from joinedup.children.matching import model as library
from joinedup.children.matching._normalise import prepare
from joinedup.children.models import (
    Child,
    Involvement,
    LinkEvent,
    LinkEventKind,
    MatchingModel,
    MatchReview,
    MatchReviewStatus,
    SourceRecord,
)
from joinedup.sharing.models import AccessRecord, SearchRecord
from tests.factories import AgencyFactory, ChildFactory, InvolvementFactory, PractitionerFactory
from tests.two_factor import sign_in_verified

# Valid NHS numbers outside the 999 test range (the matcher ignores test numbers).
TWIN_A_NHS = "4857773457"
TWIN_B_NHS = "9434765919"
SAME_NHS = "9434765870"

HEADINGS = [
    "Record ID",
    "Given name",
    "Family name",
    "Date of birth",
    "Sex",
    "NHS number",
    "Postcode",
    "Address line 1",
]


def feed_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    writer.writerows(rows)
    return out.getvalue().encode()


class StubLibrary:
    """The matching library's ``link`` with a simple scorer: same family name and date of
    birth → 0.99 with the same given name, 0.7 (the review band) without. Cannot-link,
    clustering and bands are the library's own."""

    Thresholds = library.Thresholds

    def __init__(self) -> None:
        self.calls = 0

    def link(self, frame: pd.DataFrame, thresholds: Any = None, *, seed: int = 42) -> Any:
        self.calls += 1
        thresholds = thresholds or library.Thresholds()
        prepared = prepare(frame)
        rows = []
        for i in range(len(prepared)):
            for j in range(i + 1, len(prepared)):
                a, b = prepared.iloc[i], prepared.iloc[j]
                if a["family_name"] == b["family_name"] and a["dob"] == b["dob"]:
                    rows.append((i, j, 0.99 if a["given_name"] == b["given_name"] else 0.7))
        pairs = pd.DataFrame(
            rows, columns=["unique_id_l", "unique_id_r", "match_probability"]
        ).astype({"unique_id_l": "int64", "unique_id_r": "int64", "match_probability": "float64"})
        nhs = library._identifier_codes(prepared["nhs_number"])
        upn = library._identifier_codes(prepared["upn"])
        pairs, _ = library.drop_conflicting_pairs(pairs, nhs, upn)
        auto = pairs[pairs["match_probability"] >= thresholds.high]
        cluster, _ = library.constrained_clusters(
            len(prepared),
            auto["unique_id_l"].to_numpy(),
            auto["unique_id_r"].to_numpy(),
            auto["match_probability"].to_numpy(),
            nhs,
            upn,
        )
        band, review_pairs = library.assign_bands(len(prepared), pairs, cluster, thresholds)
        return SimpleNamespace(
            prepared=prepared,
            pairs=pairs,
            cluster=cluster,
            band=band,
            review_pairs=review_pairs,
            linker=SimpleNamespace(misc=SimpleNamespace(save_model_to_json=dict)),
            thresholds=thresholds,
            timings={},
        )


@pytest.fixture
def stub(monkeypatch) -> StubLibrary:
    fake = StubLibrary()
    monkeypatch.setattr(linkage, "_library", lambda: fake)
    return fake


@pytest.fixture
def school(db):
    return AgencyFactory(name="Brook Lane Primary School")


@pytest.fixture
def health(db):
    return AgencyFactory(name="Exampleton Health Visiting")


@pytest.fixture
def manager(school):
    return PractitionerFactory(username="dm", home_agency=school, is_data_manager=True)


def record(agency, source_id: str) -> SourceRecord:
    return SourceRecord.objects.get(agency=agency, source_id=source_id)


def test_batch_links_records_to_known_and_new_children(stub, school, health):
    known = ChildFactory(
        given_name="Carl", family_name="Brown", nhs_number="", upn="", postcode="EX1 2AB"
    )
    import_feed(
        agency=school,
        file=feed_file(
            [
                ["S1", "Amy", "Smith", "14/03/2015", "F", SAME_NHS, "EX1 2AB", "1 Mill Lane"],
                ["S2", "Ben", "Jones", "02/11/2012", "M", "", "EX2 3CD", "5 Hill Road"],
                ["S3", "Carl", "Brown", "14/03/2015", "M", "", "EX1 2AB", ""],
            ]
        ),
        filename="school.csv",
    )
    import_feed(
        agency=health,
        file=feed_file([["H1", "Amy", "Smith", "2015-03-14", "Female", SAME_NHS, "", ""]]),
        filename="health.csv",
    )

    summary = linkage.link_all()

    assert summary.records == 4
    assert summary.children_created == 2  # Amy (two agencies' records) and Ben
    amy = record(school, "S1").child
    assert amy is not None and record(health, "H1").child == amy
    assert (amy.given_name, amy.family_name, amy.nhs_number) == ("Amy", "Smith", SAME_NHS)
    assert record(school, "S3").child == known  # linked to the child already known
    assert record(school, "S2").child not in {None, amy, known}
    links = LinkEvent.objects.filter(kind=LinkEventKind.LINKED)
    assert links.count() == 4 and not links.filter(performed_by__isnull=False).exists()
    assert MatchingModel.objects.count() == 1
    # Running again changes nothing.
    again = linkage.link_all()
    assert again.records_linked == 0 and again.children_created == 0
    assert LinkEvent.objects.filter(kind=LinkEventKind.LINKED).count() == 4


def test_twins_with_different_nhs_numbers_stay_apart_and_cannot_be_merged(stub, school, manager):
    import_feed(
        agency=school,
        file=feed_file(
            [
                ["T1", "Poppy", "Quennell", "14/06/2016", "F", TWIN_A_NHS, "LS6 2QT", "12 Road"],
                ["T2", "Poppy", "Quennell", "14/06/2016", "F", TWIN_B_NHS, "LS6 2QT", "12 Road"],
            ]
        ),
        filename="twins.csv",
    )
    linkage.link_all()
    first, second = record(school, "T1").child, record(school, "T2").child
    assert first is not None and second is not None and first != second
    with pytest.raises(ValidationError, match="different NHS numbers"):
        linkage.merge_children(keep=first, merge=second, by=manager, reason="Looks the same")
    assert Child.objects.get(pk=second.pk).merged_into is None


def _middle_band(school, health) -> MatchReview:
    import_feed(
        agency=school,
        file=feed_file([["S1", "Katie", "Smith", "14/03/2015", "F", "", "EX1 2AB", ""]]),
        filename="school.csv",
    )
    import_feed(
        agency=health,
        file=feed_file([["H1", "Kathleen", "Smith", "14/03/2015", "F", "", "EX1 2AB", ""]]),
        filename="health.csv",
    )
    summary = linkage.link_all()
    assert summary.reviews_queued == 1 and summary.children_created == 2
    return MatchReview.objects.get()


def test_middle_band_goes_to_review_and_linking_merges(stub, school, health, manager):
    review = _middle_band(school, health)
    assert review.status == MatchReviewStatus.PENDING and review.probability == 0.7
    assert review.child != review.candidate_child

    linkage.decide_review(review=review, decision="link", by=manager, reason="Same school")

    review.refresh_from_db()
    assert review.status == MatchReviewStatus.LINKED and review.decided_by == manager
    assert record(school, "S1").child == record(health, "H1").child
    merge = LinkEvent.objects.get(kind=LinkEventKind.MERGED)
    assert merge.performed_by == manager and merge.reason == "Same school"
    assert merge.match_probability == 0.7


def test_keeping_apart_is_recorded_and_not_asked_again(stub, school, health, manager):
    review = _middle_band(school, health)
    linkage.decide_review(review=review, decision="kept_apart", by=manager, reason="Cousins")
    review.refresh_from_db()
    assert review.status == MatchReviewStatus.KEPT_APART
    event = LinkEvent.objects.get(kind=LinkEventKind.KEPT_APART)
    assert (event.performed_by, event.reason) == (manager, "Cousins")
    assert record(school, "S1").child != record(health, "H1").child
    assert linkage.link_all().reviews_queued == 0
    assert MatchReview.objects.count() == 1
    with pytest.raises(ValidationError):
        linkage.decide_review(review=review, decision="link", by=manager, reason="Changed mind")


def _two_children(school, health):
    """Two records of one child: each with an agency's record and an involvement."""
    import_feed(
        agency=school,
        file=feed_file([["S1", "Amy", "Smith", "14/03/2015", "F", "", "EX1 2AB", ""]]),
        filename="school.csv",
    )
    import_feed(
        agency=health,
        file=feed_file([["H1", "Amie", "Smyth", "14/03/2015", "F", "", "EX1 2AB", ""]]),
        filename="health.csv",
    )
    linkage.link_all()
    keep, other = record(school, "S1").child, record(health, "H1").child
    assert keep is not None and other is not None and keep != other
    teacher = InvolvementFactory(child=keep, role="Class teacher")
    nurse = InvolvementFactory(child=other, role="Health visitor")
    return keep, other, teacher, nurse


def test_merge_then_undo_restores_both_children_exactly(stub, school, health, manager):
    keep, other, teacher, nurse = _two_children(school, health)

    merge = linkage.merge_children(keep=keep, merge=other, by=manager, reason="One child")

    assert set(keep.source_records.all()) == {record(school, "S1"), record(health, "H1")}
    assert set(keep.involvements.all()) == {teacher, nurse}
    assert Child.objects.get(pk=other.pk).merged_into == keep
    assert merge.moved_source_records == [record(health, "H1").pk]
    assert merge.moved_involvements == [nurse.pk]
    assert AccessRecord.objects.filter(practitioner=manager, action="changed").count() == 2

    undo = linkage.undo_link_event(event=merge, by=manager, reason="Two children after all")

    assert undo.reverses == merge and undo.performed_by == manager
    assert list(keep.source_records.all()) == [record(school, "S1")]
    assert list(Child.objects.get(pk=other.pk).source_records.all()) == [record(health, "H1")]
    assert list(keep.involvements.all()) == [teacher]
    assert list(Involvement.objects.filter(child=other)) == [nurse]
    assert Child.objects.get(pk=other.pk).merged_into is None
    with pytest.raises(PermissionDenied):  # undone once only
        linkage.undo_link_event(event=merge, by=manager, reason="Again")


def test_split_moves_records_and_involvements_and_can_be_undone(stub, school, health, manager):
    keep, other, teacher, nurse = _two_children(school, health)
    linkage.merge_children(keep=keep, merge=other, by=manager, reason="One child")
    health_record = record(health, "H1")

    split = linkage.split_child(
        child=keep,
        source_records=[health_record],
        involvements=[nurse],
        by=manager,
        reason="The health visitor's record is a cousin",
    )

    new = split.child
    assert new is not None and new != keep and split.other_child == keep
    assert (new.given_name, new.family_name) == ("Amie", "Smyth")
    assert list(new.source_records.all()) == [health_record]
    assert list(new.involvements.all()) == [nurse]
    assert list(keep.involvements.all()) == [teacher]
    with pytest.raises(ValidationError, match="at least one record"):
        linkage.split_child(
            child=keep, source_records=[record(school, "S1")], by=manager, reason="All"
        )

    linkage.undo_link_event(event=split, by=manager, reason="It was the same child")
    assert set(keep.source_records.all()) == {record(school, "S1"), health_record}
    assert set(keep.involvements.all()) == {teacher, nurse}
    assert Child.objects.get(pk=new.pk).merged_into == keep


def test_only_data_managers_of_the_childs_agencies_decide(stub, school, health, manager):
    review = _middle_band(school, health)
    other_agency = PractitionerFactory(
        username="elsewhere", home_agency=AgencyFactory(name="Far Away"), is_data_manager=True
    )
    teacher = PractitionerFactory(username="teacher", home_agency=school)
    for person in (other_agency, teacher):
        with pytest.raises(PermissionDenied):
            linkage.decide_review(review=review, decision="link", by=person, reason="Yes")
        with pytest.raises(PermissionDenied):
            linkage.merge_children(
                keep=review.candidate_child, merge=review.child, by=person, reason="Yes"
            )
    assert MatchReview.objects.get().status == MatchReviewStatus.PENDING


def test_review_pages_record_access_and_decide_in_the_browser_form(
    stub, client, school, health, manager
):
    review = _middle_band(school, health)
    sign_in_verified(client, manager)

    queue = client.get(reverse("children:matching"))
    assert queue.status_code == 200 and b"1</strong> possible match" in queue.content
    assert AccessRecord.objects.filter(practitioner=manager, action="listed").count() == 2

    page = client.get(reverse("children:matching-review", kwargs={"review_id": review.pk}))
    assert page.status_code == 200
    assert b"Katie" in page.content and b"Kathleen" in page.content
    viewed = AccessRecord.objects.filter(practitioner=manager, action="viewed")
    assert {a.child_id for a in viewed} == {review.child_id, review.candidate_child_id}

    refused = client.post(
        reverse("children:matching-review", kwargs={"review_id": review.pk}), {"decision": "link"}
    )
    assert refused.status_code == 400 and b"Say why you decided this" in refused.content

    done = client.post(
        reverse("children:matching-review", kwargs={"review_id": review.pk}),
        {"decision": "link", "reason": "Same address and school"},
    )
    assert done.status_code == 302
    assert MatchReview.objects.get().status == MatchReviewStatus.LINKED

    linking = client.get(
        reverse("children:linking", kwargs={"child_id": review.candidate_child_id})
    )
    assert linking.status_code == 200 and b"Undo" in linking.content


def test_merge_and_split_pages(stub, client, school, health, manager):
    keep, other, _teacher, _nurse = _two_children(school, health)
    sign_in_verified(client, manager)
    url = reverse("children:merge", kwargs={"child_id": keep.pk})
    confirm = client.get(url, {"other": other.pk})
    assert confirm.status_code == 200 and b"Merge the records" in confirm.content
    assert client.post(f"{url}?other={other.pk}", {"reason": "One child"}).status_code == 302
    assert Child.objects.get(pk=other.pk).merged_into == keep

    split_url = reverse("children:split", kwargs={"child_id": keep.pk})
    data = {"records": [str(record(health, "H1").pk)], "reason": "A cousin"}
    check = client.post(split_url, data)
    assert check.status_code == 200 and b"Check before you split" in check.content
    assert client.post(split_url, {**data, "confirm": "yes"}).status_code == 302
    assert record(health, "H1").child not in {keep, other}


def test_merge_page_finds_the_other_record_by_name_and_date_of_birth(
    stub, client, school, health, manager
):
    keep, other, _teacher, _nurse = _two_children(school, health)
    sign_in_verified(client, manager)
    url = reverse("children:merge", kwargs={"child_id": keep.pk})
    searches = SearchRecord.objects.count()
    found = client.get(
        url,
        {
            "name": "Amie Smyth",
            "date_of_birth_day": "14",
            "date_of_birth_month": "3",
            "date_of_birth_year": "2015",
        },
    )
    assert found.status_code == 200
    # Each result but this child links to the merge form filled in with its ID.
    assert f'href="?other={other.pk}"'.encode() in found.content
    assert f'href="?other={keep.pk}"'.encode() not in found.content
    assert b"This record" in found.content
    assert SearchRecord.objects.count() == searches + 1  # the search is recorded
    chosen = client.get(url, {"other": other.pk})
    assert chosen.status_code == 200 and b"Merge the records" in chosen.content

    # The search's own checks, shown on the merge page.
    empty = client.get(url, {"name": "", "date_of_birth_day": ""})
    assert empty.status_code == 200 and b"There is a problem" in empty.content
    assert SearchRecord.objects.count() == searches + 1


# The real matching library ---------------------------------------------------------------


def generated_feeds(n: int, seed: int) -> pd.DataFrame:
    from joinedup.children.matching.generator import generate

    frame = generate(n, seed=seed)
    frame["record_id"] = np.arange(len(frame))
    return frame


def as_feed(frame: pd.DataFrame) -> bytes:
    rows = [
        [
            f"R{i}",
            *(
                "" if pd.isna(row[c]) else str(row[c])
                for c in (
                    "given_name",
                    "family_name",
                    "date_of_birth",
                    "sex",
                    "nhs_number",
                    "postcode",
                    "address_line_1",
                )
            ),
        ]
        for i, row in frame.iterrows()
    ]
    return feed_file(rows)


@pytest.mark.django_db
def test_real_library_batch_then_incremental_match_without_a_rebuild(monkeypatch, school, health):
    frame = generated_feeds(240, seed=11)
    import_feed(agency=school, file=as_feed(frame), filename="generated.csv")
    summary = linkage.link_all(seed=11)
    assert summary.records == SourceRecord.objects.count() > 200
    assert 0 < summary.children_created < summary.records  # duplicates were linked
    # Cannot-link holds across the whole index: no child holds two NHS numbers.
    for child in Child.objects.filter(merged_into__isnull=True):
        numbers = {n for n in child.source_records.values_list("nhs_number", flat=True) if n}
        assert len(numbers) <= 1

    # A record that arrives later is matched on its own, against the index as it stands.
    original = SourceRecord.objects.exclude(nhs_number="").exclude(postcode="").first()
    assert original is not None and original.child is not None
    models_before = MatchingModel.objects.count()

    def no_rebuild(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a full rebuild ran for one record")

    monkeypatch.setattr(linkage, "link_all", no_rebuild)
    monkeypatch.setattr(library, "link", no_rebuild)
    monkeypatch.setattr(library, "train", no_rebuild)
    values = linkage._record_row(original)
    import_feed(
        agency=health,
        file=feed_file(
            [
                [
                    "NEW1",
                    values["given_name"] or "",
                    values["family_name"] or "",
                    values["date_of_birth"] or "",
                    values["sex"] or "",
                    values["nhs_number"] or "",
                    values["postcode"] or "",
                    values["address_line_1"] or "",
                ]
            ]
        ),
        filename="one.csv",
    )
    arrived = record(health, "NEW1")
    assert arrived.child == original.child
    assert MatchingModel.objects.count() == models_before
    event = LinkEvent.objects.get(source_record=arrived, kind=LinkEventKind.LINKED)
    assert event.performed_by is None and (event.match_probability or 0.0) >= 0.95
    assert event.evidence["fields"] and event.evidence["match_weight"] > 0


@pytest.mark.django_db
def test_real_library_review_evidence_names_each_field(school):
    frame = generated_feeds(240, seed=11)
    import_feed(agency=school, file=as_feed(frame), filename="generated.csv")
    model_row = linkage.current_model() or linkage.train_model(seed=11)
    records = list(SourceRecord.objects.select_related("agency", "last_feed")[:2])
    prepared = prepare(linkage._frame([linkage._Entry(record=r) for r in records]))
    evidence = linkage.pair_evidence(model_row.settings, prepared.iloc[[0]], prepared.iloc[[1]])
    labels = {item["label"] for item in evidence["fields"]}
    assert {"Given name", "Family name", "Date of birth", "NHS number"} <= labels
    assert {item["agreement"] for item in evidence["fields"]} <= {
        "agree",
        "partial",
        "disagree",
        "missing",
    }


@pytest.mark.parametrize(
    ("splink_label", "plain"),
    [
        ("Exact match on dob", "The same"),
        ("Jaro-Winkler distance of family_name >= 0.92", "Spelt almost the same"),
        ("Jaro-Winkler distance of given_name >= 0.8", "Spelt similarly"),
        ("Exact match on postcode_district", "Same postcode district"),
        ("All other comparisons", "Different"),
        ("day and month swapped", "Day and month swapped"),
    ],
)
def test_evidence_is_described_in_plain_words(splink_label, plain):
    assert linkage.plain_level(splink_label) == plain


@pytest.mark.django_db
def test_real_library_one_call_links_two_records_of_one_new_child(monkeypatch, school, health):
    frame = generated_feeds(240, seed=11)
    import_feed(agency=school, file=as_feed(frame), filename="generated.csv")
    linkage.link_all(seed=11)
    before = set(Child.objects.values_list("pk", flat=True))
    nurse = AgencyFactory(name="School Nursing")
    row = ["Zebedee", "Quillfeather", "2016-02-29", "M", SAME_NHS, "ZZ9 9ZZ", "1 Nowhere Lane"]
    twin_a = ["Persephone", "Wolstenholme", "2015-07-11", "F", TWIN_A_NHS, "ZZ8 8ZZ", "2 Far Row"]
    twin_b = ["Persephone", "Wolstenholme", "2015-07-11", "F", TWIN_B_NHS, "ZZ8 8ZZ", "2 Far Row"]
    # Both agencies' records arrive before either is matched; then one call matches all
    # four, record by record: neither child is in the index when the call starts.
    monkeypatch.setattr(linkage, "match_feed", lambda **kwargs: None)
    import_feed(agency=health, file=feed_file([["N1", *row], ["T1", *twin_a]]), filename="a.csv")
    import_feed(agency=nurse, file=feed_file([["N2", *row], ["T2", *twin_b]]), filename="b.csv")
    arrived = SourceRecord.objects.filter(agency__in=[health, nurse]).order_by("pk")
    assert not arrived.filter(child__isnull=False).exists()
    summary = linkage.match_source_records(linkage._source_records().filter(pk__in=arrived))
    assert summary.matched == 4
    assert record(health, "N1").child == record(nurse, "N2").child is not None
    # Twins (different NHS numbers) in one feed stay two children.
    assert record(health, "T1").child != record(nurse, "T2").child
    assert Child.objects.exclude(pk__in=before).count() == 3
    assert summary.linked == 1 and summary.children_created == 3
