"""The Jinja2 environment: templates, CSS and JS shipped as package data, autoescaped."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from eng5_runner.reports import markdown as md


def asset(name: str) -> Markup:
    """A CSS or JS file of the templates folder, inlined verbatim."""
    text = (
        resources.files("eng5_runner.reports.html")
        .joinpath("templates", name)
        .read_text(encoding="utf-8")
    )
    if "</" + "script" in text.lower() or "</" + "style" in text.lower():
        raise ValueError(f"{name} would end its own <script>/<style> block")
    return Markup(text)  # noqa: S704 (our own package file, checked above)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Autoescaping everywhere: every value from a run (justifications, labels) is text."""
    env = Environment(
        loader=PackageLoader("eng5_runner.reports.html", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = asset
    env.filters["num"] = md.fmt_num
    env.filters["pct"] = md.fmt_pct
    env.filters["pval"] = md.fmt_p
    env.filters["interval"] = md.fmt_interval
    return env


def render(template: str, **context: Any) -> str:
    """Render one page template."""
    return environment().get_template(template).render(**context)
