"""Identifiers: time-ordered UUIDv7, so that ordering by id is ordering by creation."""

import uuid

from uuid_utils import compat


def uuid7() -> uuid.UUID:
    """A new UUIDv7 (monotonic within the process)."""
    value: uuid.UUID = compat.uuid7()
    return value


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID spelled by `value`, or None if it spells none."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None
