"""`controls.yaml`: security controls by Appendix 1 category, with their requirements."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from cyberfile.model.base import ItemId, Model, Text
from cyberfile.model.common import Review
from cyberfile.model.vocabulary import CONTROL_CATEGORY_ALIASES, ControlCategory


def _canonical_category(value: Any) -> Any:
    if isinstance(value, str):
        return CONTROL_CATEGORY_ALIASES.get(value, value)
    return value


Category = Annotated[
    ControlCategory,
    BeforeValidator(_canonical_category),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [c.value for c in ControlCategory] + list(CONTROL_CATEGORY_ALIASES),
        }
    ),
]


class Requirement(Model):
    id: ItemId
    text: Text = Field(description="The requirement, as a 'shall' statement.")
    acceptance_criteria: Text | None = Field(
        default=None, description="How a test decides the requirement is met."
    )


class Control(Model):
    id: ItemId
    title: Text
    category: Category = Field(
        description="Appendix 1 category: authentication | authorization | cryptography | "
        "code_data_execution_integrity | confidentiality | event_detection_logging | "
        "resiliency_recovery | firmware_software_updates (alias updatability_patchability)."
    )
    description: Text | None = None
    implemented_in: tuple[ItemId, ...] = Field(default=(), description="Asset ids.")
    requirements: tuple[Requirement, ...] = ()
    reviewed: Review | None = None


class Controls(Model):
    controls: tuple[Control, ...] = ()
