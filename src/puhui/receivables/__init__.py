"""Supply-chain receivables (应收款链): digital receivable certificates on a verifiable log.

Pure modules (no database, no I/O except the export reader/writer), usable by an auditor alone:

* ``merkle``      RFC 9162 Merkle tree over stored complete-subtree hashes; proofs, verification
* ``keys``        Ed25519 keys, key ids, key ring with validity windows
* ``statements``  canonical JSON, signed statements, log entries
* ``checkpoint``  signed checkpoints (C2SP tlog-checkpoint / signed-note)
* ``state``       the business state machine (apply one statement, or replay a log)
* ``errors``      errors with stable codes and zh-CN / English messages
* ``chain``       platform side without a database: accept, append, checkpoint
* ``export``      the export directory format (docs/receivables-export.md)
* ``verifier``    ``python -m puhui.receivables.verifier DIR``
* ``synthetic``   a deterministic synthetic supply chain for tests, benchmarks and demos
* ``drafts``      the statement the platform drafts for a request (and back)
* ``pricing``     discount price, penalty, penalty shares, amortization (integer fen)

The database side, behind ``service`` (the public face other packages import):
``log`` (the locked append), ``operations``, ``own_signatures``, ``limits``, ``proofs``,
``reading``, ``access`` (parties, who sees what), ``accounts`` (ledger accounts), ``eod``
(the day job), ``keys_service``, ``store``, ``exposure``; ``service_errors`` (DomainErrors).

May import: ``core``, ``parties``, ``ledger`` and ``jobs`` services. Never ``decisioning`` or
``flows`` (a limit from a decision is the flow ``puhui.flows.supply_chain``).
"""
