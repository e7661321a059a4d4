"""The data hub: pulls a source only under a live consent, through a connector (HTTP with
timeouts, retries and a circuit breaker, or the labelled sandbox over the synthetic world in
`world/`), stores encrypted snapshots with lineage and logs every pull.

Owns: the `datahub_*` tables. May import: `core`, `consents`, `parties` (service, schemas)."""
