"""The JSON error answers of the gateway's API, and how validation errors are reported.

Every error body has a `detail`. A 422 lists every bad field by its `loc` (where it
is: `["body", "signers", 0, "nik"]`), a `type` naming the broken rule (`nik_format`)
and a message naming the rule, never the value: the value may be a NIK. Pydantic's
`input`, `ctx` and `url` are dropped for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str = Field(examples=["a valid bearer token is required"])


class FieldProblem(BaseModel):
    """One invalid field."""

    loc: list[str | int] = Field(examples=[["body", "signers", 0, "nik"]])
    """Where the field is: `body`, `path` or `query`, then the field's path."""
    type: str = Field(examples=["nik_format"])
    """The rule it breaks."""
    msg: str = Field(examples=["NIK must be exactly 16 digits"])
    """The rule in words (never the value)."""


class ValidationProblem(BaseModel):
    """The request is malformed or invalid: every bad field is listed."""

    detail: list[FieldProblem]


class ConflictProblem(BaseModel):
    """The document already has a lifecycle, started from a different event."""

    detail: str
    workflow_id: str
    conflicting_fields: list[str] = Field(examples=[["signers", "document"]])
    """The top-level event fields whose values differ from the first event's."""


def field_problems(errors: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """Pydantic/FastAPI errors as `FieldProblem`s: location, rule and message only.

    A tuple whose items failed is also "too short after validation": that follow-on
    error says nothing the item errors do not, so it is dropped when they are present.
    """
    problems = [
        FieldProblem(
            loc=[part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            type=str(error.get("type", "invalid")),
            msg=str(error.get("msg", "invalid value")),
        )
        for error in errors
    ]
    return [p for p in problems if not _consequence(p, problems)] or problems


def _consequence(problem: FieldProblem, problems: Sequence[FieldProblem]) -> bool:
    if problem.type != "too_short" or "after validation" not in problem.msg:
        return False
    depth = len(problem.loc)
    return any(len(p.loc) > depth and p.loc[:depth] == problem.loc for p in problems)
