"""Payments: payout and collection accounts, rails (sandbox and ISO 20022), payment lifecycle,
entrusted payment, trusted payees and a transfer guardian, daily reconciliation."""
