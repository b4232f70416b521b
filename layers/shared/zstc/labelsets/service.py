"""What the /label-sets routes do, and the resolution of ``"name"`` / ``"name@N"`` for /classify and jobs.

Versions are immutable, so a resolved version is cached in memory for the function's life; each
resolution still reads the set's head (one small item), so "latest" is current and a deleted set is
a 404 at once. A create whose content equals the latest version's is a retry and answers that version.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from contextlib import closing

from pydantic import ValidationError

from zstc.contract import media_types
from zstc.contract.label_sets import (
    CreateLabelSetRequest,
    LabelSetDeleted,
    LabelSetList,
    LabelSetSummary,
    LabelSetView,
    content_hash,
    label_parameters,
)
from zstc.contract.request import (
    LABEL_SET_NAME,
    LABEL_SET_NAME_RULE,
    ClassifyParameters,
    split_label_set_reference,
)
from zstc.core import limits
from zstc.core.clock import now_iso
from zstc.core.errors import ConflictError, NotFoundError, UnprocessableRequestError
from zstc.core.pagination import decode_token, encode_token, token_error
from zstc.labelsets import layout
from zstc.labelsets.interfaces import (
    InvalidPageKeyError,
    LabelSetHead,
    LabelSetObjects,
    LabelSetStore,
    StoredVersion,
)

CREATE_ATTEMPTS = 5
"""Tries to add a version while other writers move the head; then a 409."""


class LabelSetsService:
    """The label sets API's logic over a head/version store and the data bucket."""

    def __init__(self, store: LabelSetStore, objects: LabelSetObjects) -> None:
        self.store = store
        self.objects = objects
        self._cache: OrderedDict[tuple[str, int], LabelSetView] = OrderedDict()

    # --- the routes -------------------------------------------------------------------------------

    def create(self, request: CreateLabelSetRequest) -> tuple[LabelSetView, bool]:
        """A new version of ``request.name`` and True; or, when the latest version has the same content
        (a retried create), that version and False. 409 when the latest version is not
        ``request.expected_version``, or after :data:`CREATE_ATTEMPTS` lost races."""
        digest = content_hash(request.parameters, request.note)
        body = json.dumps(label_parameters(request.parameters), ensure_ascii=False, separators=(",", ":"))
        for _ in range(CREATE_ATTEMPTS):
            head = self.store.head(request.name)
            live = head is not None and not head.deleted
            if head is not None and live:
                latest = self._version(request.name, head.latest_version)
                if latest.content_hash == digest:
                    return latest, False
            current = head.latest_version if head is not None and live else 0
            if request.expected_version is not None and request.expected_version != current:
                if current:
                    latest_text = str(current)
                elif head is not None:
                    latest_text = (
                        f"none (deleted after version {head.latest_version}: "
                        "expected_version 0 creates the next)"
                    )
                else:
                    latest_text = "none (the name is new)"
                raise ConflictError(
                    f"label set {request.name}'s latest version is {latest_text}, "
                    f"not expected_version {request.expected_version}",
                    [
                        {
                            "loc": ["body", "expected_version"],
                            "msg": "not the latest",
                            "type": "version_conflict",
                        }
                    ],
                )
            version = (head.latest_version if head else 0) + 1
            stored = StoredVersion(
                name=request.name,
                version=version,
                created_at=now_iso(),
                content_hash=digest,
                note=request.note,
                labels=len(request.parameters.candidate_labels),
                body=body,
            )
            if len(body.encode("utf-8")) > limits.LABEL_SET_ITEM_MAX_BYTES:
                key = layout.version_key(request.name, version)
                self.objects.put(key, body.encode("utf-8"), media_types.JSON)
                stored = stored.model_copy(update={"body": None, "body_key": key})
            if self.store.add_version(stored, head):
                return self._cached(self._view(stored, request.parameters)), True
        raise ConflictError(
            f"label set {request.name} changed {CREATE_ATTEMPTS} times while this version was added; retry"
        )

    def get(self, name: str, version: int | None = None) -> LabelSetView:
        """The latest version of ``name``, or ``version``; 404 when the set or version does not exist."""
        return self._resolve(name, version)

    def resolve(self, reference: str) -> LabelSetView:
        """The version ``"name"`` (latest) or ``"name@N"`` names; 422 for a bad reference, 404 when the
        set is unknown or deleted, or has no version N."""
        try:
            name, version = split_label_set_reference(reference)
        except ValueError as error:  # PydanticCustomError is a ValueError
            raise UnprocessableRequestError(
                f"label_set: {error}",
                [{"loc": ["body", "label_set"], "msg": str(error), "type": "label_set_reference"}],
            ) from None
        return self._resolve(name, version)

    def list(self, limit: int, next_token: str | None) -> LabelSetList:
        """Live sets by name, ``limit`` a page; a token this listing did not issue is a 400."""
        try:
            heads, last = self.store.list_heads(limit, decode_token(next_token))
        except InvalidPageKeyError:
            raise token_error() from None
        return LabelSetList(
            label_sets=[
                LabelSetSummary(
                    name=head.name,
                    latest_version=head.latest_version,
                    labels=head.labels,
                    note=head.note,
                    created_at=head.created_at,
                )
                for head in heads
            ],
            next_token=encode_token(last),
        )

    def delete(self, name: str) -> LabelSetDeleted:
        """Delete every version of ``name`` (404 when unknown). Jobs already created keep the parameters
        they copied; a later create of the name starts after the last version number, never reusing one."""
        head = self.store.mark_deleted(name) if LABEL_SET_NAME.fullmatch(name) else None
        if head is None:
            raise NotFoundError(_no_label_set(name))
        self._cache = OrderedDict((key, view) for key, view in self._cache.items() if key[0] != name)
        self.store.delete_versions(name, head.latest_version)
        self.objects.delete_prefix(layout.set_prefix(name))
        return LabelSetDeleted(name=name, deleted_versions=head.latest_version)

    # --- reading ----------------------------------------------------------------------------------

    def _head(self, name: str) -> LabelSetHead:
        head = self.store.head(name) if LABEL_SET_NAME.fullmatch(name) else None
        if head is None or head.deleted:
            raise NotFoundError(_no_label_set(name))
        return head

    def _resolve(self, name: str, version: int | None) -> LabelSetView:
        head = self._head(name)
        wanted = head.latest_version if version is None else version
        if wanted > head.latest_version:
            raise NotFoundError(
                f"label set {name} has no version {wanted}; its latest is {head.latest_version}"
            )
        return self._version(name, wanted)

    def _version(self, name: str, version: int) -> LabelSetView:
        """A version from the cache, else from the store (and the bucket); 404 when it is gone."""
        cached = self._cache.get((name, version))
        if cached is not None:
            self._cache.move_to_end((name, version))
            return cached
        stored = self.store.version(name, version)
        if stored is None:
            raise NotFoundError(f"label set {name} has no version {version}")
        return self._cached(self._view(stored, self._parameters(stored)))

    def _parameters(self, stored: StoredVersion) -> ClassifyParameters:
        if stored.body is not None:
            text = stored.body
        else:
            try:
                with closing(self.objects.open(stored.body_key or "")) as body:
                    text = body.read().decode("utf-8")
            except KeyError:
                raise NotFoundError(f"label set {stored.name} has no version {stored.version}") from None
        try:
            return ClassifyParameters.model_validate_json(text)
        except ValidationError as error:  # written by create(), validated then: a stored fault
            raise RuntimeError(f"label set {stored.name}@{stored.version} is not valid: {error}") from None

    @staticmethod
    def _view(stored: StoredVersion, parameters: ClassifyParameters) -> LabelSetView:
        return LabelSetView(
            name=stored.name,
            version=stored.version,
            label_set=f"{stored.name}@{stored.version}",
            parameters=parameters,
            note=stored.note,
            created_at=stored.created_at,
            content_hash=stored.content_hash,
        )

    def _cached(self, view: LabelSetView) -> LabelSetView:
        self._cache[view.name, view.version] = view
        while len(self._cache) > limits.LABEL_SET_CACHE_VERSIONS:
            self._cache.popitem(last=False)
        return view


def _no_label_set(name: str) -> str:
    """The 404 message for ``name``: the name itself only when it is a valid set name (at most
    :data:`~zstc.core.limits.MAX_LABEL_SET_NAME_CHARS` characters), so a path of any length is not echoed."""
    if LABEL_SET_NAME.fullmatch(name):
        return f"no label set {name}"
    return f"no label set of this name: a name is {LABEL_SET_NAME_RULE}"
