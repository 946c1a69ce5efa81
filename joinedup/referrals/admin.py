"""Django admin for system administrators: the needs vocabulary and, for corrections, the
directory entries themselves (they hold no child data)."""

from __future__ import annotations

from django.contrib import admin

from joinedup.referrals.models import (
    Need,
    RejectedServiceRow,
    Service,
    ServiceArea,
    ServiceImport,
    ServiceLevelOfNeed,
    ServiceOffer,
    ServiceOpeningTime,
)


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "framework", "position"]
    search_fields = ["name", "code", "description"]
    ordering = ["position", "name"]


class ServiceOfferInline(admin.TabularInline):
    model = ServiceOffer
    extra = 0


class ServiceLevelOfNeedInline(admin.TabularInline):
    model = ServiceLevelOfNeed
    extra = 0


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0


class ServiceOpeningTimeInline(admin.TabularInline):
    model = ServiceOpeningTime
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "sector", "capacity", "last_checked_on", "is_published"]
    list_filter = ["sector", "capacity", "is_published", "accepts_referrals_in_app"]
    list_select_related = ["agency"]
    search_fields = ["name", "slug", "description", "agency__name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["needs"]
    raw_id_fields = ["maintainers", "checked_by", "updated_by"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [
        ServiceOfferInline,
        ServiceLevelOfNeedInline,
        ServiceAreaInline,
        ServiceOpeningTimeInline,
    ]


class RejectedServiceRowInline(admin.TabularInline):
    model = RejectedServiceRow
    extra = 0
    fields = ["line_number", "problems", "resolved_at"]
    readonly_fields = ["line_number", "problems", "resolved_at"]


@admin.register(ServiceImport)
class ServiceImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "imported_by", "imported_at", "rows_created", "rows_rejected"]
    list_select_related = ["imported_by"]
    readonly_fields = [f.name for f in ServiceImport._meta.fields]
    inlines = [RejectedServiceRowInline]
