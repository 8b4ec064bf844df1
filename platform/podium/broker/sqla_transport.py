"""Kombu's SQLAlchemy transport, taking its polling interval from the transport options.

The stock transport hands every transport option to ``create_engine``, which rejects
``polling_interval``; without it the SQLite broker polls once a second, a second of latency per
task. This subclass drops the option before the engine is made.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import sqlalchemy as _sqla

NOT_FOR_ENGINE = ("polling_interval",)


class Channel(_sqla.Channel):
    """A channel whose engine gets only engine options."""

    def _engine_from_config(self) -> Any:
        conninfo = self.connection.client
        saved = dict(conninfo.transport_options)
        try:
            for name in NOT_FOR_ENGINE:
                conninfo.transport_options.pop(name, None)
            return super()._engine_from_config()
        finally:
            conninfo.transport_options.clear()
            conninfo.transport_options.update(saved)


class Transport(_sqla.Transport):
    """The SQLAlchemy transport with :class:`Channel`."""

    Channel = Channel
