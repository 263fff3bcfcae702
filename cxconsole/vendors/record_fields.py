"""The fields of a vendor's record that a file's columns can be mapped onto.

A vendor's request model is the one description of its record: each mappable field is declared
there once, its import metadata in a :class:`Target` beside its type
(``email: Annotated[str | None, Target("E-mail", "email", synonyms=("mail",))] = None``).
:func:`fields_of` reads the model into :class:`TargetField` entries: the name is the key sent
(the field's alias where it has one), required is the model's own, an int's limits come from
its ``ge``/``le`` and a text's longest value from its ``max_length``. Fields the vendor lists
at run time (Expoints' data columns, a Webex datastore's columns) are made by the same
:meth:`Target.field`.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, replace
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

FieldKind = Literal["text", "email", "phone", "date", "datetime", "int", "bool"]


@dataclass(frozen=True, slots=True)
class TargetField:
    """A field of the vendor's record that a file column can be mapped onto."""

    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = False
    synonyms: tuple[str, ...] = ()
    group: str = ""  # "product" for QuestionPro product fields; "data" for Expoints columns
    ref: Any = None  # vendor-specific handle (an Expoints CustomerDataColumnId)
    #: A requirement shared with other fields: one value of the group must be there (its
    #: label, e.g. "an e-mail or a mobile"). Checked on the mapping and on every row.
    one_of: str = ""
    format: str = ""  # how the vendor wants this date written, where not its usual way
    limits: tuple[int, int] | None = None  # an int's lowest and highest allowed value
    max_length: int | None = None  # the longest text the vendor's column takes


@dataclass(frozen=True, slots=True)
class Target:
    """What an import needs to know of one field of a request model, beside its type.

    ``kind`` may be left out for an int or a bool field (read from the type) and for text.
    """

    label: str
    kind: FieldKind | None = None
    synonyms: tuple[str, ...] = ()
    one_of: str = ""
    format: str = ""

    def field(
        self,
        name: str,
        *,
        group: str = "",
        required: bool = False,
        ref: Any = None,
        limits: tuple[int, int] | None = None,
        max_length: int | None = None,
    ) -> TargetField:
        """This target as the field ``name`` of an import."""
        return TargetField(
            name,
            self.label,
            self.kind or "text",
            required=required,
            synonyms=self.synonyms,
            group=group,
            ref=ref,
            one_of=self.one_of,
            format=self.format,
            limits=limits,
            max_length=max_length,
        )


def fields_of(model: type[BaseModel], group: str = "") -> list[TargetField]:
    """The fields of ``model`` that carry a :class:`Target`, in their declared order."""
    found = []
    for name, info in model.model_fields.items():
        target = next((m for m in info.metadata if isinstance(m, Target)), None)
        if target is None:
            continue
        if target.kind is None:
            target = replace(target, kind=_kind_of(info.annotation))
        longest = next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None)
        found.append(
            target.field(
                info.alias or name,
                group=group,
                required=info.is_required(),
                limits=_limits(name, info),
                max_length=longest,
            )
        )
    return found


def _kind_of(annotation: Any) -> FieldKind:
    """int or bool fields (optional or not) are of that kind; anything else is text."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    if annotation is bool:
        return "bool"
    return "int" if annotation is int else "text"


def _limits(name: str, info: FieldInfo) -> tuple[int, int] | None:
    """An int's limits, from its ``ge`` and ``le`` (the import checks both or neither)."""
    low = next((m.ge for m in info.metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in info.metadata if isinstance(m, Le)), None)
    if low is None and high is None:
        return None
    if not (isinstance(low, int) and isinstance(high, int)):
        raise TypeError(f"{name}: an import's limits need both ge and le")
    return low, high
