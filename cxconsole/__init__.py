"""cxconsole: a terminal operator console for CX survey and dialler platforms."""

__version__ = "0.1.0"
