"""``python -m podium.worker.alive``: exit 0 when this host's Celery worker answers a ping.

The health check of a worker container (docker-compose.yml): it asks the broker's remote
control for pongs and looks for a node named ``...@<this host name>``.
"""

from __future__ import annotations

import socket
import sys

from podium.broker import is_sqlite_broker, make_celery
from podium.settings import get_settings

PING_SECONDS = 10.0


def main() -> int:
    """0 if this host's worker answered, 1 otherwise (with one line saying why)."""
    settings = get_settings()
    if is_sqlite_broker(settings.broker_url):
        print("the SQLite broker has no remote control: nothing to ping", file=sys.stderr)
        return 0
    host = socket.gethostname()
    try:
        replies = make_celery(settings).control.ping(timeout=PING_SECONDS)
    except Exception as error:  # the broker is down: unhealthy, said in one line
        print(f"could not ping the workers: {error}", file=sys.stderr)
        return 1
    nodes = [name for reply in replies for name in reply]
    if any(name.endswith(f"@{host}") for name in nodes):
        return 0
    print(f"no worker on {host} answered (answered: {', '.join(nodes) or 'none'})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
