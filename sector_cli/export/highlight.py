"""Code coloured once for every format: each line as pieces of text with a colour, from
Pygments' lexers and a light style that prints well. HTML, DOCX and PPTX draw the pieces."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pygments.lexer import Lexer

    from sector_cli.export.model import Code

STYLE = "default"  # Pygments' own: dark enough on white paper and on a slide
INK = "1f2328"  # text without a colour of its own, as the drawings' text


@dataclass(frozen=True)
class Piece:
    text: str
    colour: str  # six hex digits, no '#'
    bold: bool = False
    italic: bool = False


Line = list[Piece]


@lru_cache(maxsize=32)
def _lexer(language: str) -> Lexer:
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    lexer: Lexer
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False, ensurenl=False)
    return lexer


def coloured_lines(code: Code) -> list[Line]:
    """The code's lines, each a list of pieces (a plain `Code` gives one piece a line)."""
    if not code.language:
        return [[Piece(line, INK)] if line else [] for line in code.lines()]
    from pygments.styles import get_style_by_name

    style = get_style_by_name(STYLE)
    lines: list[Line] = [[]]
    for token, value in _lexer(code.language).get_tokens(code.text):
        look = style.style_for_token(token)
        for index, part in enumerate(value.split("\n")):
            if index:
                lines.append([])
            if part:
                piece = Piece(part, look["color"] or INK, bool(look["bold"]), bool(look["italic"]))
                lines[-1].append(piece)
    wanted = len(code.lines())
    return (lines + [[] for _ in range(wanted)])[:wanted]
