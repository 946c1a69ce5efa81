"""Running an uploaded feed without a task queue.

Joined Up runs on the embedded SQLite database without a broker, so an upload starts the
import in a background thread of the web process once the upload's transaction has
committed. The thread updates the feed's progress as it checks rows; the result page polls
a small progress fragment with htmx every second until the feed is done. Set
``FEEDS_RUN_IN_BACKGROUND = False`` (tests do) to run the import inside the request.

If the web process stops mid-import, the feed stays "importing"; ``manage.py import_feed
--resume`` runs any feed left waiting (see docs/feeds.md).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import OperationalError, close_old_connections, connections, transaction

from joinedup.children.feeds.importing import run_feed

logger = logging.getLogger(__name__)


def in_background() -> bool:
    return bool(getattr(settings, "FEEDS_RUN_IN_BACKGROUND", True))


def start_feed(*, feed_id: int) -> None:
    """Run the feed now, or in a thread once the current transaction commits."""
    if not in_background():
        run_feed(feed_id=feed_id)
        return
    transaction.on_commit(lambda: _thread(feed_id).start())


def _thread(feed_id: int) -> threading.Thread:
    return threading.Thread(target=_run, args=(feed_id,), name=f"feed-{feed_id}", daemon=True)


# SQLite shared between threads in one process (the browser tests' live server) reports a
# table another connection is still reading as locked at once, instead of waiting: the
# thread tries again a few times. run_feed starts only a feed still waiting, so a retry
# never runs an import twice.
LOCKED_RETRIES = 5


def _run(feed_id: int) -> None:
    close_old_connections()
    try:
        for attempt in range(LOCKED_RETRIES):
            try:
                run_feed(feed_id=feed_id)
                break
            except OperationalError as problem:
                if "locked" not in str(problem) or attempt == LOCKED_RETRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
    except Exception:
        logger.exception("Feed %s failed", feed_id)
    finally:
        connections.close_all()
