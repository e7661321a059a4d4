"""Lending: products, credit lines (the one owner of the offer and the line's lifecycle),
e-contracts (`contracts/`), drawdowns, loans and schedules, repayments, relief, and the end of
day (`eod.py` job steps, `eod_rules.py` pure rules, `eod_pg.py` the PostgreSQL adapter). Pure
math in `schedules`, `interest`, `overdue`, `allocation`, `classification`, `rescheduling`.
Publishes `events.OfferAccepted` / `OfferLapsed`.

Owns: the `lending_*` tables. May import: `core`, `ledger`, `parties`, `jobs` (services,
schemas) — never a domain above it (decisioning learns of the offer by events)."""
