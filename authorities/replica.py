"""The public pages read from a read replica when there is one (DATABASE_REPLICA_URL).

A view wrapped in `from_replica` (the published lists, the national directory) sends every read
it makes to the "replica" database, a hot standby of the primary; everything else, and every
write anywhere, goes to the primary. What the public pages show is published, and a replica
shows it a moment after the primary does; a signed-in page reads what its person just wrote,
so it never reads from the replica. The middleware (sessions, the person, the authority) runs
before the view, so on the primary too.

The replica is the same database to Django (TEST: MIRROR): it is never migrated, and objects
read from it may be linked to objects of the primary.
"""

from contextvars import ContextVar
from functools import wraps

REPLICA = "replica"

_reading = ContextVar("iqm_public_reads", default=False)


def from_replica(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        token = _reading.set(True)
        try:
            return view(request, *args, **kwargs)
        finally:
            _reading.reset(token)

    return wrapped


class ReplicaRouter:
    """In DATABASE_ROUTERS only when there is a replica (iqm_portal/settings.py)."""

    def db_for_read(self, model, **hints):
        return REPLICA if _reading.get() else None

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {"default", REPLICA} or None

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None
