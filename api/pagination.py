"""Bounded paging parameters every list route declares: no offset or id can overflow a database integer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 1_000_000  # deeper than any list a person pages through; past it, filter instead
MAX_SEQ = 2**62  # audit sequence numbers are BIGINT-sized on both databases

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"rows to skip (0–{MAX_OFFSET})")]
BeforeSeq = Annotated[int | None, Query(ge=1, le=MAX_SEQ, description="page: events before this sequence number")]
