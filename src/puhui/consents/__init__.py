"""Data authorisation (PIPL): consents per source, purpose, scope and expiry; versioned consent
texts; the vocabulary of data sources (`sources.py`, pure); which consents a pull may rely on
(`consents_for_pull`, returning plain `ConsentRef` data).

Owns: the `consents_*` tables. May import: `core`, `parties` (service, schemas)."""
