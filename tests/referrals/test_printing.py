"""The printable directory: the print page, its PDF, and the PDF's refusal to fetch
anything but the app's own static files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from joinedup import pdf
from tests.factories import PractitionerFactory
from tests.referrals.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    ServiceFactory(name="Talk time", needs=["speech-language-communication"], districts=["AW1"])
    ServiceFactory(name="Calm kids", needs=["behaviour"], districts=["AW2"])
    ServiceFactory(name="Everywhere help", serves_all_districts=True, districts=[])
    ServiceFactory(name="Hidden draft", is_published=False, districts=["AW1"])


def test_the_print_page_lists_published_services_for_the_area_and_needs(client, directory):
    response = client.get(
        reverse("referrals:print"),
        {"area": "AW1 3XY", "prepared_for": "Brookfield Primary School"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Talk time" in content
    assert "Everywhere help" in content
    assert "Calm kids" not in content
    assert "Hidden draft" not in content
    assert "For Brookfield Primary School" in content
    assert "referrals/directory-print.css" in content

    by_need = client.get(reverse("referrals:print"), {"need": "behaviour"}).content.decode()
    assert "Calm kids" in by_need
    assert "Talk time" not in by_need


def test_unpublished_entries_stay_off_paper_even_for_their_maintainers(client):
    maintainer = PractitionerFactory()
    ServiceFactory(name="Hidden draft", is_published=False, maintainers=[maintainer])
    from tests.two_factor import sign_in_verified

    sign_in_verified(client, maintainer)
    assert "Hidden draft" not in client.get(reverse("referrals:print")).content.decode()


def test_the_pdf_is_a_pdf(client, directory):
    response = client.get(reverse("referrals:print-pdf"), {"area": "AW1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_pdf_loads_only_static_files(client, directory):
    body, media_type = pdf.static_file(pdf.PAPER_BASE_URL + "static/referrals/directory-pdf.css")
    assert b"@page" in body
    assert media_type == "text/css"
    for url in ("https://example.com/static/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            pdf.static_file(url)


def test_without_weasyprint_the_pdf_page_explains_with_a_503(client, directory, monkeypatch):
    def unavailable():
        raise pdf.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "load_weasyprint", unavailable)
    response = client.get(reverse("referrals:print-pdf"), {"area": "AW1"})

    assert response.status_code == 503
    content = response.content.decode()
    assert "PDFs are unavailable on this server" in content
    assert reverse("referrals:print") + "?area=AW1" in content
