"""Casework URLs: episodes and the team, the assessment, and the plan."""

from django.urls import path

from joinedup.casework import (
    assessment_views,
    closure_views,
    escalation_views,
    outcome_views,
    paper_views,
    plan_views,
    queue_views,
    review_views,
    sibling_views,
    views,
)

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
    path("reviews/overdue/", review_views.overdue_reviews, name="overdue-reviews"),
    path(
        "<int:episode_id>/reviews/schedule/", review_views.schedule_review, name="schedule-review"
    ),
    path(
        "<int:episode_id>/reviews/<int:team_review_id>/",
        review_views.review_detail,
        name="team-review",
    ),
    path(
        "<int:episode_id>/reviews/<int:team_review_id>/record/",
        review_views.record_review,
        name="record-review",
    ),
    path(
        "<int:episode_id>/reviews/<int:team_review_id>/calendar.ics",
        review_views.review_calendar,
        name="review-calendar",
    ),
    # Work queues and handing over the lead role (queue_views).
    path("queue/", queue_views.lead_queue, name="lead-queue"),
    path(
        "partnerships/<int:partnership_id>/queue/",
        queue_views.partnership_queue,
        name="partnership-queue",
    ),
    path("<int:episode_id>/lead/offer/", queue_views.offer_lead, name="offer-lead"),
    path("lead-offers/<int:offer_id>/", queue_views.lead_offer, name="lead-offer"),
    path(
        "lead-offers/<int:offer_id>/withdraw/",
        queue_views.withdraw_lead_offer,
        name="withdraw-lead-offer",
    ),
    # Outcomes over time, closure and reopening (outcome_views, closure_views). The reopen
    # page's argument is named for what it takes: a closed episode.
    path(
        "<int:episode_id>/children/<int:child_id>/ratings/",
        outcome_views.record_ratings,
        name="record-ratings",
    ),
    path("<int:episode_id>/close/", closure_views.close_episode, name="close-episode"),
    path("<int:closed_episode_id>/reopen/", closure_views.reopen_episode, name="reopen-episode"),
    # Paper copies for families (paper_views) and brothers or sisters joining an episode.
    path(
        "assessments/<int:assessment_id>/print/",
        paper_views.assessment_print,
        name="assessment-print",
    ),
    path("assessments/<int:assessment_id>/pdf/", paper_views.assessment_pdf, name="assessment-pdf"),
    path("<int:episode_id>/plan/print/", paper_views.plan_print, name="plan-print"),
    path("<int:episode_id>/plan/pdf/", paper_views.plan_pdf, name="plan-pdf"),
    path("<int:episode_id>/children/add/", sibling_views.add_child, name="add-child"),
    # Step-up to children's social care and step-down into early help (escalation_views).
    path("<int:episode_id>/step-up/", escalation_views.step_up, name="step-up"),
    path(
        "step-ups/<int:step_up_id>/decision/",
        escalation_views.step_up_decision,
        name="step-up-decision",
    ),
    path("children/<int:child_id>/step-down/", escalation_views.step_down, name="step-down"),
]
