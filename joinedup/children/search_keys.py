"""The search keys stored on each child, worked out in one place.

Search (``joinedup/children/search.py``) finds children through keys stored beside their
names: standardised names, sound-alike (NYSIIS) keys, the formal form of the given name
and the standardised postcode. Every path that writes a child computes them here —
``Child.save``, the demo area's bulk loader and ``manage.py rebuild_search_keys`` — so the
keys cannot drift apart. This module imports no models, so the loader and the model can
both use it.

The rules of standardisation are those of :mod:`joinedup.children.standardise`; see
``docs/child-index.md`` ("Standardisation" and "Search").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from joinedup.children import standardise

# The Child fields holding the keys, in the order of ``search_key_row``.
SEARCH_KEY_FIELDS = (
    "search_given",
    "search_given_canonical",
    "search_given_phonetic",
    "search_family",
    "search_family_phonetic",
    "search_family_phonetic_last",
    "search_postcode",
)
# The Child fields the keys are computed from.
SEARCH_SOURCE_FIELDS = ("given_name", "family_name", "postcode")

_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=_CACHE_SIZE)
def given_name_keys(raw: str) -> tuple[str, str, str]:
    """(standardised given name, formal form of its first word, sound-alike key of that
    formal form). "Billy-Joe" → ("BILLY JOE", "WILLIAM", "WILLAN")."""
    standardised = standardise.standardise_name(raw)
    first = standardised.split(" ", 1)[0] if standardised else ""
    canonical = standardise.canonical_given_name(first) if first else ""
    return standardised, canonical, standardise.phonetic_key(canonical)


@lru_cache(maxsize=_CACHE_SIZE)
def family_name_keys(raw: str) -> tuple[str, str, str]:
    """(standardised family name, sound-alike key of its first part, sound-alike key of its
    last part when double-barrelled, else ""). "Smith-Jones" → ("SMITH JONES", "SNAT",
    "JAN"); "van der Berg" → ("VAN DER BERG", "VANDARBARG", "")."""
    standardised = standardise.standardise_name(raw)
    parts = standardise.family_name_parts(standardised)
    if not parts:
        return standardised, "", ""
    first = standardise.phonetic_key(parts[0])
    last = standardise.phonetic_key(parts[-1]) if len(parts) > 1 else ""
    return standardised, first, last


@lru_cache(maxsize=_CACHE_SIZE)
def postcode_key(raw: str) -> str:
    """The standardised postcode ("sw1a1aa" → "SW1A 1AA"), or "" when it is not valid."""
    return standardise.standardise_postcode(raw).value


def search_key_row(given_name: str, family_name: str, postcode: str) -> tuple[str, ...]:
    """The keys as a tuple in the order of ``SEARCH_KEY_FIELDS`` (for bulk writers)."""
    return (
        *given_name_keys(given_name or ""),
        *family_name_keys(family_name or ""),
        postcode_key(postcode or ""),
    )


def search_keys_for(child_values: Mapping[str, object]) -> dict[str, str]:
    """The search keys for a child's ``given_name``, ``family_name`` and ``postcode``, as a
    dict of Child field name → value."""
    row = search_key_row(
        str(child_values.get("given_name") or ""),
        str(child_values.get("family_name") or ""),
        str(child_values.get("postcode") or ""),
    )
    return dict(zip(SEARCH_KEY_FIELDS, row, strict=True))
