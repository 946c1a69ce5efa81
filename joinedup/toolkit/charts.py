"""The toolkit's charts as server-side SVG, with no JavaScript (the same pattern as
referrals.charts): this module says where every shape and label goes; the templates
toolkit/_diamond_chart.html and _force_field_chart.html draw them, with a title and a
description in words, and every chart is followed by a table of the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

from joinedup.toolkit.models import DIAMOND_ROWS
from joinedup.toolkit.selectors import DiamondResult, ForceFieldResult

BOX_WIDTH = 170
BOX_HEIGHT = 48
BOX_GAP = 10
DIAMOND_WIDTH = 3 * BOX_WIDTH + 4 * BOX_GAP
LABEL_LENGTH = 24


def _short(text: str, length: int = LABEL_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@dataclass(frozen=True)
class DiamondBox:
    x: int
    y: int
    number: int
    label: str
    text_x: int


@dataclass(frozen=True)
class DiamondChart:
    id: str
    title: str
    description: str
    width: int
    height: int
    box_width: int
    box_height: int
    boxes: list[DiamondBox]


def diamond_chart(result: DiamondResult) -> DiamondChart:
    """The group's diamond: each box holds a statement's number and the start of its text,
    most important at the top."""
    boxes = []
    for index, (_row, statements) in enumerate(result.rows):
        row_width = len(statements) * BOX_WIDTH + (len(statements) - 1) * BOX_GAP
        left = (DIAMOND_WIDTH - row_width) // 2
        y = BOX_GAP + index * (BOX_HEIGHT + BOX_GAP)
        for position, statement in enumerate(statements):
            x = left + position * (BOX_WIDTH + BOX_GAP)
            boxes.append(
                DiamondBox(x, y, statement.order, _short(statement.text), x + BOX_WIDTH // 2)
            )
    top = result.row(1)
    description = (
        f"The group's diamond from {result.member_count} member"
        f"{'s' if result.member_count != 1 else ''}' rankings."
    )
    if top:
        description += f" At the top: statement {top[0].order}, {top[0].text}"
    return DiamondChart(
        id="diamond-chart",
        title="The group's diamond ranking",
        description=description,
        width=DIAMOND_WIDTH,
        height=BOX_GAP + len(DIAMOND_ROWS) * (BOX_HEIGHT + BOX_GAP),
        box_width=BOX_WIDTH,
        box_height=BOX_HEIGHT,
        boxes=boxes,
    )


FORCE_WIDTH = 720
FORCE_CENTRE = FORCE_WIDTH // 2
FORCE_UNIT = 56  # length of one point of strength
FORCE_ROW = 44
FORCE_TOP = 40


@dataclass(frozen=True)
class ForceArrow:
    direction: str
    x1: int  # tail
    x2: int  # head, at the centre line
    y: int
    label: str
    label_x: int
    strength: int
    head: str  # the arrowhead's polygon points


@dataclass(frozen=True)
class ForceFieldChart:
    id: str
    title: str
    description: str
    width: int
    height: int
    centre: int
    arrows: list[ForceArrow]
    total_y: int
    total_for: int
    total_against: int


def _arrow(direction: str, index: int, strength: int, description: str) -> ForceArrow:
    y = FORCE_TOP + index * FORCE_ROW + 24
    length = strength * FORCE_UNIT
    if direction == "for":
        x1, x2 = FORCE_CENTRE - 8 - length, FORCE_CENTRE - 8
        head = f"{x2},{y} {x2 - 10},{y - 7} {x2 - 10},{y + 7}"
        label_x = FORCE_CENTRE - 12
    else:
        x1, x2 = FORCE_CENTRE + 8 + length, FORCE_CENTRE + 8
        head = f"{x2},{y} {x2 + 10},{y - 7} {x2 + 10},{y + 7}"
        label_x = FORCE_CENTRE + 12
    return ForceArrow(direction, x1, x2, y, _short(description, 40), label_x, strength, head)


def force_field_chart(result: ForceFieldResult) -> ForceFieldChart:
    """Forces for the change push from the left, forces against from the right; each
    arrow's length is its strength."""
    arrows = [
        _arrow("for", index, force.strength, force.description)
        for index, force in enumerate(result.forces_for)
    ] + [
        _arrow("against", index, force.strength, force.description)
        for index, force in enumerate(result.forces_against)
    ]
    rows = max(len(result.forces_for), len(result.forces_against), 1)
    height = FORCE_TOP + rows * FORCE_ROW + 40
    return ForceFieldChart(
        id="force-field-chart",
        title="Force-field analysis: forces for and against the change",
        description=(
            f"{len(result.forces_for)} forces for the change, total strength "
            f"{result.total_for}; {len(result.forces_against)} forces against, total "
            f"strength {result.total_against}. {result.balance_words}"
        ),
        width=FORCE_WIDTH,
        height=height,
        centre=FORCE_CENTRE,
        arrows=arrows,
        total_y=height - 12,
        total_for=result.total_for,
        total_against=result.total_against,
    )
