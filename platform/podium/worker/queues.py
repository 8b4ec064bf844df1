"""How many evaluations wait in each queue, read from the broker (Redis or Celery over SQLite)."""

from __future__ import annotations

import logging

from kombu.exceptions import ChannelError, OperationalError

from podium.broker import QUEUES, celery_for
from podium.settings import Settings

log = logging.getLogger(__name__)
CONNECT_SECONDS = 3.0


def queue_depths(settings: Settings) -> dict[str, int | None]:
    """Messages waiting in each queue (taken ones not counted); None when the broker is down."""
    app = celery_for(settings.broker_url, settings.result_backend)
    depths: dict[str, int | None] = dict.fromkeys(QUEUES)
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=CONNECT_SECONDS)
            channel = connection.default_channel
            for name in QUEUES:
                try:
                    depths[name] = int(
                        channel.queue_declare(queue=name, passive=True).message_count
                    )
                except ChannelError:  # never used yet (Redis keeps no empty queue)
                    depths[name] = 0
    except (OperationalError, OSError) as error:
        log.warning("could not read the queues from the broker: %s", error)
    return depths
