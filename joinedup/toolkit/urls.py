from django.urls import path

from joinedup.toolkit import views

app_name = "toolkit"

urlpatterns = [
    path("", views.toolkit_index, name="index"),
    path("partnerships/<int:partnership_id>/", views.partnership_toolkit, name="partnership"),
    path("partnerships/<int:partnership_id>/new/", views.create_exercise, name="create"),
    path("exercises/<int:exercise_id>/", views.exercise_page, name="exercise"),
    path("exercises/<int:exercise_id>/result/", views.exercise_result, name="result"),
    path("exercises/<int:exercise_id>/result.csv", views.exercise_result_csv, name="result-csv"),
    path("exercises/<int:exercise_id>/status/", views.change_status, name="change-status"),
    path("exercises/<int:exercise_id>/ranking/", views.submit_ranking, name="submit-ranking"),
    path(
        "exercises/<int:exercise_id>/statements/<int:statement_id>/",
        views.reword_statement,
        name="reword-statement",
    ),
    # Contributions that only one kind of exercise takes name that kind in the URL.
    path("force-fields/<int:force_field_id>/forces/", views.add_force, name="add-force"),
    path("force-fields/<int:force_field_id>/strategies/", views.add_strategy, name="add-strategy"),
    path("swot/<int:swot_id>/items/", views.add_swot_item, name="add-swot-item"),
    # Meetings and the school terms they respect.
    path("partnerships/<int:partnership_id>/meetings/", views.meeting_schedule, name="meetings"),
    path(
        "partnerships/<int:partnership_id>/meetings.ics",
        views.meeting_calendar,
        name="meetings-ics",
    ),
    path("partnerships/<int:partnership_id>/meetings/new/", views.add_meeting, name="add-meeting"),
    path(
        "partnerships/<int:partnership_id>/meetings/proposed/",
        views.add_proposed_meetings,
        name="add-proposed-meetings",
    ),
    path("partnerships/<int:partnership_id>/term-dates/", views.term_dates, name="term-dates"),
    path(
        "partnerships/<int:partnership_id>/term-dates/new/",
        views.add_term_date,
        name="add-term-date",
    ),
    path("meetings/<int:meeting_id>/", views.meeting_page, name="meeting"),
    path("meetings/<int:meeting_id>/record/", views.record_meeting, name="record-meeting"),
    path("meetings/<int:meeting_id>/actions/", views.add_meeting_action, name="add-meeting-action"),
    # Self-evaluation checklists.
    path(
        "partnerships/<int:partnership_id>/self-evaluations/new/",
        views.create_self_evaluation,
        name="create-self-evaluation",
    ),
    path(
        "self-evaluations/<int:self_evaluation_id>/",
        views.self_evaluation_page,
        name="self-evaluation",
    ),
    path(
        "self-evaluations/<int:self_evaluation_id>/answers/",
        views.answer_self_evaluation,
        name="answer-self-evaluation",
    ),
    path(
        "self-evaluations/<int:self_evaluation_id>/result.csv",
        views.self_evaluation_csv,
        name="self-evaluation-csv",
    ),
    path(
        "meeting-actions/<int:meeting_action_id>/done/",
        views.complete_meeting_action,
        name="complete-meeting-action",
    ),
]
