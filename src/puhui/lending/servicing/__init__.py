"""Servicing a bank can run on: relief requests, guarantees and collateral, the working-day
calendar, LPR repricing, restructuring, charges, loan-level exports."""
