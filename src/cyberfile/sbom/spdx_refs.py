"""Find the SPDX documents another document references (`externalDocumentRefs`) in one folder.

A reference names the other document by its `documentNamespace` (a URI that is an identity,
not a location: Yocto writes `http://spdx.org/spdxdocs/busybox-<uuid>`), so the files are
found by what they say, never by fetching the URI. `DocumentFinder` looks in one folder and
its subfolders only:

- It walks the folder top-down, in name order, lazily: only as far as needed to find the
  namespaces asked for so far. Hidden folders (`.git`, `.venv`, ...) are not entered, nor
  are symbolic links to folders (their target, when inside the folder, is walked anyway).
- A candidate is a file whose name ends in `.json` or `.spdx` (tag-value). A symbolic link
  is followed only when it resolves inside the folder; each real file is looked at once
  (Yocto's `by-namespace` and `by-hash` links lead to files of `packages/`, `runtime/`...).
- Its namespace is read cheaply: the first `"documentNamespace": "…"` key of JSON (or the
  `DocumentNamespace:` line of tag-value) in the first 64 KiB, else in the whole file when
  those 64 KiB look like SPDX at all. This is a hint: the caller checks the checksum and the
  namespace of the document it parses.
- An index as Yocto writes it (`index.json` inside `IMAGE.spdx.tar.zst`, or
  `IMAGE.spdx.index.json` beside it: `{"documents": [{"filename", "documentNamespace",
  "sha1"}]}`) is read first in its folder, and the files it lists for a namespace are
  offered before the walk goes on: a lookup ends without walking the rest of the tree. It
  is not needed; an entry naming a file that is missing or outside the folder is ignored,
  and a stale one hides nothing (the walk still reads each file's own namespace).
- Limits: files larger than `max_file_bytes` are not read; the walk stops after
  `MAX_SCANNED_FILES` candidate files, `MAX_SCANNED_BYTES` bytes read or
  `MAX_WALKED_ENTRIES` directory entries, and `notes()` says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

MAX_SCANNED_FILES = 20_000
"""Candidate files (`*.json`, `*.spdx`) read for their namespace, at most."""

MAX_SCANNED_BYTES = 1024 * 1024 * 1024
"""Bytes read for namespaces, at most (most files are read for their first 64 KiB only)."""

MAX_WALKED_ENTRIES = 200_000
"""Directory entries (files and folders) looked at, at most."""

HEAD_BYTES = 64 * 1024

_JSON_NAMESPACE = re.compile(rb'(?<!\\)"documentNamespace"\s*:\s*"((?:[^"\\]|\\.)*)"')
_TAG_VALUE_NAMESPACE = re.compile(rb"^[ \t]*DocumentNamespace[ \t]*:[ \t]*(\S+)", re.MULTILINE)
_SPDX_MARK = re.compile(rb'"SPDXID"|"spdxVersion"|^[ \t]*SPDX(?:ID|Version)[ \t]*:', re.MULTILINE)
"""Seen in the first 64 KiB of any SPDX 2 file (Yocto sorts its keys: `SPDXID` comes first,
`spdxVersion` last); a file without it is not read further."""
_INDEX_SUFFIX = "index.json"
"""`index.json` in Yocto's archive, `IMAGE.spdx.index.json` beside it."""


def digest(algorithm: str, raw: bytes) -> str | None:
    """The lowercase hex digest of `raw` for an SPDX checksum algorithm, by spdx-tools'
    `ChecksumAlgorithm` name (SHA1, SHA256, BLAKE2B_256...); None for those Python does not
    compute (MD2, MD4, MD6, BLAKE3)."""
    if algorithm == "ADLER32":
        return f"{zlib.adler32(raw):08x}"
    if algorithm in ("BLAKE2B_256", "BLAKE2B_384", "BLAKE2B_512"):
        return hashlib.blake2b(raw, digest_size=int(algorithm[-3:]) // 8).hexdigest()
    name = algorithm.lower()
    if name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"):
        return hashlib.new(name, raw).hexdigest()
    if name in ("sha3_256", "sha3_384", "sha3_512"):
        return hashlib.new(name.replace("_", "-"), raw).hexdigest()
    return None


def _namespace_in(raw: bytes) -> str | None:
    start = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        match = _JSON_NAMESPACE.search(raw)
        if match is None:
            return None
        try:
            value = json.loads(b'"' + match.group(1) + b'"')
        except ValueError:
            return None
        return value if isinstance(value, str) else None
    match = _TAG_VALUE_NAMESPACE.search(raw)
    return match.group(1).decode("utf-8", "replace") if match else None


class DocumentFinder:
    """The files under `folder` that hold an SPDX document of a given namespace."""

    def __init__(self, folder: Path, skip: Path, max_file_bytes: int) -> None:
        self.folder = folder
        self.real = folder.resolve()
        self.skip = skip.resolve()
        self.max_file_bytes = max_file_bytes
        self._by_namespace: dict[str, list[Path]] = {}
        self._seen: set[Path] = {self.skip}
        self._walk = self._candidates()
        self._done = False
        self.outside_links = 0
        self.too_large = 0
        self.unreadable = 0
        self.stopped: str | None = None
        self._files = 0
        self._bytes = 0
        self._entries = 0

    def files(self, namespace: str) -> Iterator[Path]:
        """The files whose namespace is `namespace`: those known already, then those the
        walk finds as it goes on (it stops when there are no more files to look at)."""
        given = 0
        while True:
            known = self._by_namespace.get(namespace, [])
            while given < len(known):
                given += 1
                yield known[given - 1]
            if self._done:
                return
            try:
                next(self._walk)
            except StopIteration:
                self._done = True

    def notes(self) -> list[str]:
        """What the search left out, for a reference it did not find."""
        where = self.folder.as_posix()
        out = []
        if self.stopped:
            out.append(f"the search for referenced documents under {where} stopped {self.stopped}")
        if self.outside_links:
            out.append(
                f"{self.outside_links} symbolic link(s) under {where} lead outside that folder; "
                "not followed"
            )
        if self.too_large:
            out.append(
                f"{self.too_large} file(s) under {where} are larger than cyberfile reads "
                f"({self.max_file_bytes} bytes); not looked at"
            )
        if self.unreadable:
            out.append(f"{self.unreadable} file(s) under {where} could not be read; not looked at")
        return out

    # -- the walk ---------------------------------------------------------------------------

    def _inside(self, path: Path) -> Path | None:
        """The real path of a regular file inside the folder; None otherwise (a symbolic
        link that leads outside it is counted)."""
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a loop of links
            self.unreadable += 1
            return None
        if self.real not in real.parents:
            if path.is_symlink():
                self.outside_links += 1
            return None
        return real if real.is_file() else None

    def _add(self, namespace: str, real: Path) -> None:
        known = self._by_namespace.setdefault(namespace, [])
        if real not in known:
            known.append(real)

    def _candidates(self) -> Iterator[None]:
        """Walks the folder; yields after each file it indexed (so that `files` can stop
        as soon as it has what it needs)."""
        for top, folders, names in os.walk(self.folder, followlinks=False):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            self._entries += len(folders) + len(names)
            if self._entries > MAX_WALKED_ENTRIES:
                self.stopped = f"after {MAX_WALKED_ENTRIES} folder entries"
                return
            # an index first: the files it lists need not be read
            for name in sorted(sorted(names), key=lambda n: not n.endswith(_INDEX_SUFFIX)):
                lower = name.lower()
                if not lower.endswith((".json", ".spdx")):
                    continue
                path = Path(top) / name
                real = self._inside(path)
                if real is None or real in self._seen:
                    continue
                self._seen.add(real)
                if self._files >= MAX_SCANNED_FILES:
                    self.stopped = f"after {MAX_SCANNED_FILES} files"
                    return
                if self._bytes >= MAX_SCANNED_BYTES:
                    self.stopped = f"after reading {MAX_SCANNED_BYTES} bytes"
                    return
                self._files += 1
                self._index(real, lower)
                yield

    def _index(self, real: Path, lower: str) -> None:
        try:
            if real.stat().st_size > self.max_file_bytes:
                self.too_large += 1
                return
            index = lower.endswith(_INDEX_SUFFIX)
            with real.open("rb") as handle:
                raw = handle.read(self.max_file_bytes if index else HEAD_BYTES)
                namespace = None if index else _namespace_in(raw)
                if namespace is None and len(raw) == HEAD_BYTES and _SPDX_MARK.search(raw):
                    raw += handle.read(self.max_file_bytes)
        except OSError:
            self.unreadable += 1
            return
        self._bytes += len(raw)
        if index and self._read_index(real, raw):
            return
        namespace = namespace or _namespace_in(raw)
        if namespace is not None:
            self._add(namespace, real)

    def _read_index(self, real: Path, raw: bytes) -> bool:
        """Takes in a Yocto index (True), or says the file is not one (False)."""
        try:
            index = json.loads(raw)
        except (ValueError, RecursionError):
            return False
        entries = index.get("documents") if isinstance(index, dict) else None
        if not isinstance(entries, list):
            return False
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            name, namespace = entry.get("filename"), entry.get("documentNamespace")
            if not (isinstance(name, str) and isinstance(namespace, str) and name):
                continue
            listed = self._inside(real.parent / name)
            if listed is None or listed == self.skip:
                continue
            # a hint, found first; the walk still reads the file's own namespace, so that an
            # index older than the files hides none of them
            self._add(namespace, listed)
        return True
