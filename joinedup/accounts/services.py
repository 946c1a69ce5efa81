"""Changes to practitioners' accounts: sign-in bookkeeping, two-factor authentication,
passwords, and the account administration that system administrators do."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from axes.utils import reset as reset_failed_sign_ins
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinedup.accounts.models import Practitioner
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.partnerships.models import Agency

logger = logging.getLogger(__name__)

DEVICE_NAME = "Authenticator app"


class AccountActionRefused(Exception):
    """An administrator asked for something the rules do not allow, such as deactivating
    their own account. The message is written to be shown to them."""


# Signing in ------------------------------------------------------------------------------


def record_sign_in(*, practitioner: Practitioner, ip_address: str | None) -> None:
    """Note the time of a successful sign-in and forget this person's own earlier failed
    attempts from this address (failures against the account from elsewhere still count)."""
    with transaction.atomic():
        practitioner.record_sign_in()
        if ip_address:
            reset_failed_sign_ins(ip=ip_address, username=practitioner.get_username())


# Two-factor authentication ---------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a code from an authenticator app."""

    accepted: bool
    # Set when too many wrong codes mean no code is being checked for a while.
    wait_seconds: int | None = None


def start_two_factor_set_up(*, practitioner: Practitioner) -> TOTPDevice:
    """The unconfirmed authenticator to show on the set-up page: the one already started,
    so reloading the page keeps the same secret, or a new one."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=practitioner, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            device = TOTPDevice.objects.create(user=practitioner, name=DEVICE_NAME, confirmed=False)
    return device


def check_two_factor_code(*, device: TOTPDevice, code: str) -> CodeCheck:
    """Check a code against one device, with django-otp's throttling: each wrong code
    doubles the time before the next one is checked."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, details = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(
                accepted=False, wait_seconds=_seconds_until((details or {}).get("locked_until"))
            )
        return CodeCheck(accepted=device.verify_token(code))


def confirm_two_factor(*, practitioner: Practitioner, device: TOTPDevice, code: str) -> CodeCheck:
    """Turn two-factor authentication on once the person proves their app shows the right
    codes. Any other half-finished set-up is removed."""
    if device.user_id != practitioner.pk:
        raise AccountActionRefused("This authenticator belongs to someone else.")
    with transaction.atomic():
        check = check_two_factor_code(device=device, code=code)
        if check.accepted:
            TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
            TOTPDevice.objects.filter(user=practitioner, confirmed=False).exclude(
                pk=device.pk
            ).delete()
            device.refresh_from_db()
            logger.info("Two-factor authentication turned on for %s", practitioner.get_username())
    return check


def turn_off_two_factor(*, practitioner: Practitioner) -> None:
    """A practitioner whose role does not require two-factor authentication stops using it."""
    policy.require(
        not policy.requires_two_factor(practitioner),
        "Everyone must use two-factor authentication, so you cannot turn it off.",
    )
    with transaction.atomic():
        _delete_devices(practitioner)
    logger.info("Two-factor authentication turned off by %s", practitioner.get_username())


def _delete_devices(practitioner: Practitioner) -> int:
    count = 0
    for device in devices_for_user(practitioner, confirmed=None):
        device.delete()
        count += 1
    return count


def _seconds_until(moment: datetime | None) -> int:
    if moment is None:
        return 1
    remaining = (moment - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


# Passwords -------------------------------------------------------------------------------


def change_password(*, practitioner: Practitioner, new_password: str) -> None:
    """Set a new (already validated) password and tell the person by email, so they notice
    if it was not them."""
    with transaction.atomic():
        practitioner.set_password(new_password)
        practitioner.save(update_fields=["password"])
        if practitioner.email:
            transaction.on_commit(
                lambda: send_mail(
                    "Your Joined Up password has been changed",
                    render_to_string(
                        "accounts/email/password_changed.txt", {"practitioner": practitioner}
                    ),
                    None,
                    [practitioner.email],
                )
            )
    logger.info("Password changed by %s", practitioner.get_username())


def set_password_from_link(*, practitioner: Practitioner, new_password: str) -> None:
    """Set the password of someone who followed a set-password link (the view checked
    the link's token; using the password changes it, so the link works only once)."""
    with transaction.atomic():
        practitioner.set_password(new_password)
        practitioner.save(update_fields=["password"])
    logger.info("Password set from a link by %s", practitioner.get_username())


def set_password_link_lifetime() -> timedelta:
    return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def set_password_path(practitioner: Practitioner) -> str:
    return reverse(
        "accounts:set-password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(practitioner.pk)),
            "token": default_token_generator.make_token(practitioner),
        },
    )


# Account administration (system administrators) ------------------------------------------


@dataclass(frozen=True)
class AccountDetails:
    first_name: str
    last_name: str
    username: str
    email: str
    home_agency: Agency | None = None
    job_title: str = ""
    professional_background: str = ""
    phone: str = ""
    line_manager: Practitioner | None = None


def _require_administrator(administrator: Practitioner) -> None:
    policy.require(policy.can_manage_accounts(administrator))


def create_account(*, administrator: Practitioner, details: AccountDetails) -> Practitioner:
    """Create an account with no usable password: the new practitioner chooses one through
    a set-password link (see send_set_password_link)."""
    _require_administrator(administrator)
    with transaction.atomic():
        practitioner = Practitioner(**_fields(details))
        practitioner.set_unusable_password()
        practitioner.full_clean(exclude=["password"])
        practitioner.save()
    logger.info(
        "Account %s created by %s", practitioner.get_username(), administrator.get_username()
    )
    return practitioner


def update_account(
    *, administrator: Practitioner, practitioner: Practitioner, details: AccountDetails
) -> Practitioner:
    _require_administrator(administrator)
    if details.line_manager is not None and details.line_manager.pk == practitioner.pk:
        raise AccountActionRefused("A person cannot be their own line manager.")
    with transaction.atomic():
        for name, value in _fields(details).items():
            setattr(practitioner, name, value)
        practitioner.full_clean(exclude=["password"])
        practitioner.save(update_fields=list(_fields(details)))
    logger.info(
        "Account %s changed by %s", practitioner.get_username(), administrator.get_username()
    )
    return practitioner


def _fields(details: AccountDetails) -> dict[str, object]:
    # dataclasses.asdict() would deep-copy the model instances; read the attributes instead.
    return {field.name: getattr(details, field.name) for field in fields(details)}


def deactivate_account(*, administrator: Practitioner, practitioner: Practitioner) -> None:
    """Stop someone signing in. Their sessions end at their next request, because Django
    does not load inactive users. Nothing is deleted, so the account can be reactivated."""
    _require_administrator(administrator)
    if practitioner.pk == administrator.pk:
        raise AccountActionRefused(
            "You cannot deactivate your own account. Ask another administrator to do it."
        )
    with transaction.atomic():
        Practitioner.objects.filter(pk=practitioner.pk).update(is_active=False)
        practitioner.is_active = False
    logger.info(
        "Account %s deactivated by %s", practitioner.get_username(), administrator.get_username()
    )


def reactivate_account(*, administrator: Practitioner, practitioner: Practitioner) -> None:
    _require_administrator(administrator)
    with transaction.atomic():
        Practitioner.objects.filter(pk=practitioner.pk).update(is_active=True)
        practitioner.is_active = True
    logger.info(
        "Account %s reactivated by %s", practitioner.get_username(), administrator.get_username()
    )


def reset_two_factor(*, administrator: Practitioner, practitioner: Practitioner) -> int:
    """Remove someone's authenticator, for example when they lose their phone. At their next
    request they must set it up again before going on."""
    _require_administrator(administrator)
    if practitioner.pk == administrator.pk:
        raise AccountActionRefused(
            "You cannot reset your own two-factor authentication. Ask another administrator to do it."
        )
    with transaction.atomic():
        count = _delete_devices(practitioner)
    logger.info(
        "Two-factor authentication reset for %s by %s",
        practitioner.get_username(),
        administrator.get_username(),
    )
    return count


def unlock_account(*, administrator: Practitioner, practitioner: Practitioner) -> int:
    """Clear failed sign-in attempts against this username, from every address, so the
    person can try again straight away."""
    _require_administrator(administrator)
    with transaction.atomic():
        count = reset_failed_sign_ins(username=practitioner.get_username())
    logger.info(
        "Account %s unlocked by %s", practitioner.get_username(), administrator.get_username()
    )
    return count


def send_set_password_link(
    *, administrator: Practitioner, practitioner: Practitioner, site_url: str
) -> str:
    """Email the practitioner a link to set their password and return it, so the
    administrator can also pass it on in person. The link works once and expires after
    PASSWORD_RESET_TIMEOUT."""
    _require_administrator(administrator)
    if not practitioner.is_active:
        raise AccountActionRefused(
            "Reactivate this account before sending a link to set a password."
        )
    link = site_url.rstrip("/") + set_password_path(practitioner)
    context = {
        "practitioner": practitioner,
        "link": link,
        "lifetime_days": max(1, set_password_link_lifetime().days),
    }
    send_mail(
        "Set your Joined Up password",
        render_to_string("accounts/email/set_password.txt", context),
        None,
        [practitioner.email],
    )
    logger.info(
        "Set-password link for %s sent by %s",
        practitioner.get_username(),
        administrator.get_username(),
    )
    return link
