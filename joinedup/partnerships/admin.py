"""Django admin for system administrators, who maintain agencies and can correct
partnerships and memberships directly."""

from __future__ import annotations

from django.contrib import admin

from joinedup.partnerships.models import Agency, Membership, Partnership


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sector", "town", "postcode", "phone"]
    list_filter = ["sector", "kind"]
    search_fields = ["name", "town", "postcode", "email"]
    fieldsets = [
        (None, {"fields": ["name", "sector", "kind"]}),
        ("Address", {"fields": ["address_line_1", "address_line_2", "town", "postcode"]}),
        ("Contact", {"fields": ["phone", "email", "website"]}),
    ]


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "partnership"
    extra = 0
    fields = ["practitioner", "role", "partnership_line_manager", "started_on", "ended_on"]
    raw_id_fields = ["practitioner", "partnership_line_manager"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "government_model", "activity_model", "base_setting", "started_on"]
    list_filter = ["government_model", "activity_model"]
    list_select_related = ["base_setting"]
    search_fields = ["name", "description"]
    filter_horizontal = ["member_agencies"]
    date_hierarchy = "started_on"
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "partnership", "role", "started_on", "ended_on"]
    list_filter = ["role", "partnership"]
    list_select_related = ["practitioner", "partnership"]
    search_fields = [
        "practitioner__first_name",
        "practitioner__last_name",
        "practitioner__username",
        "partnership__name",
    ]
    raw_id_fields = ["practitioner", "partnership_line_manager"]
    date_hierarchy = "started_on"
