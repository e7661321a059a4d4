"""The shared kernel: database session and unit of work (`db`), money in fen, ids, the clock,
errors rendered as RFC 9457, authentication and roles, the audit chain, field encryption,
idempotency, one-time codes, the outbox, in-transaction domain events (`events`), the HTTP
plumbing (`web`, `problems`, `serving`) and settings.

Owns: users, tokens, login attempts, audit events, idempotency records, the outbox
(`core/models.py`). May import: nothing of Puhui's — no domain (import-linter holds it)."""
