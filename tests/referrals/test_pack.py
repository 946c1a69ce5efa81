"""The referral pack for a service outside Joined Up: the email text and the PDF."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.urls import reverse

from joinedup import pdf
from joinedup.referrals import lifecycle, pack
from joinedup.sharing.models import AccessBasis, AccessRecord
from tests.factories import ChildFactory, PractitionerFactory
from tests.referrals.factories import ServiceFactory, make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def outside_service(route="email", address="referrals@mediation.example"):
    return ServiceFactory(
        name="Family Mediation",
        contact_name="Jo Contact",
        accepts_referrals_in_app=False,
        how_to_refer_outside=route,
        referral_address=address,
    )


def outside_referral(service=None, **details):
    referrer = PractitionerFactory(
        first_name="Rita", last_name="Referrer", job_title="Class teacher", phone="01632 960123"
    )
    child = ChildFactory(
        given_name="Holly",
        family_name="Murphy",
        address_line_1="12 Quiet Lane",
        nhs_number="9434765919",
    )
    return make_referral(
        referrer=referrer,
        child=child,
        service=service or outside_service(),
        status="sent",
        **details,
    )


def page_texts(document) -> list[str]:
    """The text laid out on each page of a weasyprint Document, margin boxes included."""

    def text_of(box) -> list[str]:
        own = [box.text] if getattr(box, "text", None) else []
        return own + [part for child in getattr(box, "children", ()) for part in text_of(child)]

    return [" ".join(text_of(page._page_box)) for page in document.pages]


def pack_url(referral) -> str:
    return reverse("referrals:pack", kwargs={"outside_referral_id": referral.pk})


def pdf_url(referral) -> str:
    return reverse("referrals:pack-pdf", kwargs={"outside_referral_id": referral.pk})


def test_the_email_names_the_child_by_initials_and_lists_what_the_pack_shares():
    referral = outside_referral(shared_sections=("contact", "involvements"), urgency="urgent")
    copy = pack.referral_pack(
        practitioner=referral.referrer, referral_id=referral.pk, path="/", copy="email text"
    )
    email = copy.email
    assert email.subject == f"Referral {referral.reference} to Family Mediation (urgent)"
    assert email.body.startswith("Dear Jo Contact,")
    assert "initials H. M." in email.body
    assert referral.reason in email.body
    assert "This referral is urgent." in email.body
    assert (
        "The pack also includes: Address and parent or carer contact details; "
        "Who else is involved with the child." in email.body
    )
    assert "consent, given by a parent or carer" in email.body
    assert f"{referral.acknowledge_by:%-d %B %Y}" in email.body
    assert "Rita Referrer\nClass teacher" in email.body
    # Minimal identifiers: not the name, NHS number, date of birth or address.
    for identifier in ("Holly", "Murphy", "9434765919", "943 476 5919", "2015", "Quiet Lane"):
        assert identifier not in email.body
        assert identifier not in email.subject
    # Nor who gave consent: the pack says so.
    assert "Sam Parent" not in email.body


def test_the_pack_page_shows_the_email_and_a_mailto_link_and_is_recorded(client):
    referral = outside_referral()
    sign_in_verified(client, referral.referrer)
    response = client.get(pack_url(referral))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="mailto:referrals@mediation.example?subject=Referral%20' in page
    assert 'id="email-body"' in page
    assert "initials H. M." in page
    assert pdf_url(referral) in page
    assert "no-store" in response["Cache-Control"]
    record = AccessRecord.objects.get(what=f"Referral pack of {referral.reference}: email text")
    assert record.practitioner == referral.referrer
    assert record.child == referral.child
    assert record.basis == AccessBasis.REFERRER
    assert "a disclosure outside Joined Up" in record.reason


def test_the_mailto_link_carries_the_subject_and_body():
    referral = outside_referral()
    copy = pack.referral_pack(
        practitioner=referral.referrer, referral_id=referral.pk, path="/", copy="email text"
    )
    link = unquote(copy.mailto)
    assert link.startswith("mailto:referrals@mediation.example?subject=")
    assert copy.email.subject in link
    assert copy.email.body in link


@pytest.mark.parametrize(
    ("route", "address", "shown"),
    [
        ("phone", "01632 960999", 'href="tel:01632960999"'),
        ("web_form", "https://mediation.example/refer", 'href="https://mediation.example/refer"'),
    ],
)
def test_the_page_says_how_to_send_by_phone_or_web_form(client, route, address, shown):
    referral = outside_referral(service=outside_service(route=route, address=address))
    sign_in_verified(client, referral.referrer)
    page = client.get(pack_url(referral)).content.decode()
    assert shown in page
    assert "mailto:" not in page.split('id="send"')[1].split('id="replies"')[0]


def test_the_pdf_is_a_download_recorded_as_a_disclosure(client):
    referral = outside_referral()
    sign_in_verified(client, referral.referrer)
    response = client.get(pdf_url(referral))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == (
        f'attachment; filename="referral-{referral.reference}.pdf"'
    )
    assert "Murphy" not in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    record = AccessRecord.objects.get(what=f"Referral pack of {referral.reference}: PDF")
    assert record.practitioner == referral.referrer
    assert "a disclosure outside Joined Up" in record.reason


def test_every_page_of_the_pdf_names_the_child_with_the_date_and_page_numbers():
    referral = outside_referral(shared_sections=("contact", "setting", "involvements"))
    copy = pack.referral_pack(
        practitioner=referral.referrer, referral_id=referral.pk, path="/", copy="PDF"
    )
    pages = page_texts(pdf.render_pdf_document(pack.pack_html(copy)))
    for number, text in enumerate(pages, start=1):
        assert "Holly Murphy" in text
        assert f"printed {copy.printed_on:%-d %B %Y}" in text
        assert "Sensitive: keep safe" in text
        assert f"Page {number} of {len(pages)}" in text
    everything = " ".join(pages)
    assert "943 476 5919" in everything
    assert referral.reason in everything


def test_only_the_chosen_sections_appear_in_the_pack():
    referral = outside_referral(shared_sections=("contact",))
    copy = pack.referral_pack(
        practitioner=referral.referrer, referral_id=referral.pk, path="/", copy="PDF"
    )
    html = pack.pack_html(copy)
    assert 'id="shared-contact"' in html
    assert "12 Quiet Lane" in html
    for left_out in ("shared-setting", "shared-involvements", "shared-assessment", "shared-plan"):
        assert f'id="{left_out}"' not in html


def test_without_the_contact_section_the_address_stays_out():
    referral = outside_referral(shared_sections=("involvements",))
    copy = pack.referral_pack(
        practitioner=referral.referrer, referral_id=referral.pk, path="/", copy="PDF"
    )
    html = pack.pack_html(copy)
    assert "12 Quiet Lane" not in html
    assert 'id="shared-involvements"' in html


def test_others_get_403_and_leave_no_record(client):
    referral = outside_referral()
    staff = PractitionerFactory()
    referral.service.maintainers.add(staff)
    before = AccessRecord.objects.count()
    for person in (PractitionerFactory(), staff):
        sign_in_verified(client, person)
        assert client.get(pack_url(referral)).status_code == 403
        assert client.get(pdf_url(referral)).status_code == 403
    assert AccessRecord.objects.count() == before


def test_no_pack_once_the_referral_has_ended_or_for_a_service_in_joined_up(client):
    ended = outside_referral()
    lifecycle.withdraw(ended, by=ended.referrer, reason="No longer needed")
    in_app = make_referral(status="sent")
    for referral in (ended, in_app):
        sign_in_verified(client, referral.referrer)
        assert client.get(pack_url(referral)).status_code == 403


def test_without_pango_the_pdf_explains_with_a_503(client, monkeypatch):
    referral = outside_referral()

    def no_pango(name):
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf.importlib, "import_module", no_pango)
    sign_in_verified(client, referral.referrer)
    response = client.get(pdf_url(referral))
    assert response.status_code == 503
    text = response.content.decode()
    assert "PDFs are unavailable on this server" in text
    assert pack_url(referral) in text
    assert not AccessRecord.objects.filter(what__endswith=": PDF").exists()
