"""The referrals app's URLs: the services directory under /services/ and referrals under
/referrals/, one namespace ("referrals"). Mounted at the site root."""

from django.urls import include, path

from joinedup.referrals import (
    answer_views,
    fhir_views,
    pack_views,
    pingpong_views,
    referral_views,
    report_views,
    views,
)

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
    path(
        "<slug:service_slug>/referrals/",
        answer_views.service_referrals,
        name="service-referrals",
    ),
    path(
        "<slug:service_slug>/referrals/waiting-time/",
        answer_views.update_waiting_time,
        name="update-waiting-time",
    ),
    path(
        "<slug:service_slug>/referrals/import/",
        fhir_views.fhir_import,
        name="fhir-import",
    ),
    path("<slug:service_slug>/", views.service_detail, name="service"),
    path("<slug:service_slug>/change/", views.service_edit, name="edit"),
    path("<slug:service_slug>/confirm-checked/", views.confirm_checked, name="confirm-checked"),
    path(
        "<slug:service_slug>/referrals/report/",
        report_views.service_report,
        name="service-report",
    ),
    path(
        "<slug:service_slug>/referrals/report.csv",
        report_views.service_report_csv,
        name="service-report-csv",
    ),
]

referral_patterns: list = [
    # Referral pages: referral_views (making, sending, answering, withdrawing).
    path("<int:referral_id>/", referral_views.referral_detail, name="referral"),
    # Interoperability and services outside Joined Up (referrals.fhir, referrals.pack). The
    # pack is for a referral to a service outside Joined Up (the world's outside referral).
    path("<int:referral_id>/fhir.json", fhir_views.fhir_export, name="fhir-export"),
    path("<int:outside_referral_id>/pack/", pack_views.referral_pack, name="pack"),
    path("<int:outside_referral_id>/pack.pdf", pack_views.referral_pack_pdf, name="pack-pdf"),
    # The referrer's side: route arguments name the state the page needs (the permission
    # matrix's world objects): a draft to change or send, a declined one to refer again.
    path("", referral_views.my_referrals, name="my-referrals"),
    path("new/<int:child_id>/", referral_views.new_referral, name="new"),
    path("<int:draft_referral_id>/change/", referral_views.edit_referral, name="edit-referral"),
    path("<int:draft_referral_id>/send/", referral_views.send_referral, name="send"),
    path("<int:referral_id>/withdraw/", referral_views.withdraw_referral, name="withdraw"),
    path(
        "<int:declined_referral_id>/refer-again/",
        referral_views.refer_again,
        name="refer-again",
    ),
    # Answering (the service's staff; the referrer for a service outside Joined Up).
    path("<int:referral_id>/acknowledge/", answer_views.acknowledge, name="acknowledge"),
    path("<int:referral_id>/accept/", answer_views.accept, name="accept"),
    path("<int:referral_id>/decline/", answer_views.decline, name="decline"),
    path("<int:referral_id>/start/", answer_views.start, name="start"),
    path("<int:referral_id>/complete/", answer_views.complete, name="complete"),
    # Referral reports for a partnership's coordinators (referrals.reports).
    path(
        "reports/partnership/<int:partnership_id>/",
        report_views.partnership_report,
        name="partnership-report",
    ),
    path(
        "reports/partnership/<int:partnership_id>/report.csv",
        report_views.partnership_report_csv,
        name="partnership-report-csv",
    ),
    # The coordinator's ping-pong list (referrals.pingpong).
    path("ping-pong/<int:partnership_id>/", pingpong_views.pingpong_list, name="pingpong"),
    path(
        "ping-pong/<int:partnership_id>/<int:child_id>/own/",
        pingpong_views.take_ownership,
        name="pingpong-own",
    ),
]

urlpatterns = [
    path("services/", include(directory_patterns)),
    path("referrals/", include(referral_patterns)),
]
