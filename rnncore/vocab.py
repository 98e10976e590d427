"""A vocabulary: the symbols a network reads and writes, and how a person types and sees them."""
from __future__ import annotations

import unicodedata

from rich.cells import cell_len

DOTTED_CIRCLE = "\u25cc"  # what a combining mark is shown on, alone (Unicode's own convention)
GLYPHS = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}
SHOWN_LIMIT = 12  # a vocabulary this small is listed in full when a typed symbol is not in it


class Vocab:
    """Symbols by id. `separator` is how they are written one after another: " " for symbols that read best
    apart (digits, a task's letters; typing may leave the spaces out), "" for the characters of a text.
    `unknown`, if given, is the symbol that stands for every character the vocabulary left out."""

    def __init__(self, symbols, separator: str = " ", unknown: str | None = None):
        self.symbols = list(symbols)
        if len(set(self.symbols)) != len(self.symbols) or len(self.symbols) < 2:
            raise ValueError("a vocabulary needs at least two distinct symbols")
        if separator not in (" ", ""):
            raise ValueError(f"the separator must be ' ' or '', got {separator!r}")
        if unknown is not None and unknown not in self.symbols:
            raise ValueError(f"the unknown symbol {unknown!r} is not in the vocabulary")
        self.separator, self.unknown = separator, unknown
        self.index = {s: i for i, s in enumerate(self.symbols)}

    def __len__(self):
        return len(self.symbols)

    def __eq__(self, other):
        return isinstance(other, Vocab) and (self.symbols, self.separator) == (other.symbols, other.separator)

    def encode(self, symbols) -> list[int]:
        if self.unknown is not None:
            return [self.index.get(s, self.index[self.unknown]) for s in symbols]
        missing = [s for s in symbols if s not in self.index]
        if missing:
            raise ValueError(f"not in the vocabulary: {''.join(dict.fromkeys(missing))!r}{self._listed()}")
        return [self.index[s] for s in symbols]

    def decode(self, ids) -> list[str]:
        return [self.symbols[i] for i in ids]

    def parse(self, text: str) -> list[int]:
        """A prefix as a person types it: symbols apart or together ("1 3 5", "1,3,5", "135") for a spaced
        vocabulary, every character (spaces too) for a text one."""
        if self.separator:
            parts = text.replace(",", " ").split()
            text = parts if any(len(s) > 1 for s in self.symbols) else "".join(parts)
        return self.encode(text)

    def text(self, ids) -> str:
        """The symbols as written: "1 3 5", "hello"."""
        return self.separator.join(self.decode(ids))

    def shown(self, ids) -> str:
        """The symbols as shown on screen, whitespace made visible: "a␣cat↵"."""
        return self.separator.join(glyph(s) for s in self.decode(ids))

    def spec(self) -> dict:
        return {"symbols": self.symbols, "separator": self.separator, "unknown": self.unknown}

    def _listed(self) -> str:
        return f" (the symbols are {' '.join(self.symbols)})" if len(self) <= SHOWN_LIMIT else ""


def glyph(symbol: str) -> str:
    """A symbol as it can be seen on screen: spaces and line breaks get a glyph, control characters their picture,
    a combining mark the dotted circle it sits on, what takes no cell of its own its code."""
    if symbol in GLYPHS:
        return GLYPHS[symbol]
    if len(symbol) != 1:
        return printable(symbol)  # a symbol of several characters: each shown as it would be alone
    if ord(symbol) < 32 or ord(symbol) == 127:
        return chr(0x2400 + min(ord(symbol), 0x21))  # Unicode control pictures: ␌, ␡, ...
    if not symbol.isprintable():
        return repr(symbol)[1:-1]
    if cell_len(symbol) == 0:  # alone, a terminal would put it on the cell before it (a border) or widen it
        return DOTTED_CIRCLE + symbol if unicodedata.category(symbol).startswith("M") else \
            symbol.encode("unicode_escape").decode()  # a skin tone, say, drawn wider than Rich can know
    return symbol


def fit(text: str, width: int, align: str = "<") -> str:
    """`text` in exactly `width` terminal cells as Rich measures them (a wide character takes two): cut at a cell,
    then padded on the side `align` says ("<" left-aligned, ">" right, "^" centred)."""
    while cell_len(text) > width:
        text = text[:-1]
    pad = width - cell_len(text)
    left = {"<": 0, ">": pad, "^": pad // 2}[align]
    return " " * left + text + " " * (pad - left)


def printable(text: str, keep: str = "") -> str:
    """`text` safe to print to a terminal: each character a terminal would act on rather than show (ESC, BEL, a C1
    control, a bidirectional override, a line break unless in `keep`) shown as `glyph` shows it: ␛, ␇, ↵."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else glyph(c) for c in text)
