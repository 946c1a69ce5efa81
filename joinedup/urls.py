"""Top-level URLs: each app owns its own, under its own prefix and namespace."""

from django.contrib import admin
from django.urls import include, path

from joinedup import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("accounts/", include("joinedup.accounts.urls")),
    path("partnerships/", include("joinedup.partnerships.urls")),
    path("children/", include("joinedup.children.urls")),
    path("django-admin/", admin.site.urls),
]

handler403 = "joinedup.views.permission_denied"
handler404 = "joinedup.views.page_not_found"
