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
]
