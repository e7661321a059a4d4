"""Video interviews (视频面谈): a credit officer interviews the applicant over WebRTC from the
review page, the applicant joins from `/m`. Puhui relays the signalling (offer, answer, ICE)
between the two authenticated participants over a WebSocket (`router.py`, `signalling.py`);
the media flows between the browsers. Both parties consent to the recording first (stored
with the consent text's version); the officer answers the checklist (`checklist.py`); the
officer's browser records and uploads; the recording is stored encrypted (`vault.py`), its
SHA-256 goes into the review's evidence in decisioning, and it is purged after its retention.

An interview attaches to a subject (`SubjectKind` + id): today a decision review; relief
requests later. Pure: `states.py`, `checklist.py`, `texts.py`, `tickets.py`.

Owns: the `interviews_*` tables and the recordings under `var/interviews/`. May import: `core`
and `decisioning` (service, review, schemas) — never its models."""
