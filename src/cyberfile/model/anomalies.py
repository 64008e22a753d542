"""`anomalies.yaml`: unresolved software anomalies and their security impact (§V.A.5)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from cyberfile.model.base import ItemId, Model, StrictStr, Text

Cwe = Annotated[StrictStr, StringConstraints(pattern=r"^CWE-[0-9]+$")]


class Anomaly(Model):
    id: ItemId
    title: Text
    cwe: tuple[Cwe, ...] = Field(default=(), description="CWE ids, e.g. CWE-787.")
    security_impact: Text | None = None
    rationale: Text | None = Field(
        default=None, description="Why releasing with the anomaly is acceptable."
    )
    found_by: tuple[ItemId, ...] = Field(
        default=(), description="Ids of the tests that found it (e.g. a failed test)."
    )


class Anomalies(Model):
    anomalies: tuple[Anomaly, ...] = ()
