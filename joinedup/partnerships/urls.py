from django.urls import path

from joinedup.partnerships import views

app_name = "partnerships"

urlpatterns = [
    path("", views.partnership_list, name="list"),
    path("<int:partnership_id>/", views.partnership_detail, name="detail"),
    path("<int:partnership_id>/change/", views.partnership_edit, name="edit"),
    path("<int:partnership_id>/members/add/", views.add_member, name="add-member"),
    path(
        "<int:partnership_id>/members/<int:membership_id>/change/",
        views.change_member,
        name="change-member",
    ),
    path(
        "<int:partnership_id>/members/<int:membership_id>/end/",
        views.end_membership,
        name="end-membership",
    ),
    path("agencies/", views.agency_list, name="agency-list"),
    path("agencies/<int:agency_id>/", views.agency_detail, name="agency-detail"),
]
