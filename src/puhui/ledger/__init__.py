"""The money ledger: a double-entry, append-only journal in integer fen; every entry balances;
corrections are reversals; cached balances with no-overdraft checks; bulk paths for the end of
day; the trial balance.

Owns: the `ledger_*` tables. May import: `core`."""
