"""The huleedu backend: HuleEdu Content Service, CJ Assessment Service and Kafka.

Handlers call the async functions in :mod:`eng5_runner.huleedu.flows`; the
wire formats live in :mod:`eng5_runner.huleedu.contracts`.
"""

from __future__ import annotations
