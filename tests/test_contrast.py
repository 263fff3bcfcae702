"""Every text pair the app draws, in every shipped theme, at 4.5:1 or better (WCAG 2.1 AA),
computed from the theme files; focus indicators and chart marks at 3:1 against their ground."""

from __future__ import annotations

import pytest
from textual.color import Color

from cxconsole.colours import FOCUS_CONTRAST, TEXT_CONTRAST, contrast, solid, theme_variables
from cxconsole.themes import load_themes, shipped_themes_dir

THEMES = {theme.name: theme for theme in load_themes(shipped_themes_dir()).themes}

#: (what, text colour, the ground it is drawn on): grounds are solid first, then layered.
TEXT_PAIRS: list[tuple[str, str, str]] = [
    ("body text", "foreground", "background"),
    ("text on a pane", "foreground", "surface"),
    ("table headers, pager line", "foreground", "panel"),
    ("muted text", "text-muted", "background"),
    ("muted text on a pane, placeholders", "text-muted", "surface"),
    ("pager line: muted parts", "text-muted", "panel"),
    ("section titles", "primary", "background"),
    ("footer keys", "footer-key-foreground", "footer-background"),
    ("footer descriptions", "footer-description-foreground", "footer-background"),
    ("row cursor text", "block-cursor-foreground", "block-cursor-background"),
    ("unfocused row cursor", "block-cursor-blurred-foreground", "block-cursor-blurred-background"),
    ("pager errors", "text-error", "panel"),
]
#: Status colours (batch table ok/failed, ticket urgency) on every row they can sit on.
STATUS = ("text-success", "text-error", "text-warning", "text-accent")
ROWS = ("background", "surface", "block-cursor-background", "block-cursor-blurred-background")
#: Marks that are not text: the focus bar beside a field, Home's bars and outcome bars.
MARK_PAIRS: list[tuple[str, str, str]] = [
    ("focus bar of a field", "accent", "surface"),
    ("focus bar of a field", "accent", "background"),
    *((f"{c} bar", c, "background") for c in ("error", "warning", "accent", "success")),
    *((f"{c} outcome bar", c, "surface") for c in ("error", "success")),
]


def ground(variables: dict[str, str], name: str) -> Color:
    """A ground colour as painted: translucent ones over the surface (where rows sit)."""
    base = Color.parse(variables["background"])
    surface = solid(variables["surface"], base, variables)
    return solid(variables[name], surface if name.startswith("block-cursor") else base, variables)


def ratio(variables: dict[str, str], fg: str, bg: str) -> float:
    under = ground(variables, bg)
    return contrast(solid(variables[fg], under, variables), under)


def test_every_shipped_theme_is_checked():
    assert {"cxconsole-dark", "cxconsole-light", "cxconsole-256"} <= set(THEMES)


@pytest.mark.parametrize("name", sorted(THEMES))
def test_text_pairs_reach_4_5_to_1(name: str):
    variables = theme_variables(THEMES[name])
    pairs = [*TEXT_PAIRS, *((f"{s} on {r}", s, r) for s in STATUS for r in ROWS)]
    low = {
        f"{what} ({fg} on {bg})": round(r, 2)
        for what, fg, bg in pairs
        if (r := ratio(variables, fg, bg)) < TEXT_CONTRAST
    }
    assert not low, f"{name}: below {TEXT_CONTRAST}:1: {low}"


@pytest.mark.parametrize("name", sorted(THEMES))
def test_focus_and_chart_marks_reach_3_to_1(name: str):
    variables = theme_variables(THEMES[name])
    low = {
        f"{what} ({fg} on {bg})": round(r, 2)
        for what, fg, bg in MARK_PAIRS
        if (r := ratio(variables, fg, bg)) < FOCUS_CONTRAST
    }
    assert not low, f"{name}: below {FOCUS_CONTRAST}:1: {low}"


@pytest.mark.parametrize("name", sorted(THEMES))
def test_the_focused_row_stands_apart_from_the_unfocused_one(name: str):
    variables = theme_variables(THEMES[name])
    focused = ground(variables, "block-cursor-background")
    blurred = ground(variables, "block-cursor-blurred-background")
    surface = ground(variables, "surface")
    assert contrast(focused, surface) >= 1.4  # the cursor row is seen among the rows
    assert contrast(focused, blurred) >= 1.2  # and focus moving away from a table shows


def test_the_contrast_formula_matches_wcag():
    assert round(contrast(Color.parse("#000000"), Color.parse("#FFFFFF")), 1) == 21.0
    assert round(contrast(Color.parse("#767676"), Color.parse("#FFFFFF")), 2) == 4.54
