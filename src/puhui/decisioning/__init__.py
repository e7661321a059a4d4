"""Credit decisions: applications, features (pure, versioned), the policy as versioned data
(JDM decision tables, authored in `policies.py`, diffed in `policy_diff.py`), the scorecard
score, the decision pipeline (`pipeline.py`: identify, consent, pull, features, score, decide,
persist), manual review with maker-checker, replay, and world training of the scorecard.

Owns: the `decisioning_*` tables and the application's status (kept in step with the offer by
handlers of lending's events). May import: `core`, `parties`, `consents`, `datahub`,
`scorecards`, `lending` and `receivables` (services, schemas, events) — never their models."""
