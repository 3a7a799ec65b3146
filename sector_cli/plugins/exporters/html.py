"""HTML: one standalone page (styles inline, pictures as data URIs, no network), frames
stepped through with buttons and the arrow keys."""

from __future__ import annotations

from typing import ClassVar

from sector_cli.export.html import render_html
from sector_cli.export.model import Document
from sector_cli.plugins.exporter import Exporter, ExportOptions, Target, Written


class HtmlExporter(Exporter):
    name: ClassVar[str] = "html"
    summary: ClassVar[str] = "a standalone web page that opens offline"
    extension: ClassVar[str] = ".html"
    other_extensions: ClassVar[tuple[str, ...]] = (".htm",)
    media_type: ClassVar[str] = "text/html"
    binary: ClassVar[bool] = False

    def export(self, document: Document, target: Target, options: ExportOptions) -> Written:
        target.path.write_text(render_html(document), encoding="utf-8")
        return Written()
