"""Searching the child index: find the right child from a name, date of birth, postcode,
NHS number or unique pupil number (UPN).

The strategy (docs/child-index.md, "Search"):

1. **Identifiers first.** A valid NHS number or UPN is looked up exactly; when it finds a
   child, that is the answer.
2. **Candidates from indexes.** Otherwise the database returns a few hundred candidates
   at most, each through an indexed predicate on the search keys stored on every child
   (``joinedup/children/search_keys.py``): the date of birth as entered *or* with day and
   month swapped, together with a loose name test; or, without a date of birth, a
   sound-alike (NYSIIS) match of the family name and the given name (nicknames expanded
   both ways: Bill → William, William → Bill, Billy, Will, Liam), or a sound-alike match
   of one name with the first two letters of the other. On PostgreSQL, a name-only search
   that finds no strong candidate tries trigram similarity (pg_trgm) as well; SQLite has no
   trigram index, so there the sound-alike and prefix predicates are all there is.
3. **Scoring in Python.** Each candidate is scored from 0 to 100: Jaro-Winkler similarity
   of the standardised names (raised for sound-alike names and for nicknames), date of
   birth exact or swapped, postcode agreement. The ten best are returned.

Results show only enough to pick the right child: name, date of birth, sex and the postcode
district — no address, and no district at all when the child is shielded and the searcher
may not see their whereabouts. Every search is recorded (``sharing.audit.record_search``)
in the same transaction, with what was entered and the children returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jellyfish
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Lookup, Q, Value
from django.db.models.fields import CharField
from django.utils import timezone

from joinedup.children import identifiers, standardise
from joinedup.children.models import Child, Sex
from joinedup.children.search_keys import (
    SEARCH_KEY_FIELDS,
    family_name_keys,
    given_name_keys,
    search_keys_for,
)
from joinedup.forms import GovukDateField
from joinedup.sharing import audit, policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

__all__ = [
    "MAX_RESULTS",
    "SearchForm",
    "SearchOutcome",
    "SearchQuery",
    "SearchResult",
    "find_children",
    "search_children",
    "search_keys_for",
]

MAX_RESULTS = 10
# No predicate should return more than a few hundred rows at a million children; this cap
# keeps an unusually common name from turning into a slow search.
MAX_CANDIDATES = 3000
# A name-only search whose best candidate scores below this also tries trigram similarity
# (PostgreSQL only): the sound-alike keys and prefixes missed a typo.
TRIGRAM_FALLBACK_BELOW = 0.9

NAME_WEIGHTS = {"given": 0.3, "family": 0.4}
DOB_WEIGHT = 0.3
POSTCODE_WEIGHT = 0.15
SWAPPED_DOB_SIMILARITY = 0.85

_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


# ---------------------------------------------------------------------------------------
# The query
# ---------------------------------------------------------------------------------------


class SearchDateField(GovukDateField):
    """A date of birth that tolerates a day and month entered the wrong way round: 4 13
    2015 (no 13th month) is read as 13 April 2015. Ambiguous dates such as 4 3 2015 are read
    as entered; the search itself also tries the swapped reading."""

    def to_python(self, value: Any) -> date | None:
        try:
            return super().to_python(value)
        except ValidationError:
            match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", str(value or ""))
            if match:
                year, month, day = (int(part) for part in match.groups())
                if month > 12 and day <= 12:
                    try:
                        return date(year, day, month)
                    except ValueError:
                        pass
            raise


class SearchForm(forms.Form):
    name = forms.CharField(
        label="Name",
        help_text="Given name and family name, for example Amy Smith. Nicknames, other spellings and small typing errors are found too.",
        required=False,
        max_length=200,
    )
    date_of_birth = SearchDateField(label="Date of birth", what="the date of birth", required=False)
    postcode = forms.CharField(
        label="Postcode",
        help_text="A full postcode, like EX1 2AB, or the first part, like EX1",
        required=False,
        max_length=10,
    )
    nhs_number = forms.CharField(label="NHS number", required=False, max_length=20)
    upn = forms.CharField(label="Unique pupil number (UPN)", required=False, max_length=20)

    EMPTY_MESSAGE = "Enter a name, a date of birth, a postcode, an NHS number or a UPN"

    def clean_date_of_birth(self) -> date | None:
        born = self.cleaned_data.get("date_of_birth")
        if born is not None and born > timezone.localdate():
            raise ValidationError("The date of birth must be in the past")
        return born

    def clean_postcode(self) -> str:
        raw = self.cleaned_data.get("postcode", "")
        squashed = re.sub(r"\s", "", raw).upper()
        if not squashed:
            return ""
        if _DISTRICT.fullmatch(squashed):
            return squashed
        postcode = standardise.standardise_postcode(raw)
        if not postcode.is_valid:
            raise ValidationError(
                "Enter a real postcode, like EX1 2AB, or its first part, like EX1"
            )
        return postcode.value

    def clean_nhs_number(self) -> str:
        raw = self.cleaned_data.get("nhs_number", "")
        if not raw.strip():
            return ""
        identifiers.validate_nhs_number(raw)
        return identifiers.normalise_nhs_number(raw)

    def clean_upn(self) -> str:
        raw = self.cleaned_data.get("upn", "")
        if not raw.strip():
            return ""
        identifiers.validate_upn(raw)
        return identifiers.normalise_upn(raw)

    def clean_name(self) -> str:
        raw = self.cleaned_data.get("name", "")
        if raw.strip() and not standardise.standardise_name(raw):
            raise ValidationError("Enter a name using letters, for example Amy Smith")
        return raw.strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        filled = {key for key, value in cleaned.items() if value}
        if not filled:
            raise ValidationError(self.EMPTY_MESSAGE)
        if filled & {"nhs_number", "upn", "postcode"}:
            return cleaned
        words = standardise.standardise_name(cleaned.get("name", "")).split()
        if not words:
            raise ValidationError(
                "Enter a name or a postcode with the date of birth: a date of birth alone "
                "matches too many children"
            )
        if len(words) == 1 and "date_of_birth" not in filled:
            self.add_error(
                "name",
                "Enter the child's given name and family name, or add their date of birth "
                "or postcode: one name alone matches too many children",
            )
        return cleaned

    def to_query(self) -> SearchQuery:
        data = self.cleaned_data
        raw = {key: self.data.get(key, "") for key in ("name", "postcode", "nhs_number", "upn")}
        born = data.get("date_of_birth")
        return SearchQuery.build(
            name=data.get("name", ""),
            date_of_birth=born,
            postcode=data.get("postcode", ""),
            nhs_number=data.get("nhs_number", ""),
            upn=data.get("upn", ""),
            entered={
                **{key: value.strip() for key, value in raw.items() if value and value.strip()},
                **({"date_of_birth": born.isoformat()} if born else {}),
            },
        )


@lru_cache(maxsize=1)
def _nicknames_by_formal() -> dict[str, frozenset[str]]:
    """Formal name → the nicknames that can stand for it (the nickname table reversed)."""
    reverse: dict[str, set[str]] = {}
    for nickname, formals in standardise.nickname_table().items():
        for formal in formals:
            reverse.setdefault(formal, set()).add(nickname)
    return {formal: frozenset(names) for formal, names in reverse.items()}


def _given_variants(word: str) -> frozenset[str]:
    """Every name a given name could be a form of or have as a form: itself, its formal
    names, and their nicknames (Bill → BILL, WILLIAM, BILLY, WILL, LIAM…)."""
    formal = standardise.given_name_variants(word)
    forms_of = set(formal)
    for name in formal:
        forms_of |= _nicknames_by_formal().get(name, frozenset())
    return frozenset(forms_of)


def _prefix_range(prefix: str) -> tuple[str, str]:
    """[low, high) bounds of every string starting with ``prefix``, for a btree range scan
    (works on SQLite and on PostgreSQL, whose LIKE would need a pattern index)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True)
class SearchQuery:
    """What to search for, standardised: built by ``SearchForm.to_query`` or directly."""

    given: str = ""  # the first word of the name (or the only word)
    family: str = ""  # the rest of the name
    date_of_birth: date | None = None
    date_of_birth_swapped: date | None = None
    postcode: str = ""  # a full standardised postcode or a district
    nhs_number: str = ""
    upn: str = ""
    entered: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        name: str = "",
        date_of_birth: date | None = None,
        postcode: str = "",
        nhs_number: str = "",
        upn: str = "",
        entered: dict[str, str] | None = None,
    ) -> SearchQuery:
        text = name.strip()
        if "," in text:  # "Smith, Amy": family name first
            family_text, _, given_text = text.partition(",")
            text = f"{given_text} {family_text}"
        words = standardise.standardise_name(text).split()
        swapped = None
        born = date_of_birth
        if born is not None and born.day <= 12 and born.day != born.month:
            swapped = date(born.year, born.day, born.month)
            if swapped > timezone.localdate():
                swapped = None
        return cls(
            given=words[0] if words else "",
            family=" ".join(words[1:]),
            date_of_birth=date_of_birth,
            date_of_birth_swapped=swapped,
            postcode=postcode,
            nhs_number=nhs_number,
            upn=upn,
            entered=dict(entered or {}),
        )

    @property
    def has_name(self) -> bool:
        return bool(self.given)

    @property
    def one_word(self) -> bool:
        return bool(self.given) and not self.family

    @property
    def dates(self) -> list[date]:
        return [d for d in (self.date_of_birth, self.date_of_birth_swapped) if d is not None]

    @property
    def postcode_is_full(self) -> bool:
        return " " in self.postcode

    @property
    def postcode_district(self) -> str:
        return self.postcode.split(" ", 1)[0]

    # Keys of the query, in the form stored on children --------------------------------

    @property
    def given_phonetics(self) -> set[str]:
        names = _given_variants(self.given) if self.given else frozenset()
        keys = {given_name_keys(name)[2] for name in names}
        if self.one_word:  # one word may be either name
            keys |= self.family_phonetics_of(self.given)
        return {key for key in keys if key}

    @property
    def family_parts(self) -> tuple[str, ...]:
        return standardise._family_name_parts(self.family) if self.family else ()

    @staticmethod
    def family_phonetics_of(text: str) -> set[str]:
        return {standardise.phonetic_key(part) for part in standardise.family_name_parts(text)}

    @property
    def family_phonetics(self) -> set[str]:
        if self.one_word:
            return self.family_phonetics_of(self.given) | self.given_phonetics
        keys = self.family_phonetics_of(self.family)
        keys |= {family_name_keys(self.family)[1]}
        return {key for key in keys if key}

    @property
    def given_prefixes(self) -> set[str]:
        """First letters of the given name and its formal forms (people rarely mistype the
        first letter; the second is often transposed)."""
        names = {self.given, *standardise.given_name_variants(self.given)} if self.given else set()
        return {name[:1] for name in names if name}

    @property
    def family_prefixes(self) -> set[str]:
        parts = (self.given,) if self.one_word else self.family_parts
        return {part[:1] for part in parts if part}


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    """One child as a search shows them: enough to pick the right child, no more."""

    child_id: int
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    postcode_district: str
    score: int  # 0 to 100
    notes: tuple[str, ...] = ()
    has_relationship: bool = False
    whereabouts_hidden: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def sex_display(self) -> str:
        return Sex(self.sex).label if self.sex in Sex.values else self.sex


@dataclass(frozen=True)
class SearchOutcome:
    query: SearchQuery
    results: list[SearchResult]
    strategy: str
    candidates: int


# The columns a candidate is read with: only what scoring and the result need.
_CANDIDATE_COLUMNS = (
    "pk",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    *SEARCH_KEY_FIELDS,
)


@dataclass
class _Candidate:
    row: tuple[Any, ...]
    score: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return int(self.row[0])

    def get(self, name: str) -> Any:
        return self.row[_COLUMN_INDEX[name]]


_COLUMN_INDEX = {name: index for index, name in enumerate(_CANDIDATE_COLUMNS)}


# ---------------------------------------------------------------------------------------
# Candidate generation
# ---------------------------------------------------------------------------------------


class _TrigramSimilar(Lookup):
    """``column % value`` (pg_trgm), usable by the GIN trigram indexes. PostgreSQL only."""

    lookup_name = "search_trigram_similar"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} %% {rhs}", [*lhs_params, *rhs_params]


def _any_prefix(column: str, prefixes: Iterable[str]) -> Q:
    found = Q(pk__in=[])
    for prefix in sorted(prefixes):
        low, high = _prefix_range(prefix)
        found |= Q(**{f"{column}__gte": low, f"{column}__lt": high})
    return found


def _loose_name_q(query: SearchQuery) -> Q:
    """Any sign that the name agrees: used with a date of birth, which already narrows to
    a few hundred children at a million."""
    family, given = query.family_phonetics, query.given_phonetics
    return (
        Q(search_family_phonetic__in=family)
        | Q(search_family_phonetic_last__in=family)
        | Q(search_given_phonetic__in=given)
        | _any_prefix("search_family", query.family_prefixes)
        | _any_prefix("search_given", query.given_prefixes)
    )


def _name_q(query: SearchQuery) -> Q:
    """Without a date of birth: both names agree by sound, or one by sound and the other
    by its first letter (a typing error usually leaves the first letter alone)."""
    family, given = query.family_phonetics, query.given_phonetics
    both = Q(search_family_phonetic__in=family, search_given_phonetic__in=given) | Q(
        search_family_phonetic_last__in=family, search_given_phonetic__in=given
    )
    given_sounds = Q(search_given_phonetic__in=given) & _any_prefix(
        "search_family", query.family_prefixes
    )
    family_sounds = Q(search_family_phonetic__in=family) & _any_prefix(
        "search_given", query.given_prefixes
    )
    return both | given_sounds | family_sounds


def _postcode_q(query: SearchQuery) -> Q:
    if query.postcode_is_full:
        return Q(search_postcode=query.postcode)
    return _any_prefix("search_postcode", {f"{query.postcode_district} "})


def _candidate_rows(filters: Q) -> list[tuple[Any, ...]]:
    return list(
        Child.objects.filter(filters, policy.live_children_q())
        .order_by()
        .values_list(*_CANDIDATE_COLUMNS)[:MAX_CANDIDATES]
    )


def _trigram_rows(query: SearchQuery) -> list[tuple[Any, ...]]:
    """Trigram similarity of one name with the first letter of the other (PostgreSQL)."""
    given = _TrigramSimilar(F("search_given"), Value(query.given, output_field=CharField()))
    family = _TrigramSimilar(F("search_family"), Value(query.family, output_field=CharField()))
    filters = (Q(family) & _any_prefix("search_given", query.given_prefixes)) | (
        Q(given) & _any_prefix("search_family", query.family_prefixes)
    )
    return list(
        Child.objects.filter(filters, policy.live_children_q())
        .order_by()
        .values_list(*_CANDIDATE_COLUMNS)[:MAX_CANDIDATES]
    )


# ---------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------


def _given_similarity(query_given: str, child: _Candidate) -> tuple[float, str]:
    child_given = (child.get("search_given") or "").split(" ", 1)[0]
    if not child_given:
        return 0.0, ""
    if query_given == child_given:
        return 1.0, ""
    query_variants = _given_variants(query_given)
    if child_given in query_variants or child.get("search_given_canonical") in query_variants:
        return 0.95, "Nickname or other form of the given name"
    similarity = jellyfish.jaro_winkler_similarity(query_given, child_given)
    if given_name_keys(query_given)[2] == child.get("search_given_phonetic"):
        return max(similarity, 0.9), "Given name sounds alike"
    return similarity, ""


def _family_similarity(query_family: str, child: _Candidate) -> tuple[float, str]:
    child_family = child.get("search_family") or ""
    if not child_family:
        return 0.0, ""
    if query_family == child_family:
        return 1.0, ""
    query_parts = standardise._family_name_parts(query_family)
    child_parts = standardise._family_name_parts(child_family)
    if "".join(query_parts) == "".join(child_parts):
        return 1.0, ""
    best, note = jellyfish.jaro_winkler_similarity(query_family, child_family), ""
    for query_part in query_parts:
        for child_part in child_parts:
            if query_part == child_part:
                part = 0.95
                part_note = "One part of a double-barrelled family name"
            else:
                part = jellyfish.jaro_winkler_similarity(query_part, child_part)
                part_note = ""
                if standardise.phonetic_key(query_part) == standardise.phonetic_key(child_part):
                    part, part_note = max(part, 0.9), "Family name sounds alike"
            if part > best:
                best, note = part, part_note
    return best, note


def _score(query: SearchQuery, child: _Candidate) -> None:
    total = weight = 0.0
    notes: list[str] = []
    if query.one_word:
        given, given_note = _given_similarity(query.given, child)
        family, family_note = _family_similarity(query.given, child)
        name_weight = NAME_WEIGHTS["given"] + NAME_WEIGHTS["family"]
        similarity, note = (given, given_note) if given >= family else (family, family_note)
        # One name says less than two: a perfect one-word match scores as a good two-word one.
        total += name_weight * similarity * 0.85
        weight += name_weight
        notes += [note] if note else []
    elif query.has_name:
        given, given_note = _given_similarity(query.given, child)
        family, family_note = _family_similarity(query.family, child)
        total += NAME_WEIGHTS["given"] * given + NAME_WEIGHTS["family"] * family
        weight += NAME_WEIGHTS["given"] + NAME_WEIGHTS["family"]
        notes += [note for note in (given_note, family_note) if note]
    if query.date_of_birth is not None:
        born = date.fromisoformat(str(child.get("date_of_birth")))
        if born == query.date_of_birth:
            total += DOB_WEIGHT
        elif born == query.date_of_birth_swapped:
            total += DOB_WEIGHT * SWAPPED_DOB_SIMILARITY
            notes.append("Date of birth with day and month swapped")
        weight += DOB_WEIGHT
    if query.postcode:
        postcode = child.get("search_postcode") or ""
        if postcode and postcode == query.postcode:
            total += POSTCODE_WEIGHT
        elif postcode and postcode.split(" ", 1)[0] == query.postcode_district:
            total += POSTCODE_WEIGHT * (1.0 if not query.postcode_is_full else 0.6)
            if query.postcode_is_full:
                notes.append("Same postcode district, different postcode")
        weight += POSTCODE_WEIGHT
    child.score = total / weight if weight else 0.0
    child.notes = notes


def _rank(query: SearchQuery, rows: Iterable[tuple[Any, ...]]) -> list[_Candidate]:
    candidates = [_Candidate(row) for row in rows]
    for candidate in candidates:
        _score(query, candidate)
    candidates.sort(key=lambda candidate: (-candidate.score, candidate.pk))
    return candidates


# ---------------------------------------------------------------------------------------
# Searching
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    candidates: list[_Candidate]
    strategy: str
    examined: int


def _find(query: SearchQuery, limit: int) -> _Found:
    # 1. Identifiers: exact, and the answer when they find someone.
    identifier_q = Q(pk__in=[])
    if query.nhs_number:
        identifier_q |= Q(nhs_number=query.nhs_number)
    if query.upn:
        identifier_q |= Q(upn=query.upn)
    if query.nhs_number or query.upn:
        rows = _candidate_rows(identifier_q)
        if rows or not (query.has_name or query.date_of_birth or query.postcode):
            ranked = _rank(query, rows)
            for candidate in ranked:
                candidate.score = 1.0
                candidate.notes = ["NHS number or UPN"]
            return _Found(ranked[:limit], "identifier", len(rows))

    # 2. Candidates through indexed predicates.
    if query.date_of_birth is not None:
        filters = Q(date_of_birth__in=query.dates)
        if query.has_name:
            filters &= _loose_name_q(query)
        elif query.postcode:
            filters &= _postcode_q(query)
        strategy = "date of birth"
    elif query.has_name and not query.one_word:
        filters = _name_q(query)
        strategy = "name"
    elif query.postcode:
        filters = _postcode_q(query)
        strategy = "postcode"
    else:
        return _Found([], "none", 0)
    if query.postcode and query.one_word and query.date_of_birth is None:
        filters = _postcode_q(query)
        strategy = "postcode"

    rows = _candidate_rows(filters)
    # A postcode narrows a search without a date of birth to the same district.
    if query.postcode and query.date_of_birth is None:
        district = query.postcode_district
        rows = [
            row
            for row in rows
            if (row[_COLUMN_INDEX["search_postcode"]] or "").split(" ")[0] == district
        ]
    ranked = _rank(query, rows)
    examined = len(rows)

    # 3. PostgreSQL: a name-only search with no strong candidate also tries trigrams.
    if (
        strategy == "name"
        and connection.vendor == "postgresql"
        and (not ranked or ranked[0].score < TRIGRAM_FALLBACK_BELOW)
    ):
        seen = {candidate.pk for candidate in ranked}
        extra = [row for row in _trigram_rows(query) if row[0] not in seen]
        if query.postcode:
            district = query.postcode_district
            extra = [
                row
                for row in extra
                if (row[_COLUMN_INDEX["search_postcode"]] or "").split(" ")[0] == district
            ]
        if extra:
            examined += len(extra)
            ranked = sorted([*ranked, *_rank(query, extra)], key=lambda c: (-c.score, c.pk))
            strategy = "name, with trigram similarity"
    return _Found(ranked[:limit], strategy, examined)


def _suppress_shielded(results: Sequence[SearchResult], hidden: set[int]) -> list[SearchResult]:
    """Hide the postcode district of each shielded child whose whereabouts the searcher may
    not see (``sharing.policy.children_with_hidden_whereabouts``)."""
    return [
        replace(result, postcode_district="", whereabouts_hidden=True)
        if result.child_id in hidden
        else result
        for result in results
    ]


def find_children(
    query: SearchQuery, *, practitioner: Practitioner | None = None, limit: int = MAX_RESULTS
) -> SearchOutcome:
    """The search itself, without recording it (``search_children`` records it). With a
    practitioner, each result says whether they already have a relationship with the child
    and shielded children's whereabouts are hidden from them; without one (benchmarks),
    every whereabouts is hidden for a shielded child."""
    found = _find(query, limit)
    ids = [candidate.pk for candidate in found.candidates]
    related: set[int] = set()
    if ids and practitioner is not None:
        related = set(
            Child.objects.filter(pk__in=ids)
            .filter(policy.visible_children_filter(practitioner))
            .values_list("pk", flat=True)
        )
    viewer = practitioner if practitioner is not None else AnonymousUser()
    hidden = policy.children_with_hidden_whereabouts(viewer, ids) if ids else set()
    results = [
        SearchResult(
            child_id=candidate.pk,
            given_name=candidate.get("given_name"),
            family_name=candidate.get("family_name"),
            date_of_birth=date.fromisoformat(str(candidate.get("date_of_birth"))),
            sex=candidate.get("sex"),
            postcode_district=(candidate.get("search_postcode") or "").split(" ", 1)[0],
            score=round(candidate.score * 100),
            notes=tuple(dict.fromkeys(candidate.notes)),
            has_relationship=candidate.pk in related,
        )
        for candidate in found.candidates
    ]
    return SearchOutcome(
        query=query,
        results=_suppress_shielded(results, hidden),
        strategy=found.strategy,
        candidates=found.examined,
    )


def search_children(*, practitioner: Practitioner, query: SearchQuery) -> SearchOutcome:
    """Search the child index and record the search — parameters as entered, children
    returned in rank order — in one transaction, so an unrecorded search cannot happen."""
    policy.require(
        policy.can_search_children(practitioner),
        "System administrators cannot search for children through that role.",
    )
    with transaction.atomic():
        outcome = find_children(query, practitioner=practitioner)
        audit.record_search(
            practitioner=practitioner,
            parameters={**query.entered, "strategy": outcome.strategy},
            result_child_ids=[result.child_id for result in outcome.results],
        )
    return outcome
