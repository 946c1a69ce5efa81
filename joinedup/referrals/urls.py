"""The referrals app's URLs: the services directory under /services/ and referrals under
/referrals/, one namespace ("referrals"). Mounted at the site root."""

from django.urls import include, path

from joinedup.referrals import referral_views, views

app_name = "referrals"

directory_patterns = [
    path("", views.directory, name="directory"),
    path("print/", views.print_directory, name="print"),
    path("print/directory.pdf", views.print_directory_pdf, name="print-pdf"),
    path("export/services.csv", views.export_csv, name="export-csv"),
    path("mine/", views.my_services, name="my-services"),
    path("new/", views.service_create, name="create"),
    path("import/", views.import_services, name="import"),
    path("imports/<int:service_import_id>/", views.import_result, name="import-result"),
    path(
        "imports/<int:service_import_id>/rejected.csv",
        views.import_rejects_csv,
        name="import-rejects-csv",
    ),
    path(
        "imports/<int:service_import_id>/rows/<int:rejected_service_row_id>/",
        views.fix_rejected_row,
        name="fix-rejected-row",
    ),
    # Service-scoped referral pages (incoming referrals, waiting list, reports, FHIR import).
    path("<slug:service_slug>/", views.service_detail, name="service"),
    path("<slug:service_slug>/change/", views.service_edit, name="edit"),
    path("<slug:service_slug>/confirm-checked/", views.confirm_checked, name="confirm-checked"),
]

referral_patterns: list = [
    # Referral pages: referral_views (making, sending, answering, withdrawing).
    path("<int:referral_id>/", referral_views.referral_detail, name="referral"),
]

urlpatterns = [
    path("services/", include(directory_patterns)),
    path("referrals/", include(referral_patterns)),
]
