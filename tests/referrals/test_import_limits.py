"""Uploading the services directory: the size limit is checked before the file is read, and
a file that is not a table is refused by what it holds, whatever its name."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from joinedup.referrals import services
from joinedup.referrals.models import Service
from tests.factories import AgencyFactory, PractitionerFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

CSV = b"Name,Agency\r\nHomework club,Bright Start Family Support\r\n"


@pytest.fixture
def data_manager_client(client):
    agency = AgencyFactory(name="Bright Start Family Support")
    sign_in_verified(client, PractitionerFactory(home_agency=agency, is_data_manager=True))
    return client


def upload(client, content: bytes, name: str = "directory.csv"):
    return client.post(
        reverse("referrals:import"), {"file": SimpleUploadedFile(name, content, "text/csv")}
    )


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    data_manager_client, settings, monkeypatch
):
    settings.FEED_MAX_BYTES = 10
    imported = []
    monkeypatch.setattr(services, "import_services", lambda **kwargs: imported.append(kwargs))
    response = upload(data_manager_client, CSV)
    assert response.status_code == 200
    assert "The selected file must be smaller than 10\xa0bytes" in response.content.decode()
    # The form refused it: the view never read the content to import it.
    assert not imported
    assert not Service.objects.exists()


def test_a_file_that_is_not_a_table_is_refused_whatever_its_name(data_manager_client):
    response = upload(data_manager_client, b"%PDF-1.7 not a spreadsheet", "directory.csv")
    assert response.status_code == 200
    assert "The file is a PDF document" in response.content.decode()
    assert not Service.objects.exists()
