"""The label sets API's public types: ``POST /label-sets``' body, a version as the API shows it, a page.

A label set is a name with immutable numbered versions (1, 2, ...); each version holds the label
parameters of :class:`zstc.contract.request.ClassifyParameters` (:data:`LABEL_SET_FIELDS`), validated
by that model, and a note. ``/classify`` and ``POST /jobs`` name one as ``"name"`` or ``"name@N"``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic_core import PydanticCustomError

from zstc.contract.request import (
    LABEL_SET_FIELDS,
    LABEL_SET_NAME,
    LABEL_SET_NAME_RULE,
    PER_REQUEST_OPTIONS,
    ClassifyParameters,
)
from zstc.contract.text import check_text_content
from zstc.core import limits


def _check_name(name: str) -> str:
    if not LABEL_SET_NAME.fullmatch(name):
        raise PydanticCustomError("label_set_name", "name must be {rule}", {"rule": LABEL_SET_NAME_RULE})
    return name


def label_parameters(parameters: ClassifyParameters) -> dict[str, Any]:
    """The label set fields of ``parameters`` as JSON values (unset ones left out): what a version stores."""
    return parameters.model_dump(mode="json", include=set(LABEL_SET_FIELDS), exclude_none=True)


def content_hash(parameters: ClassifyParameters, note: str | None) -> str:
    """SHA-256 (hex) of a version's content: a create with the same content as the latest version is
    a retry, and answers that version instead of adding one."""
    canonical = json.dumps(
        {"parameters": label_parameters(parameters), "note": note}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CreateLabelSetRequest(BaseModel):
    """POST /label-sets: a new version of the set ``name`` (version 1 when the name is new)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(
        description="The set's name: letters, digits, '.', '_' and '-'.",
        max_length=limits.MAX_LABEL_SET_NAME_CHARS,
        examples=["intents"],
    )
    parameters: ClassifyParameters = Field(
        description=(
            "The label parameters of POST /classify, checked by the same rules: candidate_labels, "
            "label_descriptions, hypothesis_template, multi_label, threshold (and the other label fields). "
            f"{', '.join(PER_REQUEST_OPTIONS)} are chosen per request, not stored."
        )
    )
    note: str | None = Field(
        default=None,
        max_length=limits.MAX_LABEL_SET_NOTE_CHARS,
        description="Free text kept with the version: what changed, why.",
    )
    expected_version: int | None = Field(
        default=None,
        ge=0,
        le=limits.MAX_LABEL_SET_VERSION,
        description=(
            "Create only if the set's latest version is this one (0: the name is new or deleted); else 409. "
            "For read-modify-write: read version N, change it, create with expected_version N."
        ),
    )

    _name = field_validator("name")(_check_name)

    @field_validator("note")
    @classmethod
    def _check_note(cls, note: str | None) -> str | None:
        if note is not None:
            check_text_content(note, "note")
        return note

    @model_validator(mode="after")
    def _no_request_options(self) -> CreateLabelSetRequest:
        chosen = [name for name in PER_REQUEST_OPTIONS if name in self.parameters.model_fields_set]
        if chosen:
            raise PydanticCustomError(
                "label_set_request_option",
                "parameters.{option} is chosen per request (beside label_set), not stored in a label set",
                {"option": chosen[0]},
            )
        return self


class LabelSetView(BaseModel):
    """One version of a label set as the API shows it."""

    name: str
    version: int = Field(description="1, 2, ...: a version never changes once created.")
    label_set: str = Field(description='The exact reference of this version, "name@version".')
    parameters: ClassifyParameters = Field(description="The label parameters this version holds.")
    note: str | None = None
    created_at: str
    content_hash: str = Field(description="SHA-256 of the parameters and note.")

    @field_serializer("parameters")
    def _stored_fields(self, parameters: ClassifyParameters) -> dict[str, Any]:
        return label_parameters(parameters)


class LabelSetSummary(BaseModel):
    """A label set in the listing: its name and latest version."""

    name: str
    latest_version: int
    labels: int = Field(description="Candidate labels in the latest version.")
    note: str | None = Field(default=None, description="The latest version's note.")
    created_at: str = Field(description="When the latest version was created.")


class LabelSetList(BaseModel):
    """A page of label sets, by name."""

    label_sets: list[LabelSetSummary]
    next_token: str | None = None


class LabelSetDeleted(BaseModel):
    """DELETE /label-sets/{name}: the set is gone for new requests; jobs created with it keep their copy."""

    name: str
    deleted_versions: int = Field(description="How many versions the set had.")
