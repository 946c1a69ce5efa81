"""The toolkit's content lives in data files, and every item names its source framework."""

from __future__ import annotations

import pytest

from joinedup.toolkit.content import (
    KINDS,
    ContentError,
    content_files,
    load_file,
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
