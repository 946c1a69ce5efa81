"""Brothers and sisters joining an existing episode: the children a practitioner may choose
from (a selector). The change itself is services.add_child_to_episode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from joinedup.casework.models import EpisodeChild
from joinedup.casework.selectors import open_or_recent_q
from joinedup.children.models import Child, Involvement, current_involvement_q
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction, AccessBasis

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.casework.models import Episode

# More than this and the page asks for a name to narrow the list.
LIST_LIMIT = 50


def candidates(practitioner: Practitioner, episode: Episode) -> QuerySet[Child]:
    """Children the practitioner may see (policy.visible_children_filter) who are not in
    the episode, with ``has_episode``: whether they have an open or recent episode (so
    cannot join). No access record: use ``candidates_page`` to show them."""
    in_some_episode = EpisodeChild.objects.filter(
        open_or_recent_q("episode__"), child=OuterRef("pk")
    )
    return (
        Child.objects.filter(policy.visible_children_filter(practitioner))
        .exclude(episode_links__episode=episode)
        .annotate(has_episode=Exists(in_some_episode))
        .order_by("family_name", "given_name", "date_of_birth", "pk")
    )


def _name_q(name: str) -> Q:
    """Every word of ``name`` in the child's given, family or other names."""
    query = Q()
    for word in name.split():
        query &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(other_names__icontains=word)
        )
    return query


@dataclass(frozen=True)
class CandidatesPage:
    children: list[Child]
    total: int
    name: str

    @property
    def is_cut_short(self) -> bool:
        return self.total > len(self.children)


def candidates_page(
    *, practitioner: Practitioner, episode: Episode, name: str = "", path: str = ""
) -> CandidatesPage:
    """Up to LIST_LIMIT children who might join the episode, narrowed by name. Each child
    shown is recorded as listed, with the relationship that lets the practitioner see
    them. Three queries however many children."""
    name = " ".join(name.split())[:100]
    involved = Involvement.objects.filter(
        current_involvement_q(), child=OuterRef("pk"), practitioner=practitioner
    )
    children = candidates(practitioner, episode).filter(_name_q(name))
    with transaction.atomic():
        total = children.count()
        shown: list[Child] = list(children.annotate(is_involved=Exists(involved))[:LIST_LIMIT])
        reason = f"Listed as a brother or sister who might join early help episode {episode.pk}"
        involved_ids = {child.pk for child in shown if getattr(child, "is_involved", False)}
        groups = {
            AccessBasis.INVOLVEMENT: [child for child in shown if child.pk in involved_ids],
            AccessBasis.TEAM_MEMBERSHIP: [child for child in shown if child.pk not in involved_ids],
        }
        for basis, group in groups.items():
            if group:
                audit.record_access(
                    practitioner=practitioner,
                    children=group,
                    decision=policy.Decision(True, basis=basis, reason=reason),
                    action=AccessAction.LISTED,
                    what="Name and date of birth in a list",
                    path=path,
                )
    return CandidatesPage(children=shown, total=total, name=name)
