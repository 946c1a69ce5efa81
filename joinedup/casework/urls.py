"""Casework URLs: episodes and the team, the assessment, and the plan."""

from django.urls import path

from joinedup.casework import assessment_views, plan_views, views

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
    path("my-actions/", plan_views.my_actions, name="my-actions"),
    path("<int:episode_id>/plan/", plan_views.plan_detail, name="plan"),
    path("<int:episode_id>/plan/needs/add/", plan_views.add_need, name="add-need"),
    path(
        "<int:episode_id>/plan/needs/<int:need_id>/outcomes/add/",
        plan_views.add_desired_outcome,
        name="add-desired-outcome",
    ),
    path(
        "<int:episode_id>/plan/outcomes/<int:desired_outcome_id>/actions/add/",
        plan_views.add_action,
        name="add-action",
    ),
    path(
        "<int:episode_id>/plan/actions/<int:action_id>/",
        plan_views.edit_action,
        name="edit-action",
    ),
    path(
        "<int:episode_id>/plan/actions/<int:action_id>/status/",
        plan_views.set_action_status,
        name="set-action-status",
    ),
    path(
        "<int:episode_id>/children/<int:child_id>/assessment/start/",
        assessment_views.start_assessment,
        name="start-assessment",
    ),
    path(
        "assessments/<int:assessment_id>/",
        assessment_views.assessment_detail,
        name="assessment",
    ),
    path(
        "assessments/<int:assessment_id>/edit/",
        assessment_views.assessment_edit,
        name="assessment-edit",
    ),
    path(
        "assessments/<int:assessment_id>/autosave/",
        assessment_views.assessment_autosave,
        name="assessment-autosave",
    ),
    path(
        "assessments/<int:assessment_id>/revise/",
        assessment_views.assessment_revise,
        name="assessment-revise",
    ),
    path(
        "assessments/<int:assessment_id>/versions/",
        assessment_views.assessment_versions,
        name="assessment-versions",
    ),
]
