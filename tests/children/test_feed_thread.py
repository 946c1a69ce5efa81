"""The background thread that runs an uploaded feed tries again when SQLite reports the
feed's table locked by another thread (the browser tests' shared in-memory database)."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from joinedup.children.feeds import running


@pytest.fixture(autouse=True)
def _no_connections(monkeypatch):
    """The thread's own connection handling is not what these tests are about."""
    monkeypatch.setattr(running, "close_old_connections", lambda: None)
    monkeypatch.setattr(running.connections, "close_all", lambda: None)


def test_a_locked_table_is_tried_again_then_the_feed_runs(monkeypatch):
    calls: list[int] = []

    def run_feed(*, feed_id: int) -> None:
        calls.append(feed_id)
        if len(calls) < 3:
            raise OperationalError("database table is locked: children_feed")

    monkeypatch.setattr(running, "run_feed", run_feed)
    monkeypatch.setattr(running.time, "sleep", lambda seconds: None)
    running._run(7)
    assert calls == [7, 7, 7]


def test_other_database_errors_are_not_tried_again(monkeypatch, caplog):
    calls: list[int] = []

    def run_feed(*, feed_id: int) -> None:
        calls.append(feed_id)
        raise OperationalError("no such table: children_feed")

    monkeypatch.setattr(running, "run_feed", run_feed)
    running._run(7)
    assert calls == [7]
    assert "Feed 7 failed" in caplog.text


@pytest.mark.parametrize("attempts", [running.LOCKED_RETRIES])
def test_it_gives_up_after_a_few_tries(monkeypatch, caplog, attempts):
    calls: list[int] = []

    def run_feed(*, feed_id: int) -> None:
        calls.append(feed_id)
        raise OperationalError("database table is locked")

    monkeypatch.setattr(running, "run_feed", run_feed)
    monkeypatch.setattr(running.time, "sleep", lambda seconds: None)
    running._run(7)
    assert len(calls) == attempts
    assert "Feed 7 failed" in caplog.text
