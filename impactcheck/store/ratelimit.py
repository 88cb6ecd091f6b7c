"""Requests counted per client address and purpose, where every worker sees them (table rate_limit).

A fixed window per key: the first request opens a window of `window` seconds, at most `limit` requests
fit into it, the next waits until it ends. Counted by conditional UPDATEs in a transaction of its own,
committed at once, so parallel requests cannot slip past the count (on PostgreSQL a blocked UPDATE
re-checks its condition on the row the other one wrote; SQLite writes one at a time) and a request that
fails later still counts. Only this module writes `rate_limit`. Addresses are kept as a SHA-256 only;
an IPv6 client counts per /64, as for failed logins (logins.address_key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from impactcheck.store.logins import address_key
from impactcheck.store.models import RateLimit, utcnow

FORGET = dt.timedelta(days=1)  # rows whose window began longer ago than this (and than their window) go
_TRIES = 20


def key_for(bucket: str, address: str | None) -> str:
    return hashlib.sha256(f"{bucket}\n{address_key(address)}".encode()).hexdigest()


def hit(
    s: Session, bucket: str, address: str | None, *, limit: int, window: float, now: dt.datetime | None = None
) -> int:
    """Count one request of `address` for `bucket`. 0: allowed (and counted); else the seconds until
    the window ends and the client may ask again (the refused request is not counted)."""
    if limit <= 0:
        return 0  # no limit configured
    span = dt.timedelta(seconds=max(float(window), 1.0))
    key = key_for(bucket, address)
    engine = s.get_bind()
    t = RateLimit
    for _ in range(_TRIES):
        at = now or utcnow()
        try:
            with engine.begin() as conn:
                inside = conn.execute(
                    update(t).where(t.key == key, t.window_start > at - span, t.hits < limit).values(hits=t.hits + 1)
                )
                if inside.rowcount == 1:
                    return 0
                renewed = conn.execute(
                    update(t).where(t.key == key, t.window_start <= at - span).values(hits=1, window_start=at)
                )
                if renewed.rowcount == 1:
                    return 0
                row = conn.execute(select(t.hits, t.window_start).where(t.key == key)).first()
                if row is None:
                    conn.execute(insert(t).values(key=key, bucket=bucket[:16], hits=1, window_start=at))
                    conn.execute(delete(t).where(t.window_start < at - max(FORGET, span)))
                    return 0
                if row.hits >= limit and row.window_start > at - span:
                    return max(1, math.ceil((row.window_start + span - at).total_seconds()))
                # The row changed between the UPDATEs and the read (a parallel request): count again.
        except IntegrityError:
            continue  # a parallel first request inserted the row: count again, on it
    return 1  # a storm of parallel requests on one key: the next one gets an answer
