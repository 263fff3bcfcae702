"""Colour arithmetic for the faces and their tests: WCAG contrast, and theme variables resolved
to the solid colours they paint."""

from __future__ import annotations

from textual.color import Color
from textual.theme import Theme

#: WCAG 2.1: body text 4.5:1; a focus indicator against what surrounds it 3:1 (2.2, 2.4.13).
TEXT_CONTRAST = 4.5
FOCUS_CONTRAST = 3.0


def luminance(colour: Color) -> float:
    """WCAG relative luminance of a solid colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour.rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two solid colours, 1.0 to 21.0."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def theme_variables(theme: Theme) -> dict[str, str]:
    """The CSS variables a theme gives (Textual's generated ones, then the theme's own)."""
    variables = theme.to_color_system().generate()
    variables.update(theme.variables)
    return variables


def solid(value: str, over: Color, variables: dict[str, str] | None = None) -> Color:
    """A variable's value as the solid colour it paints over ``over``.

    Understands ``#rrggbb``, ``#rrggbbaa`` (blended), ``auto N%`` (Textual's contrasting text
    at N% over the background) and ``$name N%`` (a variable at N%).
    """
    text = value.strip()
    alpha = 1.0
    if text.endswith("%") and " " in text:
        text, percent = text.rsplit(" ", 1)
        alpha = float(percent.rstrip("%")) / 100
    if text == "auto":
        return over + over.get_contrast_text(alpha)
    if text.startswith("$"):
        if variables is None:
            raise ValueError(f"{value!r} needs the theme's variables")
        base = solid(variables[text[1:]], over, variables)
        return over.blend(base, alpha)
    colour = Color.parse(text)
    return over + colour.multiply_alpha(alpha)


def rich_colour(variables: dict[str, str], name: str, over: str = "surface") -> str:
    """A theme variable as a solid ``#rrggbb`` a Rich style can take (``auto 60%`` cannot),
    as painted over the variable ``over``."""
    base = Color.parse(variables.get("background", "#000000"))
    ground = solid(variables.get(over, variables.get("background", "#000000")), base, variables)
    try:
        return solid(variables[name], ground, variables).hex
    except (KeyError, ValueError):
        return ""
