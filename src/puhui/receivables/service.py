"""The receivables chain as a service: certificates on a verifiable log, in the database — the
domain's public face. Other packages, the router and the CLI call these names
(``from puhui.receivables import service as receivables_service``); they live in:

=====================  ========================================================================
:mod:`.operations`     issue, accept / reject / cancel, split, transfer (offer, accept, reject,
                       cancel), finance, pay (and clear), with their ledger entries
:mod:`.own_signatures` a party's own key: register it, ``prepare`` → sign → ``submit``
:mod:`.limits`         supply-chain limits of core enterprises and the pricing table by grade
:mod:`.proofs`         inclusion and consistency proofs, provenance, signed checkpoints, the
                       export and the integrity check
:mod:`.reading`        certificates, operations and signals as the caller may see them
:mod:`.eod`            the day job: maturity (auto-debit, overdue, penalties), amortization,
                       checkpoint
:mod:`.log`            the log locked for one unit of work: draft, sign, apply, append
:mod:`.pricing`        the money arithmetic, pure: discount price, penalty, shares, amortization
:mod:`.orders`         order financing (订单通): place, confirm, finance, deliver, cancel, repay
:mod:`.warehouse`      warehouse receipts (仓单通): register a warehouse, issue, pledge, release
:mod:`.dealers`        dealer programmes (分销通): programme, dealers, drawdowns, repayment
:mod:`.supply_ops`     the supply items as the caller may see them (``list_supply``, ``get_supply``)
=====================  ========================================================================

Every operation is a canonical JSON statement signed by its actor (the party's custodial key by
default, or the party's own key), checked against the rules of the pure
:mod:`puhui.receivables.state` module, and appended as a leaf of the RFC 9162 Merkle log — in
the same transaction as the state change and, for money steps, the ledger entries. Services
never commit; they run inside a SAVEPOINT, so a refused operation changes nothing.

Concurrency
    One log, one writer at a time: every append first locks the log head row
    (``SELECT ... FOR UPDATE`` on ``receivables_log``), then the certificate's part rows. The
    state is read after the lock, so two requests for the same part are applied one after the
    other, and the second sees the first's result (a 409 ``receivables.double_spend`` or
    ``receivables.part_status_invalid``). Sequence numbers, the tree and the head never fork.

A limit backed by a credit decision spans two domains: it is granted by the flow
:func:`puhui.flows.supply_chain.grant_supply_chain_limit`, which takes the approval from
decisioning and then calls :func:`grant_limit` here; this package never imports decisioning.
"""

from __future__ import annotations

from puhui.receivables.access import party_codes, party_for_enterprise, party_names
from puhui.receivables.eod import (
    SIGNAL_CORE_OVERDUE,
    amortize_discounts,
    run_maturity,
)
from puhui.receivables.limits import (
    check_limit_grant,
    get_limit,
    grant_limit,
    list_limits,
    list_pricing,
    update_pricing,
)
from puhui.receivables.log import configure_log
from puhui.receivables.operations import (
    accept,
    accept_transfer,
    cancel,
    cancel_transfer,
    finance,
    issue,
    pay,
    reject,
    reject_transfer,
    split,
    transfer,
)
from puhui.receivables.own_signatures import (
    PREPARE_TTL_SECONDS,
    list_keys,
    prepare,
    register_key,
    submit,
)
from puhui.receivables.proofs import (
    check_inclusion,
    check_log,
    consistency_proof,
    export_log,
    inclusion_proof,
    latest_checkpoint,
    list_checkpoints,
    log_head,
    provenance,
    publish_checkpoint,
)
from puhui.receivables.reading import (
    certificate_count,
    certificate_view,
    get_certificate,
    get_operation,
    list_certificates,
    list_signals,
)
from puhui.receivables.service_errors import (
    FinancingUnavailable,
    InsufficientSettlement,
    LogNotEmpty,
    NoLogKey,
    NotOwnStatement,
    ProofRangeInvalid,
    StaleStatement,
    StatementMismatch,
)
from puhui.receivables.supply_ops import get_supply
from puhui.receivables.supply_ops import list_items as list_supply

__all__ = [
    "PREPARE_TTL_SECONDS",
    "SIGNAL_CORE_OVERDUE",
    "FinancingUnavailable",
    "InsufficientSettlement",
    "LogNotEmpty",
    "NoLogKey",
    "NotOwnStatement",
    "ProofRangeInvalid",
    "StaleStatement",
    "StatementMismatch",
    "accept",
    "accept_transfer",
    "amortize_discounts",
    "cancel",
    "cancel_transfer",
    "certificate_count",
    "certificate_view",
    "check_inclusion",
    "check_limit_grant",
    "check_log",
    "configure_log",
    "consistency_proof",
    "export_log",
    "finance",
    "get_certificate",
    "get_limit",
    "get_operation",
    "get_supply",
    "grant_limit",
    "inclusion_proof",
    "issue",
    "latest_checkpoint",
    "list_certificates",
    "list_checkpoints",
    "list_keys",
    "list_limits",
    "list_pricing",
    "list_signals",
    "list_supply",
    "log_head",
    "party_codes",
    "party_for_enterprise",
    "party_names",
    "pay",
    "prepare",
    "provenance",
    "publish_checkpoint",
    "register_key",
    "reject",
    "reject_transfer",
    "run_maturity",
    "split",
    "submit",
    "transfer",
    "update_pricing",
]
