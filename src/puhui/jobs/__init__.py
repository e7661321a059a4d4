"""The job runner: batch jobs recorded as runs with steps and checkpoints, idempotent per
business date and resumable after a crash (the end of day, the receivables day job).

Owns: the `jobs_*` tables. May import: `core`."""
