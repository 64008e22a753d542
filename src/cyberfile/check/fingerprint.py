"""Review fingerprints: what an item said, and what the items it references said, when it
was reviewed.

A fingerprint is `sha256:` + the SHA-256 of a canonical JSON document holding the item's
content and the content of every item it references directly (a threat's targets and
controls, a control's assets, a test's requirements, a vulnerability's components, ...).
Content is the validated model data, without any `reviewed` stamp and without values
equal to their defaults, with keys sorted. So the fingerprint does not change with key
order, quoting, comments, flow or block style, or the file an item lives in; it changes
when the item or anything it references says something different.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from cyberfile.check.references import references
from cyberfile.model.items import Item, items
from cyberfile.model.project import Project

Reviewable = Item
"""An item that carries a `reviewed` stamp."""


def reviewables(project: Project) -> Iterator[Item]:
    """The items `cyberfile review` stamps (the kinds marked reviewable)."""
    return (item for item in items(project) if item.spec.reviewable)


def _content(item: BaseModel) -> Any:
    return item.model_dump(mode="json", by_alias=True, exclude={"reviewed"}, exclude_defaults=True)


class Fingerprints:
    """Fingerprints of a project's items, computed on demand."""

    def __init__(self, project: Project) -> None:
        self._items: dict[str, BaseModel] = {}
        for item in items(project):
            self._items.setdefault(item.ident, item.model)
        self._refs: dict[str, set[str]] = {}
        for ref in references(project):
            self._refs.setdefault(ref.owner, set()).add(ref.target)

    def of(self, ident: str, item: BaseModel) -> str:
        document = {
            "item": _content(item),
            "references": {
                target: _content(self._items[target])
                for target in sorted(self._refs.get(ident, ()))
                if target in self._items
            },
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
