"""People's screens: the staff console (`web/staff`, /console) and the applicant's mobile web
(`web/borrower`, /m), server-rendered with Jinja2 + htmx. Shared here: templates, static files,
the page strings (`i18n.py`) and the QR codes that carry a customer manager's attribution.

May import: `core`, every domain's `service` and `schemas`, `reporting`, `flows`. Never another
domain's `models` or its tables."""
