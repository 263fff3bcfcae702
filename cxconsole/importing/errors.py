"""What can stop an import before or while it runs: defined in :mod:`cxconsole.errors`."""

from __future__ import annotations

from cxconsole.errors import (
    AlreadyImported,
    ColumnsNotSent,
    DateOrderNeeded,
    EncodingNeeded,
    ImportProblem,
    InputError,
    MappingError,
    OptionNotApplicable,
    ProfileIncomplete,
    RegionNeeded,
    ResumeError,
)

__all__ = [
    "AlreadyImported",
    "ColumnsNotSent",
    "DateOrderNeeded",
    "EncodingNeeded",
    "ImportProblem",
    "InputError",
    "MappingError",
    "OptionNotApplicable",
    "ProfileIncomplete",
    "RegionNeeded",
    "ResumeError",
]
