"""Proactive service (主动服务): lifecycle segments, batch pre-screening and pre-approved offers,
campaigns and notifications with marketing consent, the manager's workbench, batch engines."""
