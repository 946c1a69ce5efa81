"""Template helpers available in every template (registered as a builtin in settings)."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], page_number: int) -> str:
    """The current URL's query string with only the page number changed, so filters
    survive paging."""
    query = context["request"].GET.copy()
    query["page"] = page_number
    return f"?{query.urlencode()}"


@register.filter
def error_target(field: BoundField) -> str:
    """The id an error summary link should jump to: the input itself, or the first option
    of a group of radios or checkboxes (whose label has no single id)."""
    if field.widget_type == "govukdate":
        return f"{field.auto_id}_day"
    if field.id_for_label:
        return field.id_for_label
    subwidgets = list(field.subwidgets)
    if subwidgets:
        return str(subwidgets[0].id_for_label)
    return str(field.auto_id)
