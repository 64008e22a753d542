"""`architecture.yaml`: assets, trust boundaries, data flows (Appendix 2 paths) and views."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from cyberfile.model.base import ItemId, Model, NonEmptyStr, StrictBool, StrictInt, Text
from cyberfile.model.common import Review
from cyberfile.model.vocabulary import AssetKind, Carries, Connectivity, ViewType

Port = Annotated[StrictInt, Field(ge=0, le=65535)]


class Asset(Model):
    id: ItemId
    name: Text = Field(description="Human-readable name.")
    kind: AssetKind = Field(
        description="software | hardware | firmware | data | service | external_system | user."
    )
    description: Text | None = None
    components: tuple[NonEmptyStr, ...] = Field(
        default=(), description="SBOM component refs (purls) this asset is built from."
    )
    critical_function: StrictBool = Field(
        default=False,
        description="True when failure could affect safety or essential performance.",
    )
    reviewed: Review | None = None


class TrustBoundary(Model):
    id: ItemId
    name: Text
    description: Text | None = None
    assets: tuple[ItemId, ...] = Field(default=(), description="Asset ids inside the boundary.")


class DataFlow(Model):
    """A communication path (Appendix 2): who talks to whom, how, and how it is protected."""

    id: ItemId
    from_: ItemId = Field(alias="from", description="Asset id the flow starts at.")
    to: ItemId = Field(description="Asset id the flow ends at.")
    interface: Connectivity | None = Field(
        default=None, description="One of the connectivity values, e.g. wifi, ble, usb."
    )
    protocol: Text | None = Field(default=None, description="Protocol and version.")
    ports: tuple[Port, ...] = Field(default=(), description="Ports or channels.")
    carries: tuple[Carries, ...] = Field(default=(), description="data | commands | code.")
    authentication: Text | None = Field(
        default=None, description="How each end is authenticated, and its strength."
    )
    encryption: Text | None = Field(default=None, description="Cryptography and keys.")
    description: Text | None = None
    reviewed: Review | None = None


class View(Model):
    id: ItemId
    type: ViewType = Field(
        description="global_system | multi_patient_harm | updatability_patchability | "
        "security_use_case."
    )
    title: Text
    description: Text | None = Field(default=None, description="Explanatory text of the view.")
    elements: tuple[ItemId, ...] = Field(
        default=(),
        description="Assets, data flows and trust boundaries shown; the diagram is "
        "generated from these.",
    )
    reviewed: Review | None = None


class Architecture(Model):
    """The security architecture (§V.B)."""

    assets: tuple[Asset, ...] = ()
    trust_boundaries: tuple[TrustBoundary, ...] = ()
    data_flows: tuple[DataFlow, ...] = ()
    views: tuple[View, ...] = ()
    omitted_views: dict[ViewType, Text] = Field(
        default_factory=dict,
        description="A reason for each view type the project does not provide.",
    )
