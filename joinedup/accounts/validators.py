"""Password rules beyond Django's own, following NCSC guidance."""

from __future__ import annotations

from django.core.exceptions import ValidationError

# Words an attacker guesses first for this service.
SERVICE_WORDS = ("joinedup", "joined up", "password", "letmein", "welcome")


class ServiceWordsValidator:
    """Refuse passwords that are little more than the service's name or a stock word."""

    def validate(self, password: str, user: object = None) -> None:
        squashed = password.lower().replace(" ", "").replace("-", "").replace("_", "")
        for word in SERVICE_WORDS:
            stripped = squashed.replace(word.replace(" ", ""), "")
            if len(stripped) < 6 and len(stripped) < len(squashed):
                raise ValidationError(
                    "Choose a password that is not based on the name of this service or a common word.",
                    code="password_service_word",
                )

    def get_help_text(self) -> str:
        return "Your password cannot be based on the name of this service or a common word."
