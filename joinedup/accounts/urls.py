from django.urls import path

from joinedup.accounts import notification_views, views
from joinedup.sharing import audit_views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("set-password/<uidb64>/<token>/", views.set_password, name="set-password"),
    path("two-factor/verify/", views.verify_two_factor, name="verify-two-factor"),
    path("two-factor/set-up/", views.set_up_two_factor, name="set-up-two-factor"),
    path("two-factor/turn-off/", views.turn_off_two_factor, name="turn-off-two-factor"),
    path("security/", views.security, name="security"),
    path("security/password/", views.change_password, name="change-password"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        notification_views.notification_read,
        name="notification-read",
    ),
    path(
        "notifications/read-all/",
        notification_views.notifications_read_all,
        name="notifications-read-all",
    ),
    path(
        "notifications/settings/",
        notification_views.notification_settings,
        name="notification-settings",
    ),
    # Audit viewers and anomaly flags (issue 6).
    path("access-history/", audit_views.my_access_history, name="my-access-history"),
    path(
        "practitioners/<int:practitioner_id>/audit/",
        audit_views.practitioner_audit,
        name="practitioner-audit",
    ),
    path("access-anomalies/", audit_views.access_anomalies, name="access-anomalies"),
    path("manage/", views.manage_list, name="manage-list"),
    path("manage/new/", views.manage_create, name="manage-create"),
    path("manage/<int:practitioner_id>/", views.manage_detail, name="manage-detail"),
    path("manage/<int:practitioner_id>/edit/", views.manage_edit, name="manage-edit"),
    path(
        "manage/<int:practitioner_id>/deactivate/",
        views.manage_deactivate,
        name="manage-deactivate",
    ),
    path(
        "manage/<int:practitioner_id>/reactivate/",
        views.manage_reactivate,
        name="manage-reactivate",
    ),
    path(
        "manage/<int:practitioner_id>/reset-two-factor/",
        views.manage_reset_two_factor,
        name="manage-reset-two-factor",
    ),
    path("manage/<int:practitioner_id>/unlock/", views.manage_unlock, name="manage-unlock"),
    path(
        "manage/<int:practitioner_id>/set-password-link/",
        views.manage_send_set_password_link,
        name="manage-send-set-password-link",
    ),
]
