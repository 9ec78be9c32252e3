"""Events and the audit trail: what happened, recorded in the transaction that made it happen.

How a write records itself (copy this in every new write path):

    from customerbase.events import record

    before = customer_to_dict(customer, vault)          # the object as the API shows it
    ... change the customer ...
    after = customer_to_dict(customer, vault)
    record(session, tenant, "customer.updated", after, customer_id=customer.id, before=before)

`record` adds an `Event` (the event log and the webhook outbox) and an `AuditEntry` (the
customer's history: actor, request id, each changed field's old and new value, masked) to the
session, so they commit, or roll back, with the change. On a raw fast-path connection, fold
`event_rows(...)` into the statement that makes the change (see `customers/inserts.py`).

Event types are registered with `register_event_types` by the module that emits them, so that
webhook endpoints can be checked against the list (`EVENT_TYPES`).
"""

from customerbase.events.service import (
    API_VERSION,
    EVENT_TYPES,
    EventRows,
    changes_between,
    event_rows,
    mask_value,
    record,
    register_event_types,
)

__all__ = [
    "API_VERSION",
    "EVENT_TYPES",
    "EventRows",
    "changes_between",
    "event_rows",
    "mask_value",
    "record",
    "register_event_types",
]
