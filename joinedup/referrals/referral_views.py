"""Referral pages: making, sending, reading and answering a referral (thin views over
referrals.lifecycle and referrals.referral_selectors; access decided in sharing.policy)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from joinedup.referrals.models import Referral
from joinedup.sharing import policy


def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = get_object_or_404(Referral, pk=referral_id)
    policy.require(policy.can_view_referral(request.user, referral))
    return render(request, "referrals/referral.html", {"referral": referral})
