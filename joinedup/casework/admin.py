from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from joinedup.casework.models import Episode


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    """Read-only: administrators see no child data through that role, so the list shows
    episode numbers, dates and status only."""

    list_display = ("pk", "opened_on", "status", "closed_on")
    list_filter = ("status",)
    fields = ("opened_on", "status", "closed_on")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Episode | None = None) -> bool:
        return False


# The assessment's domains and elements are data: administrators edit their wording here.
from joinedup.casework.models import AssessmentDomain, AssessmentElement  # noqa: E402


class AssessmentElementInline(admin.TabularInline):
    model = AssessmentElement
    fields = ("position", "code", "title", "hint", "is_active")
    extra = 0


@admin.register(AssessmentDomain)
class AssessmentDomainAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "code")
    fields = ("number", "code", "title", "description")
    inlines = [AssessmentElementInline]


@admin.register(AssessmentElement)
class AssessmentElementAdmin(admin.ModelAdmin):
    list_display = ("title", "domain", "position", "is_active")
    list_filter = ("domain", "is_active")
    fields = ("domain", "position", "code", "title", "hint", "is_active")
