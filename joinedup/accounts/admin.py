"""Django's admin site for practitioners' accounts (day-to-day account work is done on the
service's own "Accounts" pages; this is the fallback for system administrators)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from joinedup.accounts.models import Practitioner


@admin.register(Practitioner)
class PractitionerAdmin(UserAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "email",
        "home_agency",
        "job_title",
        "is_active",
        "is_superuser",
        "signed_in_at",
    )
    list_filter = ("is_active", "is_superuser", "professional_background", "home_agency")
    list_select_related = ("home_agency",)
    search_fields = ("username", "first_name", "last_name", "email", "job_title")
    raw_id_fields = ("line_manager", "professional_supervisor")
    readonly_fields = ("signed_in_at", "last_login", "date_joined")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "Work",
            {
                "fields": (
                    "home_agency",
                    "job_title",
                    "professional_background",
                    "phone",
                    "line_manager",
                    "professional_supervisor",
                )
            },
        ),
        ("Sign-in", {"fields": ("signed_in_at",)}),
    )
    add_fieldsets = (
        *(UserAdmin.add_fieldsets or ()),
        ("Name and email", {"fields": ("first_name", "last_name", "email")}),
        ("Work", {"fields": ("home_agency", "job_title", "professional_background")}),
    )
