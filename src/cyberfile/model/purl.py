"""Package URLs as the project compares them."""

from __future__ import annotations

from packageurl import PackageURL


def package_of(ref: str | None) -> str | None:
    """The purl without version and qualifiers (`pkg:pypi/django`), or None when `ref` is
    not a valid purl. Two versions of one package share it."""
    if not ref or not ref.startswith("pkg:"):
        return None
    try:
        purl = PackageURL.from_string(ref)
    except ValueError:
        return None
    return PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name).to_string()


def purl_parts(ref: str | None) -> tuple[str | None, str | None]:
    """(type, namespace) of a purl; (None, None) when `ref` is not one."""
    if not ref or not ref.startswith("pkg:"):
        return None, None
    try:
        purl = PackageURL.from_string(ref)
    except ValueError:
        return None, None
    return purl.type, purl.namespace
