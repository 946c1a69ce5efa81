from django.urls import include, path

from joinedup.children import views

app_name = "children"

urlpatterns = [
    path("", views.child_list, name="list"),
    path("feeds/", include("joinedup.children.feeds.urls")),
    path("<int:child_id>/", views.child_detail, name="detail"),
    path("<int:child_id>/reason/", views.state_reason, name="state-reason"),
    path(
        "<int:child_id>/involvements/<int:involvement_id>/end/",
        views.end_involvement,
        name="end-involvement",
    ),
]
