"""The size of the security suite, as docs/security-tests.md states it: a URL, a role or a
hostile value added changes the numbers, and this test says to update the document."""

from __future__ import annotations

import re
from pathlib import Path

from tests.security import test_csrf, test_hostile_inputs, test_idor
from tests.sharing.test_permission_matrix import ROLES

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "security-tests.md"
ROW = re.compile(r"^\| (?P<what>[^|]+?) \| (?P<count>[\d,]+) \|$")


def suite_size() -> dict[str, int]:
    return {
        "Roles": len(ROLES),
        **test_idor.planned_size(),
        **test_csrf.planned_size(),
        **test_hostile_inputs.planned_size(),
    }


def documented_size() -> dict[str, int]:
    rows = {}
    for line in DOCUMENT.read_text().splitlines():
        if match := ROW.match(line.strip()):
            rows[match["what"]] = int(match["count"].replace(",", ""))
    return rows


def table() -> str:
    return "\n".join(f"| {what} | {count:,} |" for what, count in suite_size().items())


def test_the_documented_size_is_the_real_size():
    documented = {k: v for k, v in documented_size().items() if k in suite_size()}
    assert documented == suite_size(), (
        "docs/security-tests.md gives a different size for the security suite; "
        f"replace its table of planned requests with:\n{table()}"
    )
