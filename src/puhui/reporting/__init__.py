"""Reporting: the read models and aggregates behind the staff console — the cockpit's figures
(`cockpit.py`) and the console's paged, searchable lists (`lists.py`) — computed in SQL
(GROUP BY, conditional sums, window functions, LIMIT/OFFSET with a COUNT), never by loading
every row into Python.

Owns: no table and no state; it only reads. It may import `puhui.core` and, read-only, the
domains' `models` (their tables and status enums), their `schemas` and their pure row → schema
conversions; it never writes, never calls a service that writes, and no domain imports it
(only `puhui.web`). Statuses are compared through their `StrEnum`s, never as bare strings.
"""
