"""Post-loan risk (贷后): monitoring under consent, warning signals and rules, alerts and actions,
collections. Owns its tables; acts on lines and loans only through the lending service."""
