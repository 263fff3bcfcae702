"""Choosing the file to import: a path box that completes like a shell, and a directory tree.

Completion reads the directory in a thread (a slow NFS mount must not stall a key); tab
accepts the suggestion when there is one, else moves on like any tab. The tree lists folders
and the files an import can read, nothing else.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.widgets import DirectoryTree, Input

#: What the readers open (cxconsole.importing.readers._EXTENSIONS), kept here so the tree does
#: not import the core before the first frame.
IMPORTABLE = frozenset(
    {".csv", ".tsv", ".tab", ".txt", ".json", ".jsonl", ".ndjson", ".xlsx", ".xlsm"}
)


def _complete(value: str) -> str | None:
    """The first entry of the typed path's folder that extends it (folders end with /)."""
    if not value:
        return None
    expanded = os.path.expanduser(value)
    folder, _, stem = expanded.rpartition(os.sep)
    base = folder or ("/" if expanded.startswith(os.sep) else ".")
    try:
        names = sorted(os.listdir(base or os.sep))
    except OSError:
        return None
    hidden = stem.startswith(".")
    for name in names:
        if not name.startswith(stem) or name == stem or (name.startswith(".") and not hidden):
            continue
        full = os.path.join(base, name)
        suffix = os.sep if os.path.isdir(full) else ""
        if not suffix and Path(name).suffix.lower() not in IMPORTABLE:
            continue
        # Keep what the user typed (a ~, a relative path): only the rest is suggested.
        return value + name[len(stem) :] + suffix
    return None


class PathSuggester(Suggester):
    """Suggests the rest of a file or folder name, read from disk each time (no cache)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(_complete, value)


class PathInput(Input):
    """A path with completion: right arrow or tab takes the suggestion."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete path", id="path_input.complete", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(suggester=PathSuggester(), **kwargs)

    def action_complete(self) -> None:
        if self._suggestion and self.cursor_at_end and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


class ImportFileTree(DirectoryTree):
    """Folders, and the files an import can read."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        shown = []
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                if path.is_dir() or path.suffix.lower() in IMPORTABLE:
                    shown.append(path)
            except OSError:
                continue
        return shown
