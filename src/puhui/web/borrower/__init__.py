"""The applicant's mobile web under /m: SMS sign-in, apply, consents, decision, contract,
drawdown, repayment, timeline, receivables."""
