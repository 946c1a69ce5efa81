from django.urls import path

from joinedup.partnerships import views

app_name = "partnerships"

urlpatterns = [
    path("", views.partnership_list, name="list"),
    path("<int:partnership_id>/", views.partnership_detail, name="detail"),
    path("agencies/", views.agency_list, name="agency-list"),
    path("agencies/<int:agency_id>/", views.agency_detail, name="agency-detail"),
]
