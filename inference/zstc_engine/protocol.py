"""The endpoint's wire contract: parse zero-shot requests and format answers (stdlib only).

One request is ``{"inputs": str | [str], "parameters": {"candidate_labels": [str] | "a, b",
"multi_label": bool, "hypothesis_template": str}}`` plus an optional ``"id"`` (JSON Lines). The
answer for one text is ``{"sequence", "labels", "scores"}`` with labels sorted by score; a list
input is answered with a list. The API validates requests with its pydantic schema before they get
here; this parser is the container's own guard, so it checks structure, not the API's limits.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_HYPOTHESIS_TEMPLATE = "This example is {}."
JSON = "application/json"
JSON_LINES = "application/jsonlines"
JSON_LINES_ALIASES = frozenset(
    {JSON_LINES, "application/jsonl", "application/x-jsonlines", "application/json-lines"}
)
_REQUEST_KEYS = frozenset({"inputs", "parameters", "id"})
_PARAMETER_KEYS = frozenset({"candidate_labels", "multi_label", "hypothesis_template"})


class RequestError(ValueError):
    """A request the engine cannot run; the message says what and where."""


@dataclass(frozen=True)
class ClassificationTask:
    """One request, normalised: the texts, the labels and how to score them."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE
    multi_label: bool = False
    is_batch: bool = False
    record_id: Any = None

    def hypotheses(self) -> list[str]:
        """The hypothesis sentence for each label, in label order."""
        return [self.hypothesis_template.format(label) for label in self.labels]


@dataclass(frozen=True)
class ClassificationResult:
    """Scores for one text, labels sorted by score (highest first)."""

    sequence: str
    labels: tuple[str, ...]
    scores: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the zero-shot contract."""
        return {"sequence": self.sequence, "labels": list(self.labels), "scores": list(self.scores)}


def sorted_result(sequence: str, labels: tuple[str, ...], scores: list[float]) -> ClassificationResult:
    """Order labels by descending score; ties keep the labels' request order."""
    order = sorted(range(len(labels)), key=lambda index: -scores[index])
    return ClassificationResult(
        sequence, tuple(labels[i] for i in order), tuple(float(scores[i]) for i in order)
    )


def parse_request(obj: Any, where: str = "request") -> ClassificationTask:
    """Validate one decoded JSON request; ``where`` prefixes error messages (e.g. ``line 7``)."""
    if not isinstance(obj, dict):
        raise RequestError(f"{where}: must be a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - _REQUEST_KEYS)
    if unknown:
        raise RequestError(f"{where}: unknown field(s) {', '.join(unknown)}")
    inputs = obj.get("inputs")
    texts = [inputs] if isinstance(inputs, str) else inputs
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
        raise RequestError(
            f"{where}: inputs must be a non-empty string or a non-empty list of non-empty strings"
        )
    parameters = obj.get("parameters")
    if not isinstance(parameters, dict):
        raise RequestError(f"{where}: parameters must be an object with candidate_labels")
    unknown = sorted(set(parameters) - _PARAMETER_KEYS)
    if unknown:
        raise RequestError(f"{where}: unknown parameter(s) {', '.join(unknown)}")
    return ClassificationTask(
        texts=tuple(texts),
        labels=_labels(parameters.get("candidate_labels"), where),
        hypothesis_template=_template(
            parameters.get("hypothesis_template", DEFAULT_HYPOTHESIS_TEMPLATE), where
        ),
        multi_label=_flag(parameters.get("multi_label", False), where),
        is_batch=isinstance(inputs, list),
        record_id=obj.get("id"),
    )


def _labels(value: Any, where: str) -> tuple[str, ...]:
    labels = [part.strip() for part in value.split(",")] if isinstance(value, str) else value
    if not isinstance(labels, list) or not labels:
        raise RequestError(
            f"{where}: parameters.candidate_labels must be a non-empty list or comma-separated string"
        )
    for index, label in enumerate(labels):
        if not isinstance(label, str) or not label.strip():
            raise RequestError(f"{where}: parameters.candidate_labels[{index}] must be a non-empty string")
    if len(set(labels)) != len(labels):
        raise RequestError(f"{where}: parameters.candidate_labels has duplicate labels")
    return tuple(labels)


def _template(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RequestError(f"{where}: parameters.hypothesis_template must be a string")
    try:
        fields = [
            (name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value) if name is not None
        ]
    except ValueError:
        fields = []
    if fields != [("", "", None)]:
        raise RequestError(
            f"{where}: parameters.hypothesis_template must contain exactly one {{}} placeholder"
        )
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RequestError(f"{where}: parameters.multi_label must be true or false")
    return value


def media_type(header: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type / Accept header (JSON when absent)."""
    if not header or header.strip() in {"", "*/*"}:
        return JSON
    return header.split(";")[0].split(",")[0].strip().lower()


def decode(body: bytes | str, content_type: str | None) -> tuple[list[ClassificationTask], bool]:
    """Parse a request body: ``(tasks, is_json_lines)``. JSON Lines errors name the line number."""
    kind = media_type(content_type)
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as error:
        raise RequestError(f"request body is not UTF-8: {error.reason} at byte {error.start}") from None
    if kind == JSON:
        return [parse_request(_loads(text, "request body"))], False
    if kind in JSON_LINES_ALIASES:
        tasks = []
        # Only "\n" ends a record (a "\r" before it is JSON whitespace): str.splitlines would also
        # split on U+2028, U+2029 and U+0085, which JSON admits raw inside strings.
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                where = f"line {number}"
                tasks.append(parse_request(_loads(line, where), where))
        if not tasks:
            raise RequestError("request body has no JSON Lines records")
        return tasks, True
    raise RequestError(f"unsupported content type {kind}; use {JSON} or {JSON_LINES}")


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestError(f"{where}: invalid JSON: {error.msg} at column {error.colno}") from None
    except RecursionError:
        raise RequestError(f"{where}: invalid JSON: nested too deeply") from None


def check_accept(accept: str | None) -> str:
    """The answer's media type for an Accept header; raises ``RequestError`` for one we cannot produce."""
    kind = media_type(accept)
    if kind not in {JSON} | JSON_LINES_ALIASES:
        raise RequestError(f"unsupported accept type {kind}; use {JSON} or {JSON_LINES}")
    return kind


@dataclass(frozen=True)
class RecordFailure:
    """A JSON Lines record the engine could not score; it is answered with an error object.

    Its answer line is ``{"id": <record id>, "error": {"code": "record_failed", "message": reason}}``
    so that one bad record does not fail the other records of the request (or the transform job).
    """

    reason: str

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of a record's error answer."""
        return {"error": {"code": RECORD_FAILED, "message": self.reason}}


RECORD_FAILED = "record_failed"
MAX_FAILURE_REASON_CHARS = 300
"""A record failure's reason is capped to this many characters."""


def _answer(task: ClassificationTask, task_results: list[ClassificationResult] | RecordFailure) -> Any:
    if isinstance(task_results, RecordFailure):
        return task_results.to_json()
    return [r.to_json() for r in task_results] if task.is_batch else task_results[0].to_json()


def encode(
    tasks: list[ClassificationTask],
    results: Sequence[list[ClassificationResult] | RecordFailure],
    json_lines: bool,
    accept: str | None,
) -> tuple[bytes, str]:
    """Serialise answers in request order: one JSON document, or one JSON line per record (with its id)."""
    kind = check_accept(accept)
    documents = []
    for task, task_results in zip(tasks, results, strict=True):
        answer = _answer(task, task_results)
        if json_lines and task.record_id is not None:
            answer = (
                {"id": task.record_id, **answer}
                if isinstance(answer, dict)
                else {"id": task.record_id, "results": answer}
            )
        documents.append(answer)
    if not json_lines and isinstance(results[0], RecordFailure):
        raise RuntimeError(results[0].reason)  # only JSON Lines answers carry per-record errors
    if kind in JSON_LINES_ALIASES or json_lines:
        lines = "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in documents)
        return lines.encode("utf-8"), JSON_LINES
    return json.dumps(documents[0], ensure_ascii=False).encode("utf-8"), JSON
