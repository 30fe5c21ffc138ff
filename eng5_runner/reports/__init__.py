"""Reports of a run: alignment and boundary reports, plots, artefact, run summary.

Import the submodule you need; this package imports nothing heavy itself
(matplotlib only loads when a plot is drawn, jsonschema when an artefact is
validated).

- :mod:`eng5_runner.reports.context`    ``ReportContext`` (provenance) and shared result parts
- :mod:`eng5_runner.reports.alignment`  anchor-align-test: ``build_alignment`` → markdown / terminal
- :mod:`eng5_runner.reports.boundary`   boundary-test: ``build_boundary`` → markdown / terminal
- :mod:`eng5_runner.reports.plots`      ``write_alignment_plots``, ``write_boundary_plots``
- :mod:`eng5_runner.reports.artefact` ``build_artefact``, ``validate_artefact``, ``write_artefact``
- :mod:`eng5_runner.reports.summary`    per-run ``summary.json`` for sweep leaderboards
- :mod:`eng5_runner.reports.markdown`   shared markdown helpers
"""

from __future__ import annotations

__all__: list[str] = []
