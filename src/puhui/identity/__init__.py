"""Identity (实名认证): real-name verification of people, face checks, agents' authorisations,
and business-licence OCR. See docs/architecture.md, section "identity"."""
