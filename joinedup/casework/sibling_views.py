"""Adding a brother or sister to an existing episode: a thin view over casework.siblings
(the children to choose from) and services.add_child_to_episode."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from joinedup.casework import services, siblings
from joinedup.casework.forms import AddChildForm
from joinedup.casework.models import Episode
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy


@require_http_methods(["GET", "POST"])
def add_child(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    """The lead professional (or the opener before a lead is chosen) chooses a brother or
    sister, from the children they may see, to join the open episode."""
    episode = get_object_or_404(Episode, pk=episode_id)
    policy.require(policy.can_manage_team(request.user, episode))
    posted = request.method == "POST"
    form = AddChildForm(
        request.POST if posted else None, children=siblings.candidates(request.user, episode)
    )
    if posted and form.is_valid():
        child = form.cleaned_data["child"]
        policy.require(policy.can_add_child_to_episode(request.user, episode, child))
        try:
            services.add_child_to_episode(practitioner=request.user, episode=episode, child=child)
        except ValidationError as problem:
            for message in problem.messages:
                form.add_error("child", message)
        else:
            messages.success(
                request, f"{child.full_name} has joined the episode and the team around the family."
            )
            return redirect("casework:episode", episode_id=episode.pk)
    # A NUL byte cannot be sent to PostgreSQL (a server error); no name has one.
    name = (request.POST if posted else request.GET).get("name", "").replace("\x00", "")
    page = siblings.candidates_page(
        practitioner=request.user, episode=episode, name=name, path=request.get_full_path()
    )
    return render(
        request,
        "casework/episode_add_child.html",
        {"episode": episode, "form": form, "page": page},
        status=400 if form.errors else 200,
    )
