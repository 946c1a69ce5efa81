from django.urls import path

from joinedup.casework import views

app_name = "casework"

urlpatterns = [
    path("children/<int:child_id>/open/", views.open_episode, name="open-episode"),
    path("<int:episode_id>/", views.episode_detail, name="episode"),
    path("<int:episode_id>/check/", views.record_check, name="record-check"),
    path("<int:episode_id>/consent/", views.record_consent, name="record-consent"),
    path(
        "<int:episode_id>/consent/<int:consent_id>/withdraw/",
        views.withdraw_consent,
        name="withdraw-consent",
    ),
    path("<int:episode_id>/team/", views.add_team_member, name="add-team-member"),
    path("<int:episode_id>/team/<int:member_id>/leave/", views.leave_team, name="leave-team"),
    path("<int:episode_id>/lead/", views.choose_lead, name="choose-lead"),
]
