"""Template helpers for the referral page's answer buttons (referrals/_answer_actions.html)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse

from joinedup.referrals import lifecycle
from joinedup.referrals.models import Referral, ReferralStatus

register = template.Library()

S = ReferralStatus


@dataclass(frozen=True)
class AnswerStep:
    url: str
    label: str
    by_hand_label: str
    is_main: bool


# In the order a service takes them; only the steps the referral's state allows are shown.
_STEPS = (
    ("referrals:acknowledge", S.ACKNOWLEDGED, "Acknowledge", True),
    ("referrals:accept", S.ACCEPTED, "Accept", True),
    ("referrals:decline", S.DECLINED, "Decline", False),
    ("referrals:start", S.STARTED, "Start", True),
    ("referrals:complete", S.COMPLETED, "Complete", True),
)


@register.simple_tag
def answer_steps(referral: Referral) -> list[AnswerStep]:
    """The next steps the referral's state allows, as buttons for the service's staff (or
    for the referrer recording a service's reply by hand)."""
    return [
        AnswerStep(
            url=reverse(name, kwargs={"referral_id": referral.pk}),
            label=label,
            by_hand_label=f"Record the service's reply: {S(status).label.lower()}",
            is_main=is_main,
        )
        for name, status, label, is_main in _STEPS
        if lifecycle.can_move(referral, status)
    ]


@register.simple_tag
def referral_url(referral: Referral, name: str, path: str) -> str:
    """The URL named ``name`` for the referral, or ``/referrals/<id>/<path>`` when no URL has
    that name (pages built separately, such as the referral pack)."""
    try:
        return reverse(name, args=[referral.pk])
    except NoReverseMatch:
        return f"/referrals/{referral.pk}/{path}"
