"""The public face of servicing (other packages call these; see docs/servicing.md).

Relief requests  submit, attach_decision, decide, confirm, withdraw, get, get_for, queue,
                 of_enterprises, history
Maturity         maturity_notices, maturing_for, notices_due, mark_task_done, notify_pending
"""

from __future__ import annotations

from puhui.lending.servicing.models import (
    ReliefRequest,
    ReliefRequestEvent,
    ServicingNotice,
)
from puhui.lending.servicing.requests import (
    Decided,
    Document,
    attach_decision,
    confirm,
    decide,
    get,
    get_for,
    history,
    of_enterprises,
    queue,
    submit,
    withdraw,
)
from puhui.lending.servicing.states import ReliefRequestKind, ReliefRequestStatus

__all__ = [
    "Decided",
    "Document",
    "ReliefRequest",
    "ReliefRequestEvent",
    "ReliefRequestKind",
    "ReliefRequestStatus",
    "ServicingNotice",
    "attach_decision",
    "confirm",
    "decide",
    "get",
    "get_for",
    "history",
    "of_enterprises",
    "queue",
    "submit",
    "withdraw",
]
