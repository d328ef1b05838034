"""Verification events, privacy first and off the request path: an in-process buffer flushed in batches.

`VerificationLog.record(number, client_ip)` is all a verification request pays: it reduces the address to its
coarse network (/24 for IPv4, /48 for IPv6), hashes that with a key derived from the server secret (HMAC-SHA256,
truncated), and appends (time, number, hash) to a bounded deque — no database write, no lock held by the request.
A background thread (started by `registry serve`) writes the buffer in one multi-row insert every
REGISTRY_VERIFICATION_LOG_FLUSH_SECONDS or as soon as REGISTRY_VERIFICATION_LOG_BATCH events wait, and deletes
events older than REGISTRY_VERIFICATION_LOG_RETENTION_DAYS. Nothing that identifies the verifier is kept: not the
address, not the user agent; the hash only tells "many networks" from "one network many times". If the process
dies, at most one interval of events is lost; if the buffer overflows (database down), the oldest are dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session

from registry.keys import derive_key
from registry.settings import Settings
from regulator.models import VerificationEvent

LOG = logging.getLogger("registry.verification_log")
MAX_BUFFER = 100_000

SessionOpener = Callable[[], AbstractContextManager[Session]]


def coarse_network(client_ip: str | None) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address; 'unknown' when there is none or it is malformed."""
    if not client_ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _copy(session: Session, events: list[tuple[float, str, str]]) -> None:
    """PostgreSQL: the events by COPY in the session's transaction — a fifth of a multi-row insert's CPU, and the
    flusher holds the GIL the event loop serves verifications with for that much less (README, "Verification under
    load")."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy("COPY verification_event (number, occurred_at, network) FROM STDIN") as copy:
        for at, number, network in events:
            copy.write_row((number, dt.datetime.fromtimestamp(at, dt.UTC), network))


class VerificationLog:
    """The buffer of one API process and its flusher."""

    def __init__(self, settings: Settings, *, max_buffer: int = MAX_BUFFER) -> None:
        key = derive_key(settings, "verification-network")
        self.batch = settings.verification_log_batch
        self.interval = settings.verification_log_flush_seconds
        self.retention = dt.timedelta(days=settings.verification_log_retention_days)
        self._events: deque[tuple[float, str, str]] = deque(maxlen=max_buffer)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

        @lru_cache(maxsize=4096)
        def network_hash(client_ip: str | None) -> str:
            network = coarse_network(client_ip)
            return hmac.new(key, network.encode(), hashlib.sha256).hexdigest()[:32]

        self.network_hash = network_hash

    def record(self, number: str | None, client_ip: str | None) -> None:
        """Note one verification of certificate `number` (None: nothing genuine to note). Never touches the database."""
        if not number:
            return
        self._events.append((time.time(), number, self.network_hash(client_ip)))
        if len(self._events) >= self.batch:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Events waiting to be written."""
        return len(self._events)

    def drain(self) -> list[tuple[float, str, str]]:
        """Take every waiting event out of the buffer."""
        taken = []
        while True:
            try:
                taken.append(self._events.popleft())
            except IndexError:
                return taken

    def flush(self, session: Session) -> int:
        """Write the waiting events (one multi-row insert) and forget expired ones; return how many were written."""
        events = self.drain()
        if events and session.get_bind().dialect.name == "postgresql":
            _copy(session, events)
        elif events:
            rows = [
                {"number": number, "occurred_at": dt.datetime.fromtimestamp(at, dt.UTC), "network": network}
                for at, number, network in events
            ]
            session.execute(sa.insert(VerificationEvent), rows)
        cutoff = dt.datetime.now(dt.UTC) - self.retention
        session.execute(sa.delete(VerificationEvent).where(VerificationEvent.occurred_at < cutoff))  # type: ignore[arg-type]
        session.flush()
        return len(events)

    def start(self, open_session: SessionOpener) -> None:
        """Flush in a daemon thread every interval, or sooner when a batch is waiting."""
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                self._wake.wait(self.interval)
                self._wake.clear()
                self._flush_quietly(open_session)

        self._thread = threading.Thread(target=run, name="verification-log", daemon=True)
        self._thread.start()

    def stop(self, open_session: SessionOpener) -> None:
        """Stop the thread and write what is left."""
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=10)
            self._thread = None
        self._flush_quietly(open_session)

    def _flush_quietly(self, open_session: SessionOpener) -> None:
        if not self._events:
            return
        try:
            with open_session() as session:
                self.flush(session)
        except Exception:  # the flusher must survive a database outage; the events are lost, the count logged
            LOG.exception("verification events could not be written")
