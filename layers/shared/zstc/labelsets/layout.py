"""Where label sets live: DynamoDB keys and the data bucket's prefix (the one place they are defined)."""

from __future__ import annotations

LABEL_SETS_PREFIX = "label-sets/"
"""Versions too large for one item, in the data bucket (template.yaml's ``Prefixes.LabelSets``)."""

HEAD_SK = "HEAD"
"""The sort key of a set's head item: its latest version, or that it was deleted."""

VERSION_SK_PREFIX = "V#"

LISTED = "SET"
"""The ``listed`` attribute of a live set's head item (deleted ones have none): the by-name index is
sparse, so a listing reads live sets only."""

NAME_INDEX = "by-name"
"""GSI: partition ``listed``, sort ``name`` (list live sets by name)."""

NAME_PAGE_KEY_NAMES = frozenset({"pk", "sk", "listed", "name"})
"""The attributes of a LastEvaluatedKey when querying the by-name index."""


def set_pk(name: str) -> str:
    """Partition key of a set's head and its versions."""
    return f"SET#{name}"


def version_sk(version: int) -> str:
    """Sort key of a version: zero-padded, so a Query returns versions in order."""
    return f"{VERSION_SK_PREFIX}{version:010d}"


def set_prefix(name: str) -> str:
    """The folder of a set's large versions."""
    return f"{LABEL_SETS_PREFIX}{name}/"


def version_key(name: str, version: int) -> str:
    """Where a version too large for its item is stored."""
    return f"{set_prefix(name)}v{version:010d}.json"
