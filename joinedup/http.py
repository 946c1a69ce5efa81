"""Request types for views. Every page except those marked ``login_not_required`` is
behind Django's LoginRequiredMiddleware, so their ``request.user`` is a Practitioner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


class AuthenticatedRequest(HttpRequest):
    user: Practitioner
