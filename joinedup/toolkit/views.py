"""The partnership toolkit's pages: thin views that ask sharing.policy, then call the
toolkit's selectors and services.

Contributions are ordinary form posts that come back to the exercise page, so everything
works without JavaScript; the group result panel is a partial that HTMX polls, so members
working at the same time see each other's contributions without reloading.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.http import AuthenticatedRequest
from joinedup.partnerships.models import Partnership
from joinedup.sharing import policy
from joinedup.toolkit import charts, selectors, services
from joinedup.toolkit.content import tool_content
from joinedup.toolkit.exports import result_csv
from joinedup.toolkit.forms import (
    DiamondRankingForm,
    ExerciseForm,
    ForceForm,
    StatementForm,
    StrategyForm,
    SwotItemForm,
)
from joinedup.toolkit.models import DiamondStatement, Exercise, ExerciseKind, ExerciseStatus


def _partnership(partnership_id: int) -> Partnership:
    return get_object_or_404(Partnership, pk=partnership_id)


def _exercise(exercise_id: int, kind: str | None = None) -> Exercise:
    exercise = get_object_or_404(selectors.exercise_for_page(exercise_id))
    if kind is not None and exercise.kind != kind:
        raise Http404("No such exercise")
    return exercise


@require_GET
def toolkit_index(request: AuthenticatedRequest) -> HttpResponse:
    """The practitioner's own partnerships, each leading to its toolkit."""
    policy.require(policy.can_list_toolkits(request.user))
    return render(
        request,
        "toolkit/index.html",
        {"partnerships": selectors.partnerships_with_toolkits(request.user)},
    )


@require_GET
def partnership_toolkit(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(partnership_id)
    policy.require(
        policy.can_view_toolkit(request.user, partnership),
        "The toolkit is for the partnership's current members.",
    )
    return render(
        request,
        "toolkit/partnership_toolkit.html",
        {
            "partnership": partnership,
            "exercises": selectors.exercises_for_partnership(partnership),
            "tools": [tool_content(kind) for kind in ExerciseKind.values],
        },
    )


@require_http_methods(["GET", "POST"])
def create_exercise(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(partnership_id)
    policy.require(
        policy.can_run_exercise(request.user, partnership),
        "Only the partnership's current members can start an exercise.",
    )
    form = ExerciseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        exercise = services.create_exercise(
            partnership=partnership, created_by=request.user, **form.cleaned_data
        )
        messages.success(request, f"{exercise.title} has been started.")
        return redirect("toolkit:exercise", exercise_id=exercise.pk)
    return render(
        request, "toolkit/create_exercise.html", {"partnership": partnership, "form": form}
    )


def _result_context(exercise: Exercise) -> dict[str, Any]:
    if exercise.kind == ExerciseKind.DIAMOND_RANKING:
        result = selectors.diamond_result(exercise)
        return {
            "diamond": result,
            "diamond_chart": charts.diamond_chart(result) if result.member_count else None,
            "rankings": selectors.ranking_members(exercise),
        }
    if exercise.kind == ExerciseKind.FORCE_FIELD:
        force_field = selectors.force_field_result(exercise)
        return {
            "force_field": force_field,
            "force_field_chart": charts.force_field_chart(force_field),
        }
    return {"swot": selectors.swot_result(exercise)}


def _exercise_page(
    request: AuthenticatedRequest,
    exercise: Exercise,
    *,
    forms_given: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_contribute = policy.can_contribute_to_exercise(request.user, exercise)
    context: dict[str, Any] = {
        "exercise": exercise,
        "partnership": exercise.partnership,
        "content": tool_content(exercise.kind),
        "can_contribute": bool(can_contribute),
        "can_manage": bool(policy.can_manage_exercise(request.user, exercise)),
        **_result_context(exercise),
    }
    given = forms_given or {}
    if exercise.kind == ExerciseKind.DIAMOND_RANKING:
        statements = selectors.statements_of(exercise)
        context["statements"] = statements
        if can_contribute:
            context["ranking_form"] = given.get("ranking_form") or DiamondRankingForm(
                statements=statements,
                current=selectors.placements_by(exercise, request.user),
            )
    elif exercise.kind == ExerciseKind.FORCE_FIELD and can_contribute:
        context["force_form"] = given.get("force_form") or ForceForm()
        context["strategy_form"] = given.get("strategy_form") or StrategyForm(exercise=exercise)
    elif exercise.kind == ExerciseKind.SWOT and can_contribute:
        context["swot_form"] = given.get("swot_form") or SwotItemForm()
    context["form"] = next(iter(given.values()), None)  # the form with errors, for the title
    return render(request, "toolkit/exercise.html", context, status=status)


@require_GET
def exercise_page(request: AuthenticatedRequest, exercise_id: int) -> HttpResponse:
    exercise = _exercise(exercise_id)
    policy.require(
        policy.can_view_toolkit(request.user, exercise.partnership),
        "The toolkit is for the partnership's current members.",
    )
    return _exercise_page(request, exercise)


@require_GET
def exercise_result(request: AuthenticatedRequest, exercise_id: int) -> HttpResponse:
    """The group result panel alone: polled by HTMX every few seconds."""
    exercise = _exercise(exercise_id)
    policy.require(
        policy.can_view_toolkit(request.user, exercise.partnership),
        "The toolkit is for the partnership's current members.",
    )
    return render(
        request,
        "toolkit/_result.html",
        {"exercise": exercise, **_result_context(exercise)},
    )


@require_GET
def exercise_result_csv(request: AuthenticatedRequest, exercise_id: int) -> HttpResponse:
    exercise = _exercise(exercise_id)
    policy.require(
        policy.can_view_toolkit(request.user, exercise.partnership),
        "The toolkit is for the partnership's current members.",
    )
    response = HttpResponse(result_csv(exercise), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{exercise.kind}-{exercise.held_on:%Y-%m-%d}-{exercise.pk}.csv"'
    )
    return response


def _contribution(
    request: AuthenticatedRequest, exercise: Exercise, form_name: str, form: Any, save: Any
) -> HttpResponse:
    """Saves a contribution and comes back to the exercise page, or shows the page again
    with the form's errors."""
    policy.require(policy.can_contribute_to_exercise(request.user, exercise))
    if form.is_valid():
        try:
            save(form)
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            return redirect("toolkit:exercise", exercise_id=exercise.pk)
    return _exercise_page(request, exercise, forms_given={form_name: form})


@require_POST
def submit_ranking(request: AuthenticatedRequest, exercise_id: int) -> HttpResponse:
    exercise = _exercise(exercise_id, ExerciseKind.DIAMOND_RANKING)

    def save(form: DiamondRankingForm) -> None:
        services.submit_diamond_ranking(
            exercise=exercise, practitioner=request.user, placements=form.placements()
        )
        messages.success(request, "Your diamond has been saved.")

    form = DiamondRankingForm(request.POST, statements=selectors.statements_of(exercise))
    return _contribution(request, exercise, "ranking_form", form, save)


@require_POST
def add_force(request: AuthenticatedRequest, force_field_id: int) -> HttpResponse:
    exercise = _exercise(force_field_id, ExerciseKind.FORCE_FIELD)

    def save(form: ForceForm) -> None:
        services.add_force(exercise=exercise, added_by=request.user, **form.cleaned_data)

    return _contribution(request, exercise, "force_form", ForceForm(request.POST), save)


@require_POST
def add_strategy(request: AuthenticatedRequest, force_field_id: int) -> HttpResponse:
    exercise = _exercise(force_field_id, ExerciseKind.FORCE_FIELD)

    def save(form: StrategyForm) -> None:
        services.add_strategy(exercise=exercise, added_by=request.user, **form.cleaned_data)

    form = StrategyForm(request.POST, exercise=exercise)
    return _contribution(request, exercise, "strategy_form", form, save)


@require_POST
def add_swot_item(request: AuthenticatedRequest, swot_id: int) -> HttpResponse:
    exercise = _exercise(swot_id, ExerciseKind.SWOT)

    def save(form: SwotItemForm) -> None:
        services.add_swot_item(exercise=exercise, added_by=request.user, **form.cleaned_data)

    return _contribution(request, exercise, "swot_form", SwotItemForm(request.POST), save)


@require_http_methods(["GET", "POST"])
def reword_statement(
    request: AuthenticatedRequest, exercise_id: int, statement_id: int
) -> HttpResponse:
    exercise = _exercise(exercise_id, ExerciseKind.DIAMOND_RANKING)
    statement = get_object_or_404(DiamondStatement, pk=statement_id, exercise=exercise)
    policy.require(
        policy.can_manage_exercise(request.user, exercise),
        "Only whoever started the exercise, or a coordinator, can reword its statements.",
    )
    policy.require(policy.can_contribute_to_exercise(request.user, exercise))
    form = StatementForm(request.POST or None, initial={"text": statement.text})
    if request.method == "POST" and form.is_valid():
        services.reword_statement(statement=statement, text=form.cleaned_data["text"])
        messages.success(request, f"Statement {statement.order} has been reworded.")
        return redirect("toolkit:exercise", exercise_id=exercise.pk)
    return render(
        request,
        "toolkit/reword_statement.html",
        {
            "exercise": exercise,
            "partnership": exercise.partnership,
            "statement": statement,
            "form": form,
        },
    )


@require_POST
def change_status(request: AuthenticatedRequest, exercise_id: int) -> HttpResponse:
    exercise = _exercise(exercise_id)
    policy.require(
        policy.can_manage_exercise(request.user, exercise),
        "Only whoever started the exercise, or a coordinator, can close or reopen it.",
    )
    status = ExerciseStatus.OPEN if not exercise.is_open else ExerciseStatus.CLOSED
    services.set_exercise_status(exercise=exercise, status=status)
    messages.success(
        request, f"{exercise.title} has been {'reopened' if exercise.is_open else 'closed'}."
    )
    return redirect("toolkit:exercise", exercise_id=exercise.pk)
