from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import AgencyFactory, PractitionerFactory

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture(autouse=True)
def feeds_run_in_the_request(settings) -> None:
    settings.FEEDS_RUN_IN_BACKGROUND = False


@pytest.fixture
def agency(db):
    return AgencyFactory(name="Brook Lane Primary School")


@pytest.fixture
def data_manager(agency):
    return PractitionerFactory(
        username="data.manager", home_agency=agency, is_data_manager=True, job_title="Data manager"
    )


def csv_file(*rows: str) -> bytes:
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


HEAD = "Record ID,Given name,Family name,Date of birth,NHS number,Postcode"
