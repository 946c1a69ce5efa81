"""A family's view (issue 6): a thin view over children.family_view; access through
policy.can_produce_family_view (a data manager of one of the child's agencies)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from joinedup.children import family_view as selectors
from joinedup.children.models import Child
from joinedup.http import AuthenticatedRequest


@require_GET
def family_view(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    child = get_object_or_404(Child, pk=child_id)
    # The selector asks policy.can_produce_family_view and refuses (403) otherwise.
    report = selectors.family_view(child, practitioner=request.user, path=request.get_full_path())
    return render(request, "children/family_view.html", {"child": child, "report": report})
