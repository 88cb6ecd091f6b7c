"""Failed logins, counted where every worker sees them, and ending all sessions of a user.

Two counts slow down guessing: one per client address (any user name) and one per user name (any
address). A client waits only after its own failures; the name's count applies to a client that has
failed itself, so a guesser elsewhere never locks out the real user with the right password. Only
after many failures on one name (a guesser with many addresses) is the name locked for everyone,
until an admin lifts it or a day passes without a failure.

An attempt is counted *before* the password is checked, in its own committed transaction and by a
conditional UPDATE, so parallel guesses cannot slip past the count; a correct password gives the
address's count back (and the name's). While its password is being checked, the attempt is also
recorded as *in flight* (a row of its own, kind "flight"), which it leaves when the password was right
(`succeeded`, in the same transaction that gives the counts back) or when the request's transaction
ends without that (the password was wrong: its count stays). An attempt that the counts would refuse
only because of attempts still in flight waits for them (at most HOLD seconds) instead of being refused:
so twenty colleagues behind one address logging in at 8:00 all get in, while twenty parallel guesses
still meet the count of the first ones. Only this module writes `login_throttle`; the user's
`session_version` and the audit log are written by operations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import math
import secrets
import time
from dataclasses import dataclass, replace

from sqlalchemy import Connection, delete, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from impactcheck.store import operations
from impactcheck.store.models import LoginThrottle, User, utcnow

ADDRESS, NAME, FLIGHT = "address", "name", "flight"
HOLD = 5.0  # seconds an attempt waits at most for attempts in flight (or for a busy count) before it is answered
POLL = 0.02  # seconds between two looks at the counts while waiting
STALE = dt.timedelta(seconds=60)  # an attempt in flight this long has ended without a word (a worker died)
_IN_FLIGHT = "impactcheck.logins.in_flight"  # Session.info: this session's attempts in flight
log = logging.getLogger(__name__)


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


def configure(config) -> None:
    """The policies from the settings LOGIN_* (defaults as above). Every worker process reads the same
    settings, so all of them judge the shared counts alike."""
    global ADDRESS_POLICY, NAME_POLICY
    base = float(config.get("LOGIN_FIRST_WAIT_SECONDS", 5))
    ADDRESS_POLICY = Policy(
        free=int(config.get("LOGIN_FREE_FAILURES", 10)), base=base, cap=15 * 60, memory=dt.timedelta(hours=1)
    )
    NAME_POLICY = Policy(
        free=int(config.get("LOGIN_NAME_FREE_FAILURES", 5)),
        base=base,
        cap=15 * 60,
        memory=dt.timedelta(hours=24),
        lock=int(config.get("LOGIN_LOCK_FAILURES", 50)),
    )
    POLICIES.update({ADDRESS: ADDRESS_POLICY, NAME: NAME_POLICY})


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
    flight: str | None = None  # key of its in-flight row while its password is being checked

    @property
    def allowed(self) -> bool:
        return not self.wait and not self.locked


class _CountChanged(Exception):
    """Another attempt changed a count between our read and our write: read again."""


def begin(s: Session, address: str | None, username: str, now: dt.datetime | None = None) -> Attempt:
    """Decide whether this attempt may check a password; if so, count it as a failure already.

    Runs in its own transaction on the session's engine and commits at once, so the count holds even
    when the request fails later and parallel attempts see it. Call it before the request writes, and
    `succeeded` when the password was right; the attempt is in flight until then, or until the session's
    transaction ends. A refusal that attempts in flight could still lift (by turning out right) is
    waited out, at most HOLD seconds, before it is given.
    """
    engine = s.get_bind()
    keys = (address_key(address), name_key(username))
    deadline = time.monotonic() + HOLD
    while True:
        at = now or utcnow()
        with engine.connect() as conn:
            flying = _flying(conn, keys, at)  # first: one that lands meanwhile errs towards waiting for it
            counts = _read(conn, keys, at)
            conn.rollback()
        refusal, has_failed = _judge(keys, counts, at)
        if refusal is not None:
            lifted = _judge(keys, _if_all_right(keys, counts, flying), at)[0] is None
            if lifted and time.monotonic() < deadline:
                time.sleep(POLL)  # those in flight may give their counts back
                continue
            return refusal
        flight = keys[0][:24] + keys[1][:24] + secrets.token_hex(8)
        try:
            with engine.begin() as conn:
                _count(conn, keys[0], ADDRESS, counts[keys[0]], at, exact=True)
                # A client that has not failed is not held to the name's wait; the count still
                # grows, bounded by the lock, so many addresses cannot guess without limit either.
                _count(conn, keys[1], NAME, counts[keys[1]], at, exact=has_failed)
                conn.execute(insert(LoginThrottle).values(key=flight, kind=FLIGHT, failures=1, last_failure_at=at))
        except (_CountChanged, IntegrityError):
            if time.monotonic() >= deadline:
                return Attempt(*keys, wait=1)  # a burst of parallel attempts: the next one gets through
            continue
        _watch(s, flight)
        if not counts[keys[0]].exists or not counts[keys[1]].exists:
            _forget_old(engine, at)
        return Attempt(*keys, flight=flight)


def succeeded(s: Session, attempt: Attempt) -> None:
    """The password was right: the address gets its count back, the name starts from zero, and the
    attempt is no longer in flight – all at once, so no parallel attempt sees one without the other."""
    t = LoginThrottle
    gone = (t.key == attempt.name_key) | ((t.key == attempt.address_key) & (t.failures <= 0))
    if attempt.flight is not None:
        gone |= (t.key == attempt.flight) & (t.kind == FLIGHT)
    with s.get_bind().begin() as conn:
        conn.execute(update(t).where(t.key == attempt.address_key, t.failures > 0).values(failures=t.failures - 1))
        conn.execute(delete(t).where(gone))
    flights = s.info.get(_IN_FLIGHT, [])
    if attempt.flight in flights:
        flights.remove(attempt.flight)  # landed: nothing to do when the transaction ends


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
    lifted = s.execute(delete(LoginThrottle).where(LoginThrottle.key == name_key(user.username))).rowcount > 0
    if lifted:
        operations.login_unlocked(s, actor, user)  # the audit entry
    return lifted


def end_sessions(s: Session, user: User) -> None:
    """Every login cookie of `user` stops working (in this browser and every copy of it)."""
    operations.end_sessions(s, user)


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


def _judge(keys: tuple[str, str], counts: dict[str, Count], at: dt.datetime) -> tuple[Attempt | None, bool]:
    """The refusal these counts call for (None: the attempt may check its password), and whether the
    client has failed (so that the name's wait applies to it)."""
    address_count, name_count = counts[keys[0]], counts[keys[1]]
    if NAME_POLICY.lock is not None and name_count.failures >= NAME_POLICY.lock:
        return Attempt(*keys, locked=True), True
    has_failed = address_count.failures > 0
    wait = _remaining(address_count, ADDRESS_POLICY, at)
    if has_failed:
        wait = max(wait, _remaining(name_count, NAME_POLICY, at))
    return (Attempt(*keys, wait=math.ceil(wait)) if wait > 0 else None), has_failed


def _flying(conn: Connection, keys: tuple[str, str], at: dt.datetime) -> dict[str, int]:
    """Attempts in flight on this address and on this name (their row's key begins with 24 characters of
    the address's key, then 24 of the name's)."""
    t = LoginThrottle
    address, name = keys[0][:24], keys[1][:24]
    rows = conn.execute(
        select(t.key).where(
            t.kind == FLIGHT,
            t.last_failure_at >= at - STALE,
            t.key.like(f"{address}%") | (func.substr(t.key, 25, 24) == name),
        )
    ).scalars()
    found = list(rows)
    return {keys[0]: sum(k[:24] == address for k in found), keys[1]: sum(k[24:48] == name for k in found)}


def _if_all_right(keys: tuple[str, str], counts: dict[str, Count], flying: dict[str, int]) -> dict[str, Count]:
    """The counts as they will be if every attempt in flight turns out right: each gives the address one
    back, and the name starts from zero."""
    address, name = counts[keys[0]], counts[keys[1]]
    return {
        keys[0]: replace(address, failures=max(address.failures - flying[keys[0]], 0)),
        keys[1]: replace(name, failures=0) if flying[keys[1]] else name,
    }


def _watch(s: Session, flight: str) -> None:
    """The attempt leaves its flight when the session's transaction ends (the request is over): if the
    password was right, `succeeded` has done that already; if not, its count stays as a failure."""
    flights = s.info.get(_IN_FLIGHT)
    if flights is None:
        flights = s.info[_IN_FLIGHT] = []
        event.listen(s, "after_transaction_end", _transaction_ended)
    flights.append(flight)


def _transaction_ended(s: Session, transaction: SessionTransaction) -> None:
    flights = s.info.get(_IN_FLIGHT)
    if transaction.parent is not None or not flights:
        return
    keys = list(flights)
    flights.clear()
    t = LoginThrottle
    try:
        with s.get_bind().begin() as conn:
            conn.execute(delete(t).where(t.key.in_(keys), t.kind == FLIGHT))
    except SQLAlchemyError:  # the rows count as landed after STALE; nothing else depends on them
        log.warning("could not end %d login attempt(s) in flight", len(keys), exc_info=True)


def _remaining(count: Count, policy: Policy, at: dt.datetime) -> float:
    wait = wait_after(count.failures, policy)
    if count.last is None or wait == 0:  # (a parallel attempt may have counted a moment after `at`)
        return 0.0
    due = count.last + dt.timedelta(seconds=wait)
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
    t = LoginThrottle
    with engine.begin() as conn:
        stale_flight = (t.kind == FLIGHT) & (t.last_failure_at < at - STALE)
        conn.execute(delete(t).where((t.last_failure_at < at - longest) | stale_flight))
