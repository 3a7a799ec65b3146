"""The export service: a kind and a reference become a document, an exporter plugin draws it,
and the file appears whole or not at all. Every front end exports through `Exports`."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sector_cli.errors import UsageError
from sector_cli.export.clean import cleaned
from sector_cli.export.kinds import KINDS, ExportRequest, Kind, check_options, kind_named
from sector_cli.plugins.exporter import Exporter, ExportOptions, Target, Written

if TYPE_CHECKING:
    from sector_cli.export.model import Document
    from sector_cli.services import Services

STDOUT = "-"
BUILTIN_ORDER = ("pdf", "png", "jpeg", "docx", "pptx", "html", "md")
LATEST = "last"  # the REF of the latest run, conversation or answer


@dataclass(frozen=True)
class Report:
    """What an export wrote: the file (or `-`), its format, size, and pages or slides."""

    kind: str
    format: str
    path: str
    size: int
    written: Written
    notes: tuple[str, ...] = ()
    assets: str | None = None  # the folder of pictures next to a Markdown file
    data: bytes | None = field(default=None, repr=False)  # the document, when sent to stdout

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "kind": self.kind,
            "format": self.format,
            "path": self.path,
            "bytes": self.size,
            "pages": self.written.pages,
            "slides": self.written.slides,
        }
        if self.assets:
            wire["assets"] = self.assets
            wire["asset_files"] = self.written.assets
        wire["notes"] = list(self.notes)
        return wire

    def one_line(self) -> str:
        counted = [
            f"{n} {word}{'s' if n != 1 else ''}"
            for n, word in ((self.written.pages, "page"), (self.written.slides, "slide"))
            if n is not None
        ]
        size = f"{self.size / 1024:.1f} KiB" if self.size >= 1024 else f"{self.size} bytes"
        what = ", ".join([*counted, size])
        assets = f" and {self.written.assets} files in {self.assets}" if self.assets else ""
        return f"wrote {self.path} ({self.format}, {what}){assets}"


class Exports:
    def __init__(self, services: Services) -> None:
        self.services = services

    # formats

    def exporters(self) -> dict[str, type[Exporter]]:
        """Every format: the built-in ones in the order people reach for them, then others."""
        infos = self.services.registry.of_kind(Exporter)
        order = {name: n for n, name in enumerate(BUILTIN_ORDER)}
        ranked = sorted(infos, key=lambda i: (not i.builtin, order.get(i.name, 99), i.name))
        return {info.name: info.plugin_class for info in ranked}

    def formats_for(self, kind: Kind) -> list[str]:
        """The formats that can draw this kind's documents (a still image takes one frame)."""
        return [name for name, exporter in self.exporters().items() if supports(kind, exporter)]

    def listing(self) -> list[dict[str, Any]]:
        """Every kind with the formats it can be written in, for `sector export --list`."""
        exporters = self.exporters()
        still = [name for name, exporter in exporters.items() if not exporter.animates]
        return [
            {
                "kind": kind.name,
                "reference": kind.reference,
                "summary": kind.summary,
                "formats": list(exporters),
                # A still image holds one frame of an animation: `--steps N` chooses it.
                "one_frame_only": still if kind.frames else [],
            }
            for kind in KINDS.values()
        ]

    def exporter(self, format: str | None, out: str | None) -> tuple[str, type[Exporter]]:
        """The format asked for, or the one `--out`'s extension names."""
        exporters = self.exporters()
        names = ", ".join(exporters)
        if format is not None:
            chosen = exporters.get(format.lower().lstrip("."))
            if chosen is None:
                raise UsageError(f"there is no export format {format!r}", f"Use one of: {names}")
            return format.lower().lstrip("."), chosen
        suffix = Path(out).suffix.lower() if out and out != STDOUT else ""
        for name, exporter in exporters.items():
            if suffix and suffix in exporter.extensions():
                return name, exporter
        if out is None or out == STDOUT:
            raise UsageError("which format?", f"Pass --format ({names}) or --out FILE.pdf")
        raise UsageError(
            f"cannot tell the format of {Path(out).name!r} from its extension",
            f"Pass --format ({names})",
        )

    # exporting

    def export(
        self,
        kind_name: str,
        ref: str,
        *,
        format: str | None = None,
        out: str | None = None,
        request: ExportRequest | None = None,
        force: bool = False,
        options: ExportOptions | None = None,
    ) -> Report:
        """Build the document of `kind_name` `ref` and write it to `out` (a file, a folder, or
        `-` for the returned `Report.data`); everything that can be refused is refused before
        the document is built, since building may run a program."""
        kind = kind_named(kind_name)
        request = request or ExportRequest()
        check_options(kind, request)
        name, exporter = self.exporter(format, out)
        if not supports(kind, exporter) and not _one_step(request):
            self._refuse_frames(kind, name)
        # `last` is named by the number it stands for, known once the document is built.
        named_later = ref == LATEST and (out is None or Path(out).is_dir())
        destination = None
        if out != STDOUT and not named_later:
            destination = destination_for(out, kind, ref, exporter, force)
        document = kind.build(ref, request, self.services)
        if named_later:
            number = re.search(r"#(\d+)", document.meta.reference)
            chosen = number.group(1) if number else ref
            destination = destination_for(out, kind, chosen, exporter, force)
        if document.frames and len(document.sections) > 1 and not exporter.animates:
            self._refuse_frames(kind, name)
        return self.write(document, name, exporter, destination, force, options)

    def _refuse_frames(self, kind: Kind, name: str) -> None:
        formats = ", ".join(self.formats_for(kind))
        raise UsageError(
            f"a {name} holds one frame, and `export {kind.name}` makes several",
            f"Pick one with --steps N, or use {formats}",
        )

    def write(
        self,
        document: Document,
        format: str,
        exporter: type[Exporter],
        destination: Path | None,
        force: bool = False,
        options: ExportOptions | None = None,
    ) -> Report:
        """Draw `document` with `exporter` into `destination` (None: into `Report.data`),
        through a temporary file renamed at the end: a failure leaves nothing behind."""
        document = cleaned(document)
        folder = destination.parent if destination else Path(tempfile.mkdtemp(prefix="sector-"))
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=f".{destination.name if destination else 'export'}.", dir=folder
            )
        except OSError as error:
            raise UsageError(
                f"cannot write in {folder} ({error.strerror})", "Pick another --out"
            ) from None
        os.close(handle)
        target = Target(Path(temporary), destination.name if destination else STDOUT)
        try:
            written = exporter().export(document, target, options or ExportOptions())
            size = Path(temporary).stat().st_size
            if destination is None:
                data = Path(temporary).read_bytes()
                return Report(document.meta.kind, format, STDOUT, size, written,
                              _notes(document), None, data)  # fmt: skip
            assets = _place_assets(target, destination, force)
            Path(temporary).chmod(_file_mode())  # mkstemp's is 0600; a file is the umask's
            Path(temporary).replace(destination)
            return Report(
                document.meta.kind, format, str(destination), size, written, _notes(document),
                str(assets) if assets else None,
            )  # fmt: skip
        finally:
            with contextlib.suppress(FileNotFoundError):
                Path(temporary).unlink()
            if target.assets_written is not None:
                shutil.rmtree(target.assets_written, ignore_errors=True)
            if destination is None:
                shutil.rmtree(folder, ignore_errors=True)


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def supports(kind: Kind, exporter: type[Exporter]) -> bool:
    return exporter.animates or not kind.frames


def _one_step(request: ExportRequest) -> bool:
    return request.steps is not None and request.steps.strip().isdigit()


def _notes(document: Document) -> tuple[str, ...]:
    return tuple(note.text for note in document.notes)


def default_name(kind: Kind, ref: str, exporter: type[Exporter]) -> str:
    """`run-12.pdf`, `trace-fib.pdf`: the kind and the reference, safe as a file name."""
    stem = Path(ref).stem if kind.reference in ("FILE", "FILE|RUN", "MODEL") else ref
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:60] or "export"
    return f"{kind.name}-{slug}{exporter.extension}"


def destination_for(
    out: str | None, kind: Kind, ref: str, exporter: type[Exporter], force: bool
) -> Path:
    """The file to write: `out`, a default name inside `out` when it is a folder, or in the
    current folder. Refused before any work: a missing or read-only folder, a file that
    exists (without --force)."""
    path = Path(out) if out else Path(default_name(kind, ref, exporter))
    if path.is_dir():
        path = path / default_name(kind, ref, exporter)
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"there is no folder {folder}", "Create it first, or pick another --out")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write in {folder} (permission denied)", "Pick another --out")
    if path.exists() and not force:
        raise UsageError(f"{path} exists", "Pass --force to replace it, or pick another --out")
    if path.exists() and not path.is_file():
        raise UsageError(f"{path} is not a file", "Pick another --out")
    return path.absolute()


def _place_assets(target: Target, destination: Path, force: bool) -> Path | None:
    """Move the pictures written next to the document to `<stem>_files/` beside it."""
    written = target.assets_written
    if written is None:
        return None
    final = destination.with_name(target.assets_link)
    if final.exists():
        if not force:
            raise UsageError(f"{final} exists", "Pass --force to replace it, or pick another --out")
        shutil.rmtree(final) if final.is_dir() else final.unlink()
    written.rename(final)
    target._assets = None
    return final
