"""Public functions of the risk domain (贷后风险). Other domains, the flows and the pages call
risk only through this module (and `puhui.risk.schemas`). Services never commit.

Monitoring   monitor_enterprise, run_monitor (`puhui risk monitor`), MonitorEnv, monitored,
             observations_of, stagger_day
Alerts       raise_alert, get_alert, list_alerts, assign, investigate, escalate, resolve,
             alert_history, sla_left, SLA_HOURS
Actions      propose, approve, reject, act_automatically, call_margin, get_action, actions_of,
             pending_actions, watch_entry, watch_list
Rules        active_rules, list_rules, get_rules, submit_rules, approve_rules, reject_rules,
             diff_rules, replay
"""

from __future__ import annotations

from puhui.risk.actions import (
    act_automatically,
    actions_of,
    approve,
    call_margin,
    get_action,
    pending_actions,
    propose,
    reject,
    watch_entry,
    watch_list,
)
from puhui.risk.alerts import (
    SLA_HOURS,
    alert_history,
    assign,
    escalate,
    get_alert,
    investigate,
    list_alerts,
    raise_alert,
    reassign_open,
    resolve,
    sla_left,
)
from puhui.risk.governance import (
    active_rules,
    approve_rules,
    diff_rules,
    get_rules,
    list_rules,
    reject_rules,
    replay,
    submit_rules,
)
from puhui.risk.monitoring import (
    MonitorEnv,
    monitor_enterprise,
    monitored,
    observations_of,
    run_monitor,
    stagger_day,
)

__all__ = [
    "SLA_HOURS",
    "MonitorEnv",
    "act_automatically",
    "actions_of",
    "active_rules",
    "alert_history",
    "approve",
    "approve_rules",
    "assign",
    "call_margin",
    "diff_rules",
    "escalate",
    "get_action",
    "get_alert",
    "get_rules",
    "investigate",
    "list_alerts",
    "list_rules",
    "monitor_enterprise",
    "monitored",
    "observations_of",
    "pending_actions",
    "propose",
    "raise_alert",
    "reassign_open",
    "reject",
    "reject_rules",
    "replay",
    "resolve",
    "run_monitor",
    "sla_left",
    "stagger_day",
    "submit_rules",
    "watch_entry",
    "watch_list",
]
