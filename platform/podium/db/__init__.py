"""The database: models, engines and sessions, migrations."""

from podium.db.engine import create_db_engine, get_engine, session_scope
from podium.db.types import UTCDateTime, utcnow

__all__ = ["UTCDateTime", "create_db_engine", "get_engine", "session_scope", "utcnow"]
