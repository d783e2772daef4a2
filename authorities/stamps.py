"""Stamps: short values in the cache that cached things are keyed on, renewed whenever what those
things are made of changes, so a stale one is never read again (it expires by itself).

A stamp is renewed at once and again when the change's transaction commits: a request that read
the data before the commit and cached it under the stamp in between has cached it under a stamp
that is then already gone. The first renewal lets the transaction's own later reads (a test's
too, which never commits) see fresh values.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def _key(name: str) -> str:
    return f"stamp:{name}"


# Renewed by a change the models' signals do not see (a restore, the demo's bulk writes): every
# stamp's value includes it, and so does every key of what is kept without a stamp of its own (a
# published version's rendering, the directory's figures), so all that is kept is read afresh.
EVERYTHING = "everything"


def stamp(name: str) -> str:
    """The stamp's value now (with EVERYTHING's); a new one where the cache has none (its first
    use, a flushed cache)."""
    keys = list(dict.fromkeys([_key(EVERYTHING), _key(name)]))
    values = cache.get_many(keys)
    for key in keys:
        if key not in values:
            cache.add(key, secrets.token_hex(8), None)
            values[key] = cache.get(key)
    return ".".join(values[key] for key in keys)


def renew(*names: str) -> None:
    """New values for the stamps. A change is never refused for want of the cache: with Redis
    down, what it keeps is stale until it expires (an hour at most, for what the portal keeps)."""

    def new_values():
        try:
            cache.set_many({_key(name): secrets.token_hex(8) for name in names}, None)
        except Exception as error:  # noqa: BLE001 (the cache's client raises its own errors)
            logger.warning("Could not renew the stamps %s: %s", names, error)

    new_values()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(new_values)


def renew_everything() -> None:
    """After a bulk change the models' signals did not see: nothing kept before it is read again."""
    renew(EVERYTHING)


def kept(name: str, what: str, make, seconds: int):
    """`make()`, kept in the cache under the stamp `name` (`what` tells kept things of one stamp
    apart) for at most `seconds`. Without the cache it is made afresh each time: a page never
    fails for want of the cache."""
    try:
        key = f"{name}:{stamp(name)}:{what}"
        value = cache.get(key)
    except Exception as error:  # noqa: BLE001 (the cache's client raises its own errors)
        logger.warning("Could not read %s from the cache: %s", name, error)
        return make()
    if value is None:
        value = make()
        try:
            cache.set(key, value, seconds)
        except Exception as error:  # noqa: BLE001
            logger.warning("Could not keep %s in the cache: %s", name, error)
    return value
