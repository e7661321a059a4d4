"""The validation report as one HTML page: ECharts charts plus every number as a table.

The page loads ECharts from ``echarts_src`` (default ``/static/vendor/echarts.min.js``, the
copy the app serves; never a CDN). Without JavaScript, or without ECharts, the tables still
carry the whole report.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from puhui.core.i18n import Lang
from puhui.scorecards.validation import ValidationReport

DEFAULT_ECHARTS_SRC = "/static/vendor/echarts.min.js"
TEMPLATES = Path(__file__).parent / "templates"

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "模型验证报告",
        "dataset": "数据集",
        "generated": "生成时间",
        "summary": "概要",
        "at": "阈值",
        "n": "样本数",
        "n_bad": "坏样本数",
        "bad_rate": "坏账率",
        "mean_pd": "平均预测违约概率",
        "score_psi": "评分 PSI",
        "item": "项目",
        "value": "数值",
        "hl": "Hosmer-Lemeshow 统计量",
        "charts_note": "图表需要 JavaScript；表格包含全部数字。",
        "roc": "ROC 曲线",
        "ks_curve": "KS 曲线",
        "calibration": "校准（按评分十分位）",
        "distribution": "评分分布",
        "group": "分组",
        "score_range": "评分区间",
        "observed": "实际坏账率",
        "predicted": "预测违约概率",
        "goods": "好样本",
        "bads": "坏样本",
        "features": "入模特征",
        "feature": "特征",
        "kind": "类型",
        "numeric": "数值",
        "categorical": "类别",
        "coefficient": "系数",
        "bins": "分箱数",
        "points_range": "分值范围",
        "stability": "稳定性（PSI）",
        "reference": "基准样本",
        "psi_note": "PSI < 0.1 稳定；0.1–0.25 关注；> 0.25 显著偏移。",
        "expected": "基准占比",
        "actual": "当前占比",
        "bin": "分箱",
        "fpr": "误拒率（好样本）",
        "tpr": "命中率（坏样本）",
        "random": "随机",
        "score": "评分",
        "cum_bad": "累计坏样本占比",
        "cum_good": "累计好样本占比",
    },
    "en": {
        "title": "Model validation report",
        "dataset": "Dataset",
        "generated": "Generated",
        "summary": "Summary",
        "at": "at",
        "n": "Observations",
        "n_bad": "Bads",
        "bad_rate": "Bad rate",
        "mean_pd": "Mean predicted PD",
        "score_psi": "Score PSI",
        "item": "Item",
        "value": "Value",
        "hl": "Hosmer-Lemeshow statistic",
        "charts_note": "Charts need JavaScript; the tables carry every number.",
        "roc": "ROC curve",
        "ks_curve": "KS curve",
        "calibration": "Calibration by score decile",
        "distribution": "Score distribution",
        "group": "Group",
        "score_range": "Score range",
        "observed": "Observed bad rate",
        "predicted": "Predicted PD",
        "goods": "Goods",
        "bads": "Bads",
        "features": "Features in the model",
        "feature": "Feature",
        "kind": "Kind",
        "numeric": "numeric",
        "categorical": "categorical",
        "coefficient": "Coefficient",
        "bins": "Bins",
        "points_range": "Points range",
        "stability": "Stability (PSI)",
        "reference": "reference",
        "psi_note": "PSI < 0.1 stable; 0.1–0.25 watch; > 0.25 significant shift.",
        "expected": "Reference share",
        "actual": "Current share",
        "bin": "Bin",
        "fpr": "False positive rate (goods)",
        "tpr": "True positive rate (bads)",
        "random": "Random",
        "score": "Score",
        "cum_bad": "Cumulative share of bads",
        "cum_good": "Cumulative share of goods",
    },
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _chart_data(r: ValidationReport) -> dict[str, Any]:
    return {
        "auc": r.auc,
        "ks": r.ks,
        "ks_threshold": r.ks_threshold,
        "roc": [[round(p.x, 5), round(p.y, 5)] for p in r.roc],
        "ks_bad": [[p.score, round(p.cum_bad, 5)] for p in r.ks_curve],
        "ks_good": [[p.score, round(p.cum_good, 5)] for p in r.ks_curve],
        "cal_groups": [str(c.group) for c in r.calibration],
        "cal_observed": [round(c.observed_bad_rate, 5) for c in r.calibration],
        "cal_predicted": [round(c.predicted_pd, 5) for c in r.calibration],
        "hist_labels": [f"{h.lower:g}" for h in r.score_histogram],
        "hist_goods": [h.goods for h in r.score_histogram],
        "hist_bads": [h.bads for h in r.score_histogram],
    }


def render_report_html(
    report: ValidationReport, *, echarts_src: str = DEFAULT_ECHARTS_SRC, lang: Lang = "zh"
) -> str:
    """The report page (zh-CN by default)."""
    labels = LABELS[lang]
    template = _env.get_template("validation_report.html.j2")
    return template.render(
        r=report,
        t=labels,
        lang=lang,
        created=report.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        echarts_src=echarts_src,
        chart_data=_chart_data(report),
        chart_labels=labels,
    )
