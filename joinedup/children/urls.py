from django.urls import include, path

from joinedup.children import (
    break_glass_views,
    disclosure_views,
    family_view_views,
    linkage_views,
    sharing_decision_views,
    views,
)
from joinedup.sharing import audit_views, consent_views

app_name = "children"

urlpatterns = [
    path("", views.child_list, name="list"),
    path("search/", views.child_search, name="search"),
    path("feeds/", include("joinedup.children.feeds.urls")),
    path("<int:child_id>/", views.child_detail, name="detail"),
    path("<int:child_id>/reason/", views.state_reason, name="state-reason"),
    # The disclosure log (issue 6): what was shared about the child, with whom and why.
    path(
        "<int:child_id>/disclosures/",
        disclosure_views.child_disclosures,
        name="disclosures",
    ),
    # Consent records (issue 6): every consent about the child, with its versions.
    path("<int:child_id>/consents/", consent_views.child_consents, name="consents"),
    path("<int:child_id>/consents/new/", consent_views.new_consent, name="new-consent"),
    path(
        "<int:child_id>/consents/<int:consent_id>/change/",
        consent_views.change_consent,
        name="change-consent",
    ),
    path(
        "<int:child_id>/consents/<int:consent_id>/withdraw/",
        consent_views.withdraw_consent,
        name="withdraw-consent",
    ),
    # A family's view (issue 6): the subject access report, for a data manager.
    path("<int:child_id>/family-view/", family_view_views.family_view, name="family-view"),
    # The audit of the record (issue 6): who viewed or changed what, when and why.
    path("<int:child_id>/audit/", audit_views.child_audit, name="audit"),
    # Break-glass (emergency) access and its review by data protection leads (issue 6).
    path(
        "<int:child_id>/emergency-access/",
        break_glass_views.start_break_glass,
        name="break-glass",
    ),
    path(
        "emergency-access/reviews/",
        break_glass_views.break_glass_reviews,
        name="break-glass-reviews",
    ),
    path(
        "emergency-access/reviews/<int:break_glass_id>/",
        break_glass_views.break_glass_review,
        name="break-glass-review",
    ),
    # Sharing without consent, confirmed by a supervisor (issue 6).
    path(
        "sharing-without-consent/",
        sharing_decision_views.sharing_decisions_to_confirm,
        name="sharing-decisions",
    ),
    path(
        "sharing-without-consent/<int:sharing_decision_id>/",
        sharing_decision_views.sharing_decision,
        name="sharing-decision",
    ),
    path(
        "<int:child_id>/involvements/<int:involvement_id>/end/",
        views.end_involvement,
        name="end-involvement",
    ),
    # The child's index page: sensitive involvements, shielding (docs/child-index.md).
    path(
        "<int:child_id>/involvements/<int:involvement_id>/consent/",
        views.record_consent,
        name="record-consent",
    ),
    path("<int:child_id>/shielding/", views.child_shielding, name="shielding"),
    path("shielding/", views.shielding_reviews, name="shielding-reviews"),
    # Identity matching: review queue, merge, split, undo (docs/child-index.md).
    path("matching/", linkage_views.review_queue, name="matching"),
    path("matching/reviews/<int:review_id>/", linkage_views.review_detail, name="matching-review"),
    path("matching/events/<int:event_id>/undo/", linkage_views.undo_event, name="undo-link-event"),
    path("<int:child_id>/linking/", linkage_views.child_linking, name="linking"),
    path("<int:child_id>/merge/", linkage_views.merge_child, name="merge"),
    path("<int:child_id>/split/", linkage_views.split_child, name="split"),
    path(
        "shielding/views/<int:access_record_id>/reviewed/",
        views.review_access,
        name="review-access",
    ),
]
