"""Top-level URLs: each app owns its own, under its own prefix and namespace."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from joinedup import views

# The admin site signs people in through the service's own sign-in page, so lockout and
# two-factor authentication apply there too.
admin.site.login = login_not_required(  # type: ignore[assignment]
    RedirectView.as_view(pattern_name="accounts:sign-in", query_string=True)
)
admin.site.site_header = "Joined Up administration"
admin.site.site_title = "Joined Up administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("accounts/", include("joinedup.accounts.urls")),
    path("partnerships/", include("joinedup.partnerships.urls")),
    path("children/", include("joinedup.children.urls")),
    path("casework/", include("joinedup.casework.urls")),
    path("toolkit/", include("joinedup.toolkit.urls")),
    path("", include("joinedup.referrals.urls")),
    path("django-admin/", admin.site.urls),
]

handler403 = "joinedup.views.permission_denied"
handler404 = "joinedup.views.page_not_found"
