"""Where each item lives in the audit site, and turning every id in a page into a link.

Every identified item (asset, threat, control, requirement, test, evidence item, component,
vulnerability, ...) has one page, `items/<name>.html`. Item ids and vulnerability ids keep
their own spelling (`items/THR-001.html`, `items/CVE-2024-5535.html`); an identifier with
characters a file name should not hold (a purl: `pkg:pypi/django@4.2.16`) becomes a
lower-case name with a short digest that keeps it unique
(`items/pkg-pypi-django-4.2.16-1a2b3c4d.html`).

`link_ids` rewrites the text of an HTML page so that each known id becomes a link to its
page. It changes text only (never tags, attributes, or what is inside links, scripts,
styles, code blocks and SVG), so escaped user text stays escaped."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable

ITEMS_FOLDER = "items"

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")


def item_name(ident: str) -> str:
    """The file name (without .html) of an item's page; stable and unique per id."""
    plain = _PLAIN.match(ident) and ident.upper() == ident
    if plain or re.match(r"^GHSA(-[0-9a-z]{4}){3}$", ident):
        return ident
    slug = re.sub(r"[^a-z0-9.]+", "-", ident.lower()).strip("-.")[:80] or "item"
    digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


def item_path(ident: str) -> str:
    """The page of an item, relative to the site root: `items/THR-001.html`."""
    return f"{ITEMS_FOLDER}/{item_name(ident)}.html"


# An id in running text: a purl, an item or vulnerability id (THR-001, CVE-2024-5535,
# PYSEC-2023-11), or a GHSA id. Trailing punctuation is tried without it.
_CANDIDATE = re.compile(
    r"(?<![\w/:.@%-])"
    r"(pkg:[A-Za-z0-9.+-]+/(?:[^\s<>\"'|,;()\[\]{}&]|&amp;)+"
    r"|[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)+"
    r"|GHSA(?:-[0-9a-z]{4}){3})"
)
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9-]*)?[^>]*>", re.DOTALL)
_SKIP = frozenset({"a", "script", "style", "code", "pre", "svg", "title", "textarea", "head"})
_TRAILING = ".:;,!?"


def link_ids(
    page: str,
    href: Callable[[str], str | None],
    found: Callable[[str], None] | None = None,
    css_class: str = "cf-id",
) -> str:
    """`page` with each id in its text turned into `<a class="cf-id" href="...">`.

    `href(ident)` gives the link of a known id, or None to leave the text as it is;
    `found(ident)` is told of every id that was linked (for "where it appears").
    """
    if "<" not in page:  # text without markup (an item page's field value): no tag to skip
        return _link_text(page, href, found, css_class)
    out: list[str] = []
    skipping: list[str] = []
    position = 0
    for tag in _TAG.finditer(page):
        start = tag.start()
        if start > position:
            text = page[position:start]
            out.append(text if skipping else _link_text(text, href, found, css_class))
        out.append(tag.group(0))
        position = tag.end()
        name = tag.group(2)
        if name is None:
            continue
        name = name.lower()
        if name not in _SKIP or tag.group(0).endswith("/>"):
            continue
        if tag.group(1):
            if name in skipping:
                while skipping and skipping.pop() != name:
                    pass
        else:
            skipping.append(name)
    if position < len(page):
        text = page[position:]
        out.append(text if skipping else _link_text(text, href, found, css_class))
    return "".join(out)


def _link_text(
    text: str,
    href: Callable[[str], str | None],
    found: Callable[[str], None] | None,
    css_class: str,
) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        rest = ""
        while True:
            ident = html.unescape(token)
            target = href(ident)
            if target is not None:
                if found is not None:
                    found(ident)
                return (
                    f'<a class="{css_class}" href="{html.escape(target, quote=True)}">'
                    f"{token}</a>{rest}"
                )
            if token and token[-1] in _TRAILING:
                rest = token[-1] + rest
                token = token[:-1]
                continue
            return match.group(0)

    return _CANDIDATE.sub(replace, text)


def relative(path: str, depth: int) -> str:
    """A site-root path as seen from a page `depth` folders down."""
    return "../" * depth + path


def safe_url(url: str) -> str | None:
    """`url` when it may become a link: http, https and mailto only (never javascript:,
    data: or file:, whatever their spelling)."""
    text = url.strip()
    if re.match(r"^(https?://|mailto:)[^\s<>\"']+$", text, re.IGNORECASE) and not re.search(
        r"[\x00-\x1f]", text
    ):
        return text
    return None


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
