"""Scorecards (the ML models; not ORM models): scorecard training, the scorecard artifact,
validation, reports and a registry.

* :mod:`puhui.scorecards.scorecard` trains (optbinning + scikit-learn; training time only), with
  :mod:`puhui.scorecards.binning` (leak-free binning: rare categories, flags, row order);
* :mod:`puhui.scorecards.gbm` is the LightGBM challenger (training and its JSON artifact);
  :mod:`puhui.scorecards.evaluation` fits and measures both (``puhui model evaluate --csv``);
* :mod:`puhui.scorecards.artifact` is the self-contained JSON scorecard and its pure-Python
  scorer, the only module the decision path needs;
* :mod:`puhui.scorecards.validation` (metrics, pure numpy) and :mod:`puhui.scorecards.report`
  (HTML with ECharts);
* :mod:`puhui.scorecards.registry` keeps versions and the champion on disk;
* :mod:`puhui.scorecards.german` benchmarks against scorecardpy; :mod:`puhui.scorecards.cli` is
  ``puhui model ...``.

A generic library: owns no table and knows no domain. May import: `core`. Decisioning uses it
(`decisioning/scoring.py`, `decisioning/world_training.py`), never the reverse.
"""
