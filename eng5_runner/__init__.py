"""eng5-runner: declarative comparative-judgement prompt tuning for ENG5 NP essays."""

from eng5_runner.settings.resolvers import register_resolvers

__version__ = "0.1.0"
__all__ = ["__version__"]

register_resolvers()
