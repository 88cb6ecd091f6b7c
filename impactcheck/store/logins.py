"""Failed logins, counted where every worker sees them, and ending all sessions of a user.

Two counts slow down guessing: one per client address (any user name) and one per user name (any
address). A client waits only after its own failures; the name's count applies to a client that has
failed itself, so a guesser elsewhere never locks out the real user with the right password. Only
after many failures on one name (a guesser with many addresses) is the name locked for everyone,
until an admin lifts it or a day passes without a failure.

An attempt is counted *before* the password is checked, in its own committed transaction and by a
conditional UPDATE, so parallel guesses cannot slip past the count; a correct password gives the
address's count back. Only this module writes `login_throttle`; `app_user.session_version` is raised
here at logout and by operations.set_password / set_active.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from impactcheck.store.models import LoginThrottle, User, utcnow

ADDRESS, NAME = "address", "name"
RETRIES = 25  # rounds of read-and-count when parallel attempts keep changing the count under us


@dataclass(frozen=True)
class Policy:
    free: int  # failures that cost no wait
    base: float  # seconds of the first wait; each further failure doubles it
    cap: float  # the longest wait, in seconds
    memory: dt.timedelta  # a count starts again after this long without a failure
    lock: int | None = None  # from this many failures on, the key is locked for every client


ADDRESS_POLICY = Policy(free=10, base=5, cap=15 * 60, memory=dt.timedelta(hours=1))
NAME_POLICY = Policy(free=5, base=5, cap=15 * 60, memory=dt.timedelta(hours=24), lock=50)
POLICIES = {ADDRESS: ADDRESS_POLICY, NAME: NAME_POLICY}


def wait_after(failures: int, policy: Policy) -> float:
    """Seconds to wait after the last of `failures` failures (exponential, capped)."""
    if failures < policy.free:
        return 0.0
    return min(policy.base * 2.0 ** min(failures - policy.free, 40), policy.cap)


def address_key(address: str | None) -> str:
    """An IPv6 client owns a whole /64, so it is counted as one; IPv4 (also mapped) per address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return _key(ADDRESS, address or "unknown")
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _key(ADDRESS, str(ip.ipv4_mapped))
        return _key(ADDRESS, str(ipaddress.ip_network(f"{ip}/64", strict=False)))
    return _key(ADDRESS, str(ip))


def name_key(username: str) -> str:
    return _key(NAME, username.strip().lower())


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\n{value}".encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Count:
    failures: int = 0
    last: dt.datetime | None = None  # as stored: the condition of the next UPDATE
    exists: bool = False


@dataclass(frozen=True)
class Attempt:
    """The verdict on one login attempt: allowed (and counted), or how long to wait, or locked."""

    address_key: str
    name_key: str
    wait: int = 0  # seconds until this client may try again
    locked: bool = False  # too many failures on this name: only an admin (or a quiet day) lifts it

    @property
    def allowed(self) -> bool:
        return not self.wait and not self.locked


class _CountChanged(Exception):
    """Another attempt changed a count between our read and our write: read again."""


def begin(s: Session, address: str | None, username: str, now: dt.datetime | None = None) -> Attempt:
    """Decide whether this attempt may check a password; if so, count it as a failure already.

    Runs in its own transaction on the session's engine and commits at once, so the count holds even
    when the request fails later and parallel attempts see it. Call it before the request writes.
    """
    engine = s.get_bind()
    keys = (address_key(address), name_key(username))
    for _ in range(RETRIES):
        at = now or utcnow()
        with engine.connect() as conn:
            counts = _read(conn, keys, at)
            conn.rollback()
        address_count, name_count = counts[keys[0]], counts[keys[1]]
        if NAME_POLICY.lock is not None and name_count.failures >= NAME_POLICY.lock:
            return Attempt(*keys, locked=True)
        has_failed = address_count.failures > 0
        wait = _remaining(address_count, ADDRESS_POLICY, at)
        if has_failed:
            wait = max(wait, _remaining(name_count, NAME_POLICY, at))
        if wait > 0:
            return Attempt(*keys, wait=math.ceil(wait))
        try:
            with engine.begin() as conn:
                _count(conn, keys[0], ADDRESS, address_count, at, exact=True)
                # A client that has not failed is not held to the name's wait; the count still
                # grows, bounded by the lock, so many addresses cannot guess without limit either.
                _count(conn, keys[1], NAME, name_count, at, exact=has_failed)
        except (_CountChanged, IntegrityError):
            continue
        if not address_count.exists or not name_count.exists:
            _forget_old(engine, at)
        return Attempt(*keys)
    return Attempt(*keys, wait=1)  # a burst of parallel attempts: the next one gets through


def succeeded(s: Session, attempt: Attempt) -> None:
    """The password was right: the address gets its count back, the name starts from zero."""
    with s.get_bind().begin() as conn:
        conn.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == attempt.address_key, LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )
        conn.execute(
            delete(LoginThrottle).where(
                (LoginThrottle.key == attempt.name_key)
                | ((LoginThrottle.key == attempt.address_key) & (LoginThrottle.failures <= 0))
            )
        )


def locked_usernames(s: Session, usernames: list[str], now: dt.datetime | None = None) -> set[str]:
    """Which of these user names are locked after too many failures."""
    if NAME_POLICY.lock is None or not usernames:
        return set()
    at = now or utcnow()
    by_key = {name_key(u): u for u in usernames}
    rows = s.execute(
        select(LoginThrottle.key).where(
            LoginThrottle.key.in_(by_key),
            LoginThrottle.failures >= NAME_POLICY.lock,
            LoginThrottle.last_failure_at >= at - NAME_POLICY.memory,
        )
    )
    return {by_key[k] for (k,) in rows}


def lift_lock(s: Session, actor: User | None, user: User) -> bool:
    """An admin lets the name log in again at once (the count starts from zero); True if it was counted."""
    from impactcheck.store.operations import audit

    lifted = s.execute(delete(LoginThrottle).where(LoginThrottle.key == name_key(user.username))).rowcount > 0
    if lifted:
        audit(s, actor, "user.unlock", municipality_id=user.municipality_id, user=user.username)
    return lifted


def end_sessions(s: Session, user: User) -> None:
    """Every login cookie of `user` stops working (in this browser and every copy of it)."""
    user.session_version = User.session_version + 1  # in SQL: two at once both count
    s.flush()


# --- reading and counting ----------------------------------------------------------------------------


def _read(conn: Connection, keys: tuple[str, str], at: dt.datetime) -> dict[str, Count]:
    rows = conn.execute(
        select(LoginThrottle.key, LoginThrottle.kind, LoginThrottle.failures, LoginThrottle.last_failure_at).where(
            LoginThrottle.key.in_(keys)
        )
    ).all()
    counts = {k: Count() for k in keys}
    for key, kind, failures, last in rows:
        stale = last < at - POLICIES[kind].memory
        counts[key] = Count(0 if stale else failures, last, exists=True)
    return counts


def _remaining(count: Count, policy: Policy, at: dt.datetime) -> float:
    if count.last is None or count.failures == 0:
        return 0.0
    due = count.last + dt.timedelta(seconds=wait_after(count.failures, policy))
    return max((due - at).total_seconds(), 0.0)


def _count(conn: Connection, key: str, kind: str, count: Count, at: dt.datetime, *, exact: bool) -> None:
    """One more failure on `key`; raises _CountChanged when the row is no longer what we decided on."""
    t = LoginThrottle
    if not count.exists:
        conn.execute(insert(t).values(key=key, kind=kind, failures=1, last_failure_at=at))  # a race: IntegrityError
        return
    policy = POLICIES[kind]
    cutoff = at - policy.memory
    if count.failures == 0:  # forgotten (or given back): start again, if it still is
        stmt = update(t).where(t.key == key, (t.last_failure_at < cutoff) | (t.failures <= 0))
        stmt = stmt.values(failures=1, last_failure_at=at)
    elif exact:  # the wait was decided on exactly this count
        stmt = update(t).where(t.key == key, t.failures == count.failures, t.last_failure_at == count.last)
        stmt = stmt.values(failures=count.failures + 1, last_failure_at=at)
    else:
        stmt = update(t).where(t.key == key, t.last_failure_at >= cutoff)
        if policy.lock is not None:
            stmt = stmt.where(t.failures < policy.lock)
        stmt = stmt.values(failures=t.failures + 1, last_failure_at=at)
    if conn.execute(stmt).rowcount != 1:
        raise _CountChanged


def _forget_old(engine, at: dt.datetime) -> None:
    """Counts nobody needs any more (older than the longest memory) go, so the table stays small."""
    longest = max(p.memory for p in POLICIES.values())
    with engine.begin() as conn:
        conn.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < at - longest))
