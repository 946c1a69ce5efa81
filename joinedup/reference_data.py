"""Reference data that lives in data files and is loaded by data migrations: the five
outcomes, the assessment's domains and elements, and the services directory's needs.

``ensure_reference_data`` loads them again (idempotently) after something emptied the
tables without re-running migrations — ``manage.py flush``, or the transactional test
cases behind the browser tests — so the demo area always has them."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps

# (migration module, forward function) — the same code the migrations run.
LOADERS = (
    ("joinedup.casework.migrations.0002_action_plan", "load_outcomes"),
    ("joinedup.casework.migrations.0003_assessment", "load_elements"),
    ("joinedup.referrals.migrations.0002_load_needs", "load_needs"),
)


def ensure_reference_data() -> None:
    for module_name, function_name in LOADERS:
        getattr(import_module(module_name), function_name)(apps, None)
