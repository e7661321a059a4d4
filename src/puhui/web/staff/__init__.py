"""The staff console under /console: login, home, review queue, enterprises, loans, policies,
supply-chain receivables, the cockpit page. Pages call the same services as the API."""
