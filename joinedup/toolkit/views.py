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
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.partnerships.models import Partnership
from joinedup.sharing import policy
from joinedup.toolkit import charts, exports, selectors, services
from joinedup.toolkit.content import checklists, tool_content
from joinedup.toolkit.evidence import evidence_for
from joinedup.toolkit.exports import result_csv
from joinedup.toolkit.forms import (
    DiamondRankingForm,
    ExerciseForm,
    ForceForm,
    MeetingActionForm,
    MeetingForm,
    MeetingRecordForm,
    SelfEvaluationAnswersForm,
    SelfEvaluationForm,
    StatementForm,
    StrategyForm,
    SwotItemForm,
    TermDateForm,
)
from joinedup.toolkit.ics import schedule_calendar
from joinedup.toolkit.models import (
    DiamondStatement,
    Exercise,
    ExerciseKind,
    ExerciseStatus,
    MeetingAction,
    PartnershipMeeting,
    SelfEvaluation,
)


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
            "self_evaluations": selectors.self_evaluations_for_partnership(partnership),
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


# Meetings ------------------------------------------------------------------------------


def _meeting(meeting_id: int) -> PartnershipMeeting:
    return get_object_or_404(selectors.meeting_for_page(meeting_id))


MEMBERS_ONLY = "The partnership's meetings are for its current members."


@require_GET
def meeting_schedule(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    """The partnership's meetings, and the dates proposed for the half terms that have no
    meeting yet over the next twelve months."""
    partnership = _partnership(partnership_id)
    policy.require(policy.can_view_meetings(request.user, partnership), MEMBERS_ONLY)
    today = timezone.localdate()
    return render(
        request,
        "toolkit/meetings.html",
        {
            "partnership": partnership,
            "meetings": selectors.meetings_for_partnership(partnership),
            "has_terms": bool(selectors.term_dates_of(partnership)),
            "proposed": services.propose_schedule(partnership, today),
            "can_plan": bool(policy.can_plan_meetings(request.user, partnership)),
        },
    )


@require_GET
def meeting_calendar(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(partnership_id)
    policy.require(policy.can_view_meetings(request.user, partnership), MEMBERS_ONLY)
    response = HttpResponse(
        schedule_calendar(partnership, selectors.meetings_for_partnership(partnership)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="meetings-{partnership.pk}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def add_meeting(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(partnership_id)
    policy.require(
        policy.can_plan_meetings(request.user, partnership),
        "Only the partnership's coordinators can plan its meetings.",
    )
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        meeting = services.add_meeting(
            partnership=partnership, created_by=request.user, **form.cleaned_data
        )
        messages.success(request, f"A meeting on {meeting.held_on:%-d %B %Y} has been planned.")
        return redirect("toolkit:meeting", meeting_id=meeting.pk)
    return render(request, "toolkit/add_meeting.html", {"partnership": partnership, "form": form})


@require_POST
def add_proposed_meetings(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(partnership_id)
    policy.require(
        policy.can_plan_meetings(request.user, partnership),
        "Only the partnership's coordinators can plan its meetings.",
    )
    planned = services.add_proposed_meetings(
        partnership=partnership, start=timezone.localdate(), created_by=request.user
    )
    messages.success(request, f"{len(planned)} meeting{'s' if len(planned) != 1 else ''} planned.")
    return redirect("toolkit:meetings", partnership_id=partnership.pk)


def _meeting_page(
    request: AuthenticatedRequest,
    meeting: PartnershipMeeting,
    *,
    record_form: MeetingRecordForm | None = None,
    action_form: MeetingActionForm | None = None,
) -> HttpResponse:
    can_manage = bool(policy.can_manage_meeting(request.user, meeting))
    context: dict[str, Any] = {
        "meeting": meeting,
        "partnership": meeting.partnership,
        "actions": selectors.actions_of(meeting),
        "can_manage": can_manage,
        "form": record_form or action_form,  # the form with errors, for the title
    }
    if can_manage:
        context["record_form"] = record_form or MeetingRecordForm(
            initial={
                "held_on": meeting.held_on,
                # As typed, not localised ("2 p.m." would not parse back).
                "starts_at": f"{meeting.starts_at:%H:%M}" if meeting.starts_at else "",
                "location": meeting.location,
                "agenda": meeting.agenda,
                "minutes": meeting.minutes,
                "status": meeting.status,
            }
        )
        context["action_form"] = action_form or MeetingActionForm(partnership=meeting.partnership)
    return render(request, "toolkit/meeting.html", context)


@require_GET
def meeting_page(request: AuthenticatedRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(meeting_id)
    policy.require(policy.can_view_meetings(request.user, meeting.partnership), MEMBERS_ONLY)
    return _meeting_page(request, meeting)


@require_POST
def record_meeting(request: AuthenticatedRequest, meeting_id: int) -> HttpResponse:
    """Changes the meeting's details, records its minutes, marks it held or cancelled."""
    meeting = _meeting(meeting_id)
    policy.require(
        policy.can_manage_meeting(request.user, meeting),
        "Only whoever planned the meeting, or a coordinator, can change it.",
    )
    form = MeetingRecordForm(request.POST)
    if form.is_valid():
        try:
            services.update_meeting(meeting=meeting, **form.cleaned_data)
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The meeting has been saved.")
            return redirect("toolkit:meeting", meeting_id=meeting.pk)
    return _meeting_page(request, meeting, record_form=form)


@require_POST
def add_meeting_action(request: AuthenticatedRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting(meeting_id)
    policy.require(
        policy.can_manage_meeting(request.user, meeting),
        "Only whoever planned the meeting, or a coordinator, can add its actions.",
    )
    form = MeetingActionForm(request.POST, partnership=meeting.partnership)
    if form.is_valid():
        try:
            services.add_meeting_action(meeting=meeting, **form.cleaned_data)
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The action has been added.")
            return redirect("toolkit:meeting", meeting_id=meeting.pk)
    return _meeting_page(request, meeting, action_form=form)


@require_POST
def complete_meeting_action(request: AuthenticatedRequest, meeting_action_id: int) -> HttpResponse:
    action = get_object_or_404(
        MeetingAction.objects.select_related("meeting__partnership"), pk=meeting_action_id
    )
    policy.require(
        policy.can_manage_meeting(request.user, action.meeting),
        "Only whoever planned the meeting, or a coordinator, can mark its actions done.",
    )
    services.complete_meeting_action(action=action, done_on=timezone.localdate())
    messages.success(request, "The action has been marked done.")
    return redirect("toolkit:meeting", meeting_id=action.meeting_id)


@require_GET
def term_dates(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(partnership_id)
    policy.require(policy.can_view_meetings(request.user, partnership), MEMBERS_ONLY)
    return render(
        request,
        "toolkit/term_dates.html",
        {
            "partnership": partnership,
            "terms": selectors.term_dates_of(partnership),
            "can_plan": bool(policy.can_plan_meetings(request.user, partnership)),
        },
    )


@require_http_methods(["GET", "POST"])
def add_term_date(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(partnership_id)
    policy.require(
        policy.can_plan_meetings(request.user, partnership),
        "Only the partnership's coordinators can enter term dates.",
    )
    form = TermDateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            term = services.add_term_date(partnership=partnership, **form.cleaned_data)
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, f"{term.name} has been added.")
            return redirect("toolkit:term-dates", partnership_id=partnership.pk)
    return render(request, "toolkit/add_term_date.html", {"partnership": partnership, "form": form})


# Self-evaluation -----------------------------------------------------------------------


def _self_evaluation(self_evaluation_id: int) -> SelfEvaluation:
    return get_object_or_404(selectors.self_evaluation_for_page(self_evaluation_id))


@require_http_methods(["GET", "POST"])
def create_self_evaluation(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(partnership_id)
    policy.require(
        policy.can_run_exercise(request.user, partnership),
        "Only the partnership's current members can start a self-evaluation.",
    )
    form = SelfEvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        evaluation = services.start_self_evaluation(
            partnership=partnership, created_by=request.user, **form.cleaned_data
        )
        messages.success(request, "The self-evaluation has been started.")
        return redirect("toolkit:self-evaluation", self_evaluation_id=evaluation.pk)
    return render(
        request,
        "toolkit/create_self_evaluation.html",
        {"partnership": partnership, "form": form},
    )


def _self_evaluation_page(
    request: AuthenticatedRequest,
    evaluation: SelfEvaluation,
    form: SelfEvaluationAnswersForm | None = None,
) -> HttpResponse:
    checklist = checklists()[evaluation.checklist]
    held = evidence_for(
        evaluation.partnership, {item.evidence for item in checklist.items if item.evidence}
    )
    answers_form = form or SelfEvaluationAnswersForm(
        items=checklist.items, current=selectors.answers_by(evaluation, request.user)
    )
    return render(
        request,
        "toolkit/self_evaluation.html",
        {
            "evaluation": evaluation,
            "partnership": evaluation.partnership,
            "checklist": checklist,
            "items": [
                (item, rating, note, held.get(item.evidence))
                for item, rating, note in answers_form.item_fields()
            ],
            "answers_form": answers_form,
            "form": form,  # the form with errors, for the error summary
            "result": selectors.self_evaluation_result(evaluation),
        },
    )


@require_GET
def self_evaluation_page(request: AuthenticatedRequest, self_evaluation_id: int) -> HttpResponse:
    evaluation = _self_evaluation(self_evaluation_id)
    policy.require(
        policy.can_take_part_in_self_evaluation(request.user, evaluation),
        "Self-evaluations are for the partnership's current members.",
    )
    return _self_evaluation_page(request, evaluation)


@require_POST
def answer_self_evaluation(request: AuthenticatedRequest, self_evaluation_id: int) -> HttpResponse:
    evaluation = _self_evaluation(self_evaluation_id)
    policy.require(
        policy.can_take_part_in_self_evaluation(request.user, evaluation),
        "Self-evaluations are for the partnership's current members.",
    )
    form = SelfEvaluationAnswersForm(request.POST, items=checklists()[evaluation.checklist].items)
    if form.is_valid():
        try:
            services.answer_self_evaluation(
                evaluation=evaluation, member=request.user, answers=form.answers()
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Your ratings have been saved.")
            return redirect("toolkit:self-evaluation", self_evaluation_id=evaluation.pk)
    return _self_evaluation_page(request, evaluation, form)


@require_GET
def self_evaluation_csv(request: AuthenticatedRequest, self_evaluation_id: int) -> HttpResponse:
    evaluation = _self_evaluation(self_evaluation_id)
    policy.require(
        policy.can_take_part_in_self_evaluation(request.user, evaluation),
        "Self-evaluations are for the partnership's current members.",
    )
    response = HttpResponse(
        exports.self_evaluation_csv(evaluation), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="self-evaluation-{evaluation.held_on:%Y-%m-%d}-{evaluation.pk}.csv"'
    )
    return response
