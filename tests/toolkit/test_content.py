"""The toolkit's content lives in data files, and every item names its source framework."""

from __future__ import annotations

import pytest

from joinedup.toolkit.content import (
    EVIDENCE_KINDS,
    KINDS,
    ContentError,
    checklist_files,
    checklists,
    content_files,
    load_checklist_file,
    load_file,
    parse_checklist,
    parse_tool,
    tool_content,
)
from joinedup.toolkit.models import DIAMOND_STATEMENTS


def test_there_is_a_content_file_for_every_tool():
    assert {path.stem for path in content_files()} == set(KINDS)


@pytest.mark.parametrize("path", content_files(), ids=lambda path: path.name)
def test_every_item_carries_its_source_framework(path):
    content = load_file(path)
    assert content.source
    for item in content.items:
        assert item.text, f"{path.name}: an item has no text"
        assert item.source, f"{path.name}: '{item.text}' has no source framework"


def test_the_diamond_has_twelve_statements_so_each_member_sets_aside_three():
    assert len(tool_content("diamond_ranking").items) == DIAMOND_STATEMENTS


def test_the_swot_prompts_cover_all_four_quadrants():
    quadrants = {item.quadrant for item in tool_content("swot").items}
    assert quadrants == {"strengths", "weaknesses", "opportunities", "threats"}


def _tool(**items_and_fields):
    data = {
        "kind": "force_field",
        "name": "Force-field analysis",
        "source": "Force-field analysis (Lewin)",
        "summary": "Forces for and against.",
        "items": [{"text": "Funding", "source": "Force-field analysis (Lewin)"}],
    }
    data.update(items_and_fields)
    return data


def test_an_item_without_a_source_is_refused_with_a_clear_message():
    with pytest.raises(
        ContentError, match=r"force_field\.json: item 1 \('Funding'\) has no source"
    ):
        parse_tool(_tool(items=[{"text": "Funding"}]), where="force_field.json")


def test_an_item_without_text_is_refused():
    with pytest.raises(ContentError, match="item 1 has no text"):
        parse_tool(_tool(items=[{"source": "SWOT analysis"}]), where="f.json")


def test_a_file_without_its_own_framework_or_items_is_refused():
    with pytest.raises(ContentError, match="'source' is missing"):
        parse_tool(_tool(source=""), where="f.json")
    with pytest.raises(ContentError, match="'items' must be a non-empty list"):
        parse_tool(_tool(items=[]), where="f.json")
    with pytest.raises(ContentError, match="unknown kind"):
        parse_tool(_tool(kind="tarot"), where="f.json")


def test_a_swot_item_needs_a_quadrant():
    with pytest.raises(ContentError, match="needs a quadrant"):
        parse_tool(
            _tool(kind="swot", items=[{"text": "Good", "source": "SWOT analysis"}]),
            where="swot.json",
        )


# Self-evaluation checklists --------------------------------------------------------------


def test_both_checklists_are_there():
    assert set(checklists()) == {"building_blocks", "partnership_readiness"}


@pytest.mark.parametrize("path", checklist_files(), ids=lambda path: path.name)
def test_every_checklist_item_carries_its_source_framework(path):
    checklist = load_checklist_file(path)
    assert checklist.source
    keys = [item.key for item in checklist.items]
    assert len(keys) == len(set(keys))
    for item in checklist.items:
        assert item.text, f"{path.name}: an item has no text"
        assert item.source, f"{path.name}: '{item.text}' has no source framework"
        assert not item.evidence or item.evidence in EVIDENCE_KINDS


def test_readiness_covers_its_eight_foundations():
    keys = {item.key for item in checklists()["partnership_readiness"].items}
    assert {
        "shared_values",
        "priorities",
        "boundaries",
        "responsibilities",
        "resources",
        "leadership",
        "capacity",
        "trust",
    } <= keys


def test_every_kind_of_evidence_is_used_by_some_item():
    used = {item.evidence for checklist in checklists().values() for item in checklist.items}
    assert set(EVIDENCE_KINDS) <= used


def _checklist(**fields):
    data = {
        "key": "building_blocks",
        "name": "Building blocks",
        "source": "Building blocks of effective multi-agency working",
        "summary": "Rate each.",
        "items": [{"key": "a", "text": "We meet", "source": "Building blocks"}],
    }
    data.update(fields)
    return data


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"key": "a", "text": "We meet"}], r"item 1 \('We meet'\) has no source"),
        ([{"key": "a", "source": "B"}], "item 1 has no text"),
        ([{"text": "We meet", "source": "B"}], "needs a key"),
        (
            [{"key": "a", "text": "x", "source": "B"}, {"key": "a", "text": "y", "source": "B"}],
            "item 2 needs a key of its own",
        ),
        ([{"key": "a", "text": "x", "source": "B", "evidence": "horoscope"}], "unknown evidence"),
    ],
)
def test_a_checklist_item_is_checked(items, message):
    with pytest.raises(ContentError, match=message):
        parse_checklist(_checklist(items=items), where="building_blocks.json")
