import pytest

from tests.factories import TEST_PASSWORD


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Real hashers are slow on purpose; tests need speed, not resistance to cracking."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
