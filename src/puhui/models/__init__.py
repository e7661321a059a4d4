"""Models: scorecard training, the scorecard artifact, validation, reports and a registry.

* :mod:`puhui.models.scorecard` trains (optbinning + scikit-learn; training time only);
* :mod:`puhui.models.artifact` is the self-contained JSON scorecard and its pure-Python
  scorer, the only module the decision path needs;
* :mod:`puhui.models.validation` (metrics, pure numpy) and :mod:`puhui.models.report`
  (HTML with ECharts);
* :mod:`puhui.models.registry` keeps versions and the champion on disk;
* :mod:`puhui.models.german` benchmarks against scorecardpy; :mod:`puhui.models.cli` is
  ``puhui model ...``.
"""
