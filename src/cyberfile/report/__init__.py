"""Diagnostics output formats. Each format is a module with `render(report) -> str`."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from cyberfile.report.model import Report

FORMATS: dict[str, str] = {
    "text": "cyberfile.report.text",
    "json": "cyberfile.report.json_format",
    "sarif": "cyberfile.report.sarif",
    "junit": "cyberfile.report.junit",
}
"""Format name -> module providing `render`; modules are imported only when used."""


def renderer(name: str) -> Callable[[Report], str]:
    module = importlib.import_module(FORMATS[name])
    render: Callable[[Report], str] = module.render
    return render
