"""The "Psychometrics" part of a report: misfit, split-half reliability, bias audits.

:func:`build_psychometrics` computes everything from the judgement records and the
essays (one BT fit, then ``stats.misfit``, ``stats.split_half`` and ``stats.bias``);
:func:`render_psychometrics_markdown` is the report.md section and
:func:`psychometrics_metrics` the summary.json fields.  Definitions: docs/metrics.md
"Psychometrics".
"""

from eng5_runner.reports.psychometrics.build import build_psychometrics
from eng5_runner.reports.psychometrics.metrics import psychometrics_metrics
from eng5_runner.reports.psychometrics.models import Psychometrics
from eng5_runner.reports.psychometrics.render import render_psychometrics_markdown

__all__ = [
    "Psychometrics",
    "build_psychometrics",
    "psychometrics_metrics",
    "render_psychometrics_markdown",
]
