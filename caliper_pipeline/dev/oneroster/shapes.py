"""The OneRoster 1.2 gradebook shapes the dev server accepts, and its error body."""

# ruff: noqa: N815 - the models mirror the wire format's camelCase field names.
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ScoreStatus = Literal["exempt", "fully graded", "not submitted", "partially graded", "submitted"]


class Ref(BaseModel):
    """A GUIDRef: `{sourcedId}`, optionally with `href` and `type`."""

    model_config = ConfigDict(extra="allow")
    sourcedId: str = Field(min_length=1)


class _Base(BaseModel):
    # Unknown fields are kept: vendors extend these objects (Timeback does).
    model_config = ConfigDict(extra="allow")
    sourcedId: str | None = Field(default=None, min_length=1)
    status: Literal["active", "tobedeleted"] = "active"
    dateLastModified: str | None = None
    metadata: dict[str, Any] | None = None


class AssessmentLineItem(_Base):
    title: str = Field(min_length=1)
    description: str | None = None
    # `class`, `parentAssessmentLineItem` etc. are Python keywords or long: via aliases.
    class_: Ref | None = Field(default=None, alias="class")
    parentAssessmentLineItem: Ref | None = None
    scoreScale: Ref | None = None
    course: Ref | None = None
    component: Ref | None = None
    componentResource: Ref | None = None
    resultValueMin: float | None = None
    resultValueMax: float | None = None


class AssessmentResult(_Base):
    assessmentLineItem: Ref
    student: Ref
    score: float | None = None
    textScore: str | None = None
    scoreStatus: ScoreStatus
    scoreDate: str
    scoreScale: Ref | None = None
    scorePercentile: float | None = None
    comment: str | None = None
    inProgress: str | None = None
    incomplete: str | None = None
    late: str | None = None
    missing: str | None = None

    @field_validator("scoreDate")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return value


# Collection in the URL -> (wrapper key of one object, model).
COLLECTIONS: dict[str, tuple[str, type[_Base]]] = {
    "assessmentLineItems": ("assessmentLineItem", AssessmentLineItem),
    "assessmentResults": ("assessmentResult", AssessmentResult),
}


def error_body(description: str, code_minor: str, *fields: tuple[str, str]) -> dict[str, Any]:
    """OneRoster's imsx_StatusInfo: codeMajor/severity/description plus codeMinor fields."""
    minor = [
        {"imsx_codeMinorFieldName": name, "imsx_codeMinorFieldValue": value}
        for name, value in fields
    ]
    if not minor:
        minor = [
            {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": code_minor}
        ]
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {"imsx_codeMinorField": minor},
    }


def validation_fields(wrapper: str, exc: ValidationError) -> list[tuple[str, str]]:
    """One codeMinor field per problem: the JSON path and `invaliddata: <message>`."""
    found = []
    for error in exc.errors():
        path = "$." + ".".join([wrapper, *(str(part) for part in error["loc"])])
        found.append((path, f"invaliddata: {error['msg']}"))
    return found
