"""The toolkit's content as data: one JSON file per tool in ``toolkit/content/``.

JSON rather than YAML because the standard library reads it (PyYAML is not a dependency
of the project). Each file says what it is for (``about``), names its tool (``kind``) and
the framework the tool is based on (``source``), gives a summary in Joined Up's own words
and a list of ``items`` (statements to rank, prompts to think with). Every item carries
its own ``source`` so that the product always says which framework, or which source
document, an idea comes from. Loading checks every file and stops with a message naming
the file and the item at fault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CONTENT_DIR = Path(__file__).resolve().parent / "content"
KINDS = ("diamond_ranking", "force_field", "swot")
SWOT_QUADRANTS = ("strengths", "weaknesses", "opportunities", "threats")


class ContentError(ValueError):
    """A content file that is missing, malformed or has an item without text or source."""


@dataclass(frozen=True)
class ContentItem:
    text: str
    source: str
    quadrant: str = ""


@dataclass(frozen=True)
class ToolContent:
    kind: str
    name: str
    source: str
    summary: str
    items: tuple[ContentItem, ...]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_tool(data: Any, *, where: str) -> ToolContent:
    """Checks one tool's content and returns it; raises ContentError saying what is wrong."""
    if not isinstance(data, dict):
        raise ContentError(f"{where}: expected a mapping with kind, name, source and items")
    for key in ("kind", "name", "source", "summary"):
        if not _text(data.get(key)):
            raise ContentError(f"{where}: '{key}' is missing or empty")
    kind = data["kind"].strip()
    if kind not in KINDS:
        raise ContentError(f"{where}: unknown kind '{kind}' (expected one of {', '.join(KINDS)})")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise ContentError(f"{where}: 'items' must be a non-empty list")
    items = []
    for number, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, dict):
            raise ContentError(f"{where}: item {number} must be a mapping with text and source")
        text, source = _text(raw.get("text")), _text(raw.get("source"))
        if not text:
            raise ContentError(f"{where}: item {number} has no text")
        if not source:
            raise ContentError(f"{where}: item {number} ('{text[:40]}') has no source framework")
        quadrant = _text(raw.get("quadrant"))
        if kind == "swot" and quadrant not in SWOT_QUADRANTS:
            raise ContentError(
                f"{where}: item {number} needs a quadrant ({', '.join(SWOT_QUADRANTS)})"
            )
        items.append(ContentItem(text=text, source=source, quadrant=quadrant))
    return ToolContent(
        kind=kind,
        name=data["name"].strip(),
        source=data["source"].strip(),
        summary=" ".join(data["summary"].split()),
        items=tuple(items),
    )


def load_file(path: Path) -> ToolContent:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise ContentError(f"{path.name}: cannot be read as JSON ({problem})") from problem
    return parse_tool(data, where=path.name)


def content_files() -> list[Path]:
    return sorted(CONTENT_DIR.glob("*.json"))


@cache
def tool_content(kind: str) -> ToolContent:
    """The content of one tool, read once per process."""
    path = CONTENT_DIR / f"{kind}.json"
    if not path.is_file():
        raise ContentError(f"No content file for '{kind}' ({path.name})")
    content = load_file(path)
    if content.kind != kind:
        raise ContentError(f"{path.name}: says kind '{content.kind}', expected '{kind}'")
    return content


# Self-evaluation checklists -------------------------------------------------------------
#
# One JSON file per checklist in ``content/checklists/``: ``key``, ``name``, ``source``,
# ``summary`` and ``items``, each item with a ``key`` (answers are stored by it, so it
# never changes), ``text`` and ``source``, and optionally the ``evidence`` Joined Up shows
# beside it (toolkit.evidence computes each kind).

CHECKLIST_DIR = CONTENT_DIR / "checklists"
EVIDENCE_KINDS = (
    "meetings_every_half_term",
    "reviews_on_time",
    "referrals_acknowledged_on_time",
)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str
    source: str
    evidence: str = ""


@dataclass(frozen=True)
class Checklist:
    key: str
    name: str
    source: str
    summary: str
    items: tuple[ChecklistItem, ...]


def parse_checklist(data: Any, *, where: str) -> Checklist:
    """Checks one checklist and returns it; raises ContentError saying what is wrong."""
    if not isinstance(data, dict):
        raise ContentError(f"{where}: expected a mapping with key, name, source and items")
    for field in ("key", "name", "source", "summary"):
        if not _text(data.get(field)):
            raise ContentError(f"{where}: '{field}' is missing or empty")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise ContentError(f"{where}: 'items' must be a non-empty list")
    items: list[ChecklistItem] = []
    for number, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, dict):
            raise ContentError(f"{where}: item {number} must be a mapping with key, text, source")
        key, text, source = _text(raw.get("key")), _text(raw.get("text")), _text(raw.get("source"))
        if not text:
            raise ContentError(f"{where}: item {number} has no text")
        if not source:
            raise ContentError(f"{where}: item {number} ('{text[:40]}') has no source framework")
        if not key or key in {item.key for item in items}:
            raise ContentError(f"{where}: item {number} needs a key of its own")
        evidence = _text(raw.get("evidence"))
        if evidence and evidence not in EVIDENCE_KINDS:
            raise ContentError(f"{where}: item {number} names unknown evidence '{evidence}'")
        items.append(ChecklistItem(key=key, text=text, source=source, evidence=evidence))
    return Checklist(
        key=data["key"].strip(),
        name=data["name"].strip(),
        source=data["source"].strip(),
        summary=" ".join(data["summary"].split()),
        items=tuple(items),
    )


def checklist_files() -> list[Path]:
    return sorted(CHECKLIST_DIR.glob("*.json"))


def load_checklist_file(path: Path) -> Checklist:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise ContentError(f"{path.name}: cannot be read as JSON ({problem})") from problem
    checklist = parse_checklist(data, where=path.name)
    if checklist.key != path.stem:
        raise ContentError(f"{path.name}: says key '{checklist.key}', expected '{path.stem}'")
    return checklist


@cache
def checklists() -> dict[str, Checklist]:
    """Every checklist by key, read once per process."""
    return {path.stem: load_checklist_file(path) for path in checklist_files()}
