"""The tamper-evident audit (issue 6): sealing audit records into a hash chain, and the
verify command a data protection officer runs to prove nothing was changed."""

from __future__ import annotations

import datetime
import io
import logging

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from joinedup.children import retention
from joinedup.children.models import Child
from joinedup.demo.load import flush_demo_data
from joinedup.sharing import audit, chain
from joinedup.sharing.disclosures import record_disclosure
from joinedup.sharing.models import (
    AccessBasis,
    AccessRecord,
    AppendOnlyError,
    AuditChainHead,
    AuditChainLink,
    Disclosure,
    SearchRecord,
)
from joinedup.sharing.policy import Decision
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory

pytestmark = pytest.mark.django_db


def access(child=None, *, practitioner=None, **fields) -> AccessRecord:
    values = {
        "practitioner": practitioner or PractitionerFactory(),
        "child": child or ChildFactory(),
        "action": "viewed",
        "what": "Child record",
        "basis": AccessBasis.INVOLVEMENT,
        "reason": "Class teacher",
        "path": "/children/1/",
    }
    values.update(fields)
    if "id" in values:  # an explicit id, as a late or forged insert has: save() refuses it
        return AccessRecord.objects.bulk_create([AccessRecord(**values)])[0]
    return AccessRecord.objects.create(**values)


def disclose(child, by) -> Disclosure:
    with transaction.atomic():
        return record_disclosure(
            child=child,
            disclosed_by=by,
            kind="paper_copy",
            what="The child's record",
            recipient="Brook Lane Primary School",
            why="For the review meeting",
            basis="relationship",
        )


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args: str) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue(), str(failure.value)


def sealed_records(count: int = 3) -> list[AccessRecord]:
    practitioner = PractitionerFactory()
    records = [access(practitioner=practitioner, what=f"Part {n}") for n in range(count)]
    chain.seal_pending()
    return records


def test_sealing_appends_one_link_per_record_in_order_and_only_once():
    practitioner = PractitionerFactory()
    first, second = access(practitioner=practitioner), access(practitioner=practitioner)
    disclosure = disclose(first.child, practitioner)
    search = SearchRecord.objects.create(
        practitioner=practitioner, parameters={"name": "Amy"}, result_child_ids=[1]
    )

    result = chain.seal_pending()

    links = list(AuditChainLink.objects.order_by("sequence"))
    assert [(link.sequence, link.stream, link.object_id) for link in links] == [
        (1, "access", first.pk),
        (2, "access", second.pk),
        (3, "disclosure", disclosure.pk),
        (4, "search", search.pk),
    ]
    assert links[0].previous_hash == chain.GENESIS_HASH
    assert [link.previous_hash for link in links[1:]] == [link.hash for link in links[:-1]]
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.last_hash) == (4, links[-1].hash)
    assert result.total == 4
    assert chain.seal_pending().total == 0
    assert AuditChainLink.objects.count() == 4


def test_links_refuse_to_be_changed_or_deleted_one_by_one():
    sealed_records(1)
    link = AuditChainLink.objects.get()
    with pytest.raises(AppendOnlyError):
        link.delete()
    with pytest.raises(AppendOnlyError):
        link.save()


def test_verify_passes_on_an_untouched_chain_and_prints_the_head_hash():
    sealed_records(3)
    head = AuditChainHead.objects.get()

    output = verify()

    assert "Checked 3 link(s) in 1 kind(s) of record (access 3)" in output
    assert f"Head of the chain: link 3, hash {head.last_hash}" in output
    assert "The audit is intact: nothing was changed." in output


def test_verify_seals_nothing_unless_asked():
    access()

    output = verify()

    assert not AuditChainLink.objects.exists()
    assert "1 record(s) are not sealed yet" in output
    output = verify("--seal")
    assert "Sealed 1 record(s) not yet in the chain." in output
    assert "Checked 1 link(s)" in output
    assert "The audit is intact" in output


def test_an_access_record_edited_after_sealing_is_reported_as_changed():
    _, edited, _ = sealed_records(3)
    AccessRecord.objects.filter(pk=edited.pk).update(what="Something else")

    output, error = verify_fails()

    assert f"Access record {edited.pk} has been changed since it was sealed (link 2)." in output
    assert "The audit has been tampered with: 1 record(s) changed after they were sealed." in error


def test_a_reason_edited_with_raw_sql_is_a_change_not_a_redaction():
    _, edited, _ = sealed_records(3)
    table = AccessRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET reason = %s WHERE id = %s", ["Nothing", edited.pk])  # noqa: S608

    output, _ = verify_fails()

    assert (
        f"Access record {edited.pk} has been changed since it was sealed (link 2): its reason "
        "is different, and not by retention." in output
    )
    assert "redacted by retention" not in output


def test_a_deleted_access_record_is_reported():
    _, deleted, _ = sealed_records(3)
    AccessRecord.objects.filter(pk=deleted.pk).delete()

    output, error = verify_fails()

    assert f"Access record {deleted.pk} was deleted after it was sealed (link 2)." in output
    assert "1 record(s) deleted after they were sealed" in error


def test_a_deleted_link_breaks_the_chain_and_leaves_its_record_outside_it():
    _, unlinked, _ = sealed_records(3)
    AuditChainLink.objects.filter(sequence=2).delete()

    output, error = verify_fails()

    assert "The chain has a gap: link 2 is missing." in output
    assert "Link 3 does not follow the link before it" in output
    assert f"Access record {unlinked.pk} is not in the chain, though newer records are" in output
    assert "break(s) in the chain" in error


def test_swapped_links_are_reported():
    sealed_records(3)
    # Swap links 2 and 3 (through a free sequence number: it is unique).
    AuditChainLink.objects.filter(sequence=2).update(sequence=-2)
    AuditChainLink.objects.filter(sequence=3).update(sequence=2)
    AuditChainLink.objects.filter(sequence=-2).update(sequence=3)

    output, _ = verify_fails()

    assert "Link 2 does not follow the link before it" in output
    assert "Link 2 has been changed (its hash is wrong)." in output


def test_an_edited_link_hash_is_reported():
    sealed_records(3)
    AuditChainLink.objects.filter(sequence=2).update(hash="f" * 64)

    output, _ = verify_fails()

    assert "Link 2 has been changed (its hash is wrong)." in output
    assert "Link 3 does not follow the link before it" in output


def test_a_rewritten_link_and_head_still_fail_on_the_record_digest():
    # Someone recomputes a link to match an edited row but cannot fix the rest cheaply:
    # the next link still names the old hash.
    _, edited, _ = sealed_records(3)
    AccessRecord.objects.filter(pk=edited.pk).update(what="Something else")
    AuditChainLink.objects.filter(sequence=2).update(digest="0" * 64)

    output, _ = verify_fails()

    assert "Link 2 has been changed (its hash is wrong)." in output
    assert f"Access record {edited.pk} has been changed since it was sealed" in output


def test_links_removed_from_the_end_are_reported_by_the_head():
    sealed_records(3)
    AuditChainLink.objects.filter(sequence=3).delete()

    output, error = verify_fails()

    assert "The chain ends at link 2 but its head says link 3" in output
    assert "problem(s) with the end of the chain" in error


def test_a_record_inserted_behind_sealed_records_is_reported():
    practitioner = PractitionerFactory()
    child = ChildFactory()
    first = access(child, practitioner=practitioner)
    # A gap in the ids: the id below may belong to a transaction not yet committed.
    later = access(child, practitioner=practitioner, id=first.pk + 2)
    chain.seal_pending()
    assert AuditChainHead.objects.get().pending == {"access": {str(first.pk + 1): mock_any()}}
    # An hour on, the gap is given up (its transaction rolled back).
    result = chain.seal_pending(now=timezone.now() + datetime.timedelta(hours=2))
    assert result.given_up == 1
    inserted = access(child, practitioner=practitioner, id=first.pk + 1)

    output, error = verify_fails()

    assert later.pk > inserted.pk
    assert (
        f"Access record {inserted.pk} is not in the chain, though newer records are: it was "
        "inserted outside the chain, or its link was deleted." in output
    )
    assert "1 record(s) inserted outside the chain" in error


def test_a_record_committed_late_below_a_sealed_one_is_sealed_when_it_appears():
    practitioner = PractitionerFactory()
    first = access(practitioner=practitioner)
    access(practitioner=practitioner, id=first.pk + 2)
    chain.seal_pending()
    late = access(practitioner=practitioner, id=first.pk + 1)

    output = verify()
    assert "1 record(s) are not sealed yet" in output
    chain.seal_pending()

    assert AuditChainLink.objects.filter(stream="access", object_id=late.pk).exists()
    assert AuditChainHead.objects.get().pending == {}
    assert "The audit is intact" in verify()


class mock_any:
    def __eq__(self, other: object) -> bool:
        return True


def test_a_retention_purge_is_reported_as_redaction_not_tampering():
    involvement = InvolvementFactory()
    child = involvement.child
    stranger = PractitionerFactory()
    stated = access(
        child,
        practitioner=stranger,
        basis=AccessBasis.STATED_REASON,
        reason="Concern raised about Amy today",
    )
    viewed = access(child, practitioner=involvement.practitioner)
    disclosure = disclose(child, involvement.practitioner)
    other = access(practitioner=stranger)
    chain.seal_pending()
    Child.objects.filter(pk=child.pk).update(archived_on=datetime.date(2020, 1, 1))

    retention.apply_retention(today=datetime.date(2031, 9, 1))

    assert not Child.objects.filter(pk=child.pk).exists()
    stated.refresh_from_db()
    assert stated.reason == retention.REDACTED_REASON
    output = verify()
    assert (
        f"Access record {stated.pk} was redacted by retention when its child's record was "
        "purged (expected, not a change)." in output
    )
    assert f"Disclosure {disclosure.pk} was redacted by retention" in output
    assert f"Access record {viewed.pk} was redacted" not in output  # only detached
    assert f"Access record {other.pk}" not in output
    assert "2 record(s) redacted by retention (expected, not changes)." in output
    assert "The audit is intact" in output


def test_a_disclosure_detached_from_a_child_who_was_not_purged_is_a_change():
    practitioner = PractitionerFactory()
    disclosure = disclose(ChildFactory(), practitioner)
    chain.seal_pending()
    Disclosure.objects.filter(pk=disclosure.pk).update(child=None)

    output, _ = verify_fails()

    assert (
        f"Disclosure {disclosure.pk} has been changed since it was sealed (link 1): its child "
        "is different, and not by retention." in output
    )


def test_a_redacted_reason_on_a_record_still_attached_is_a_change():
    record = access(basis=AccessBasis.STATED_REASON, reason="Concern about Amy")
    chain.seal_pending()
    AccessRecord.objects.filter(pk=record.pk).update(reason=retention.REDACTED_REASON)

    output, _ = verify_fails()

    assert "its reason is different, and not by retention" in output


def test_records_written_through_the_services_are_sealed_after_commit(
    django_capture_on_commit_callbacks,
):
    practitioner = PractitionerFactory()
    children = [ChildFactory(), ChildFactory()]
    decision = Decision(True, basis=AccessBasis.INVOLVEMENT, reason="Class teacher")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        audit.record_access(practitioner=practitioner, children=children, decision=decision)
        audit.record_search(
            practitioner=practitioner, parameters={"name": "Amy"}, result_child_ids=[]
        )
        disclose(children[0], practitioner)

    assert len(callbacks) == 1  # one seal per transaction, however many records
    assert list(AuditChainLink.objects.values_list("stream", flat=True)) == [
        "access",
        "access",
        "disclosure",
        "search",
    ]


def test_a_failed_seal_never_breaks_the_request(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(chain, "seal_pending", broken)
    practitioner = PractitionerFactory()
    decision = Decision(True, basis=AccessBasis.INVOLVEMENT, reason="Class teacher")
    child = ChildFactory()
    with (
        caplog.at_level(logging.ERROR, logger="joinedup.sharing.chain"),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        audit.record_access(practitioner=practitioner, children=[child], decision=decision)

    assert AccessRecord.objects.count() == 1
    assert "Sealing the audit chain after a commit failed" in caplog.text
    monkeypatch.undo()
    assert "Sealed 1 record(s) (access 1)." in seal_command()


def seal_command() -> str:
    out = io.StringIO()
    call_command("seal_audit_chain", stdout=out)
    return out.getvalue()


def test_the_demo_flush_resets_the_chain():
    practitioner = PractitionerFactory(home_agency=None)
    access(practitioner=practitioner)
    SearchRecord.objects.create(practitioner=practitioner, parameters={}, result_child_ids=[])
    chain.seal_pending()

    flush_demo_data()

    assert not AuditChainLink.objects.exists()
    assert not AuditChainHead.objects.exists()
    # What the flush keeps (searches by other accounts) starts a new chain.
    chain.seal_pending()
    assert list(AuditChainLink.objects.values_list("sequence", "stream")) == [(1, "search")]
    assert "The audit is intact" in verify()


def test_sealing_many_records_uses_several_short_transactions():
    practitioner = PractitionerFactory()
    child = ChildFactory()
    AccessRecord.objects.bulk_create(
        AccessRecord(
            practitioner=practitioner,
            child=child,
            action="viewed",
            what="Child record",
            basis=AccessBasis.INVOLVEMENT,
            reason="Class teacher",
        )
        for _ in range(25)
    )

    result = chain.seal_pending(batch_size=10)

    assert result.total == 25
    assert AuditChainHead.objects.get().sequence == 25
    checked = chain.verify_chain(chunk_size=7)
    assert (checked.links, checked.ok) == (25, True)


def test_the_demo_area_with_its_referral_history_verifies():
    # Enough children for the demo's referrals, whose history is dated in the past.
    call_command("load_demo", "--children", "500", "--seed", "4", verbosity=0, stdout=io.StringIO())
    backdated = AccessRecord.objects.filter(
        what__startswith="Referral", occurred_at__lt=timezone.now() - datetime.timedelta(days=3)
    )
    assert backdated.exists()

    output = verify("--seal")

    assert "The audit is intact" in output
    sealed = AuditChainLink.objects.count()
    assert sealed >= AccessRecord.objects.count() > 0


def test_the_chain_keys_children_as_the_purge_does():
    assert chain._child_reference(7, key=None) == retention.child_reference(7)
    assert chain._child_reference(7, key=settings.SECRET_KEY) == retention.child_reference(7)


def test_records_sealed_before_a_secret_key_change_verify_with_the_old_key_as_fallback(
    settings,
):
    record = access()
    disclose(record.child, record.practitioner)
    chain.seal_pending()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-" + "x" * 50

    output, _ = verify_fails()
    assert f"Access record {record.pk} has been changed since it was sealed" in output

    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert "The audit is intact" in verify()


def test_a_purge_imitated_by_hand_without_a_purge_record_is_a_change():
    record = access(basis=AccessBasis.STATED_REASON, reason="Concern about Amy")
    chain.seal_pending()
    AccessRecord.objects.filter(pk=record.pk).update(
        child=None,
        purged_child_reference=retention.child_reference(record.child_id),
        reason=retention.REDACTED_REASON,
    )

    output, _ = verify_fails()

    assert f"Access record {record.pk} has been changed since it was sealed" in output
    assert "redacted by retention" not in output


def test_a_wholesale_change_is_summarised_not_listed_row_by_row(monkeypatch):
    monkeypatch.setattr(chain, "MAX_MESSAGES", 2)
    sealed_records(3)
    AccessRecord.objects.update(what="Something else")

    output, error = verify_fails()

    assert output.count("has been changed since it was sealed") == 2
    assert "… and 1 more record(s) changed after they were sealed." in output
    assert "3 record(s) changed after they were sealed" in error
