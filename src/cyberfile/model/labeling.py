"""`labeling.yaml`: cybersecurity information for users (§VI.A), one entry per topic."""

from __future__ import annotations

from pydantic import Field

from cyberfile.model.base import Model, Text
from cyberfile.model.vocabulary import LabelingTopic


class LabelingEntry(Model):
    topic: LabelingTopic
    text: Text = Field(description="What the labeling tells users on this topic.")


class Labeling(Model):
    labeling: tuple[LabelingEntry, ...] = ()
