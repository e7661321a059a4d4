"""The demo world: `world.py` builds the demo database (`puhui demo`), `receivables.py` the
supply-chain part of it. Uses the domains only through their services, as a bank would."""
