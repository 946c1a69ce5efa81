import pytest

from tests.factories import TEST_PASSWORD


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD
