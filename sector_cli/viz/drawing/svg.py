"""Standalone SVG and HTML output for every visualization: one small drawing API, an animated
SVG made of frames, and an HTML page that steps through frames with buttons and keys.

Files are self-contained (styles inline, no scripts fetched from anywhere) so that they open
offline and can be embedded in exports and the TUI.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from sector_cli.errors import UsageError

FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
# white-space: pre for browsers, xml:space="preserve" on the root for librsvg and other SVG 1.1
# renderers: without both, source lines lose their indentation and output its spacing.
STYLE = f"""
text {{ font-family: {FONT}; fill: #1f2328; white-space: pre; }}
.muted {{ fill: #656d76; }}
.box {{ fill: #f6f8fa; stroke: #8c959f; stroke-width: 1; }}
.hot {{ fill: #fff8c5; stroke: #d4a72c; stroke-width: 1.5; }}
.edge {{ stroke: #57606a; stroke-width: 1.2; fill: none; }}
"""
CHAR_WIDTH = 0.62  # of the font size, for a monospace face: enough to size boxes


def text_width(text: str, size: float) -> float:
    return len(text.expandtabs()) * size * CHAR_WIDTH


# Characters XML 1.0 forbids (a program's ANSI colours, a bell): shown as a visible mark.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(text: object) -> str:
    return html.escape(FORBIDDEN.sub("\N{REPLACEMENT CHARACTER}", str(text)), quote=True)


@dataclass
class Svg:
    """An SVG drawing built element by element; `render()` gives the file's text."""

    width: float
    height: float
    title: str = ""
    parts: list[str] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, cls: str = "box", rx: float = 4) -> None:
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" '
            f'class="{cls}"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        content: object,
        size: float = 12,
        anchor: str = "start",
        cls: str = "",
        bold: bool = False,
    ) -> None:
        weight = ' font-weight="bold"' if bold else ""
        klass = f' class="{cls}"' if cls else ""
        # Tabs to spaces: preserved whitespace still draws a tab as one space.
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
            f"{klass}{weight}>{esc(str(content).expandtabs())}</text>"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, arrow: bool = False) -> None:
        head = ' marker-end="url(#arrow)"' if arrow else ""
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="edge"{head}/>'
        )

    def path(self, d: str, arrow: bool = False) -> None:
        head = ' marker-end="url(#arrow)"' if arrow else ""
        self.parts.append(f'<path d="{esc(d)}" class="edge"{head}/>')

    def body(self) -> str:
        """The drawing's elements, without the <svg> wrapper (for frames)."""
        return "\n".join(self.parts)

    def render(self) -> str:
        return _document(self.width, self.height, self.title, self.body())


def _document(width: float, height: float, title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xml:space="preserve" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#57606a"/></marker></defs>\n'
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n{body}\n</svg>\n'
    )


def animated_svg(frames: list[Svg], seconds_per_frame: float = 1.0, title: str = "") -> str:
    """One SVG that shows the frames in turn, for ever (SMIL: no script needed)."""
    if not frames:
        raise ValueError("an animation needs at least one frame")
    width = max(f.width for f in frames)
    height = max(f.height for f in frames)
    total = seconds_per_frame * len(frames)
    groups = []
    for index, frame in enumerate(frames):
        start = index / len(frames)
        end = (index + 1) / len(frames)
        times = f"0;{start:.4f};{end:.4f};1" if index else f"0;{end:.4f};1"
        values = "hidden;visible;hidden;hidden" if index else "visible;hidden;hidden"
        groups.append(
            f'<g visibility="{"visible" if index == 0 else "hidden"}" data-frame="{index}">'
            f'<animate attributeName="visibility" dur="{total:.2f}s" repeatCount="indefinite" '
            f'calcMode="discrete" keyTimes="{times}" values="{values}"/>\n{frame.body()}\n</g>'
        )
    return _document(width, height, title, "\n".join(groups))


def html_page(title: str, frames: list[Svg], captions: list[str] | None = None) -> str:
    """A standalone page: one frame at a time, with previous/next/play buttons, a slider, and
    the arrow keys. A single frame is shown as is."""
    captions = captions or [""] * len(frames)
    figures = "\n".join(
        f'<figure data-frame="{i}"{"" if i == 0 else " hidden"}>{frame.render()}'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
        for i, (frame, caption) in enumerate(zip(frames, captions, strict=True))
    )
    controls = "" if len(frames) < 2 else CONTROLS.replace("{last}", str(len(frames) - 1))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{PAGE_STYLE}</style></head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n{controls}\n<main>{figures}</main>\n"
        f"{SCRIPT if len(frames) > 1 else ''}</body></html>\n"
    )


PAGE_STYLE = (
    "body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1f2328; } "
    "h1 { font-size: 1.2rem; } figure { margin: 0; } figcaption { color: #656d76; "
    "font-family: " + FONT + "; margin-top: .5rem; white-space: pre-wrap; } "
    "nav { display: flex; gap: .5rem; align-items: center; margin-bottom: 1rem; } "
    "input[type=range] { width: 20rem; }"
)
CONTROLS = (
    '<nav><button id="prev" title="previous (left arrow)">&#9664;</button>'
    '<button id="play" title="play or pause (space)">play</button>'
    '<button id="next" title="next (right arrow)">&#9654;</button>'
    '<input id="step" type="range" min="0" max="{last}" value="0">'
    '<span id="where"></span></nav>'
)
SCRIPT = """<script>
const figures = [...document.querySelectorAll('[data-frame]')];
const slider = document.getElementById('step'), where = document.getElementById('where');
let current = 0, timer = null;
function show(n) {
  current = Math.max(0, Math.min(figures.length - 1, n));
  figures.forEach((f, i) => f.hidden = i !== current);
  slider.value = current; where.textContent = (current + 1) + ' / ' + figures.length;
}
function play() {
  const button = document.getElementById('play');
  if (timer) { clearInterval(timer); timer = null; button.textContent = 'play'; return; }
  button.textContent = 'pause';
  timer = setInterval(() => current < figures.length - 1 ? show(current + 1) : play(), 700);
}
document.getElementById('prev').onclick = () => show(current - 1);
document.getElementById('next').onclick = () => show(current + 1);
document.getElementById('play').onclick = play;
slider.oninput = () => show(Number(slider.value));
document.addEventListener('keydown', e => {
  if (e.key === 'ArrowLeft') show(current - 1);
  if (e.key === 'ArrowRight') show(current + 1);
  if (e.key === ' ') { e.preventDefault(); play(); }
});
show(0);
</script>
"""


def write_output(
    path: Path, title: str, frames: list[Svg], captions: list[str] | None = None
) -> str:
    """Write frames as `.svg` (animated when there are several) or `.html` (with step
    controls), chosen by the file's extension; returns what was written."""
    suffix = path.suffix.lower()
    if suffix == ".svg":
        text = frames[0].render() if len(frames) == 1 else animated_svg(frames, title=title)
    elif suffix in (".html", ".htm"):
        text = html_page(title, frames, captions)
    else:
        raise UsageError(
            f"cannot write {path.name}: --out takes a .svg or .html file",
            "Name the file drawing.svg or drawing.html",
        )
    write_page(path, text)
    return text


def write_page(path: Path, text: str) -> None:
    """Write a finished drawing or page, an unwritable path being the user's to fix."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path} ({exc.strerror})", "Check the folder") from None
