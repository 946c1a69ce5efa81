"""The corpus of hostile inputs and the HTML form reader the hostile-input tests use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Each value is sent as it is; bytes are sent as raw bytes (not valid UTF-8).
HOSTILE: dict[str, str | bytes] = {
    "script": "<script>alert(1)</script>",
    "img-onerror": '"><img src=x onerror=alert(1)>',
    "javascript-url": "javascript:alert(1)",
    "sql-drop-table": "'; DROP TABLE children_child; --",
    "sql-or": "1 OR 1=1",
    "formula-hyperlink": '=HYPERLINK("http://evil","x")',
    "formula-dde": "=cmd|' /C calc'!A0",
    "formula-plus": "+1+1",
    "formula-minus": "-2+3",
    "formula-at": "@SUM(1)",
    "oversized": "x" * 100_000,
    "nul-byte": "a\x00b",
    # A lone UTF-16 surrogate cannot be a Python str sent over HTTP: its UTF-8-style
    # encoding is invalid UTF-8, which is what a hostile client would send.
    "lone-surrogate": b"a\xed\xa0\x80b",
    "right-to-left-override": "invoice\u202efdp.exe",
    "impossible-date": "31/02/2024",
    "malformed-date": "9999-99-99",
    "negative-number": "-1",
    "huge-integer": "99999999999999999999",
    "emoji": "\U0001f476\U0001f3fd Zo\u00eb",
    "template-syntax": "{{ request }}{% debug %}",
    "path-traversal": "../../../../etc/passwd",
    "header-injection": "a\r\nSet-Cookie: stolen=1",
}

# What must never come back unescaped in an HTML page.
UNESCAPED = ("<script>alert(1)</script>", "onerror=alert(1)>")
JAVASCRIPT_LINK = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


def unsafe_output(response) -> str | None:
    """What is unsafe in an HTML response, if anything."""
    if "html" not in response.headers.get("Content-Type", ""):
        return None
    text = response.content.decode("utf-8", "replace")
    for needle in UNESCAPED:
        if needle in text:
            return f"unescaped {needle!r}"
    if match := JAVASCRIPT_LINK.search(text):
        return f"a javascript: link {match.group(0)!r}"
    return None


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, select, checkbox, radio, textarea, file, submit, ...
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted({f.name for f in self.fields}))

    def defaults(self) -> dict[str, list[str]]:
        """What a browser sends for the form as it is shown (first option, ticked boxes)."""
        data: dict[str, list[str]] = {}
        checked_radios = {f.name for f in self.fields if f.kind == "radio" and f.checked}
        for f in self.fields:
            if f.kind == "radio" and f.name in checked_radios and not f.checked:
                continue
            if f.kind in {"checkbox", "radio"}:
                if f.value and f.name not in data:
                    data.setdefault(f.name, []).append(f.value)
            elif f.kind == "select":
                chosen = f.value or next((o for o in f.options if o), "")
                data.setdefault(f.name, []).append(chosen)
            elif f.kind not in {"file", "submit", "button", "reset", "image"}:
                data.setdefault(f.name, []).append(f.value)
        return data


class FormReader(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._select: Field | None = None
        self._radio_seen: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value = a.get("value", "")
            return
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self.forms.append(Form(action.split("#")[0], (a.get("method") or "get").lower()))
            return
        if not self.forms or not a.get("name"):
            return
        form = self.forms[-1]
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                # Keep the ticked one, or the first, so the default data is plausible.
                ticked = "checked" in a
                first = name not in self._radio_seen
                self._radio_seen.add(name)
                value = a.get("value", "on") if (ticked or (kind == "radio" and first)) else ""
                form.fields.append(Field(name, kind, value, [a.get("value", "on")], ticked))
            else:
                form.fields.append(Field(name, kind, a.get("value", "")))
        elif tag == "textarea":
            form.fields.append(Field(name, "textarea"))
        elif tag == "select":
            self._select = Field(name, "select")
            form.fields.append(self._select)
        elif tag == "button" and a.get("value"):
            form.fields.append(Field(name, "submit", a["value"]))

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def read_forms(html: str, page_url: str) -> list[Form]:
    reader = FormReader(page_url)
    reader.feed(html)
    return reader.forms


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
