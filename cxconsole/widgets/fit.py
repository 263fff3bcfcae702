"""Which columns of a table fit a width, whole: taken by rank (lower first) while they fit."""

from __future__ import annotations

from collections.abc import Sequence


def take_by_rank(needs: Sequence[tuple[int, int]], width: int) -> list[int]:
    """The indices (in their order) of the columns kept, given each column's (rank, cells).

    A column is never cut: the most important come first, and a wide one that does not fit
    leaves its room to narrower ones after it (a long profile name to the counts). One column
    always stays.
    """
    room = width
    kept: set[int] = set()
    for index in sorted(range(len(needs)), key=lambda i: (needs[i][0], i)):
        cells = needs[index][1]
        if cells <= room or not kept:
            kept.add(index)
            room -= cells
    return sorted(kept)
