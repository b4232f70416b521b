"""The endpoint's wire contract: parse zero-shot requests and format answers (stdlib only).

One request is ``{"inputs": str | [str], "parameters": {"candidate_labels": [str] | "a, b",
"multi_label": bool, "hypothesis_template": str | [str], "label_descriptions": {label: str},
"label_examples": {label: [str]}, "threshold": float, "return_evidence": bool, "shortlist": int |
false, "top_k": int}}`` plus an optional ``"id"`` (JSON Lines); every parameter but
``candidate_labels`` is optional. The answer for one text is ``{"sequence", "labels", "scores"}``
with labels sorted by score, plus ``predicted_labels`` when a threshold is given, ``windows`` /
``evidence`` when evidence is asked for and ``shortlist`` (the labels the model scored) when a
shortlist left labels unscored; a list input is answered with a list. The
API validates requests with its pydantic schema before they get here; this parser is the
container's own guard, so it checks structure, not the API's limits.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

DEFAULT_HYPOTHESIS_TEMPLATE = "This example is {}."
JSON = "application/json"
JSON_LINES = "application/jsonlines"
JSON_LINES_ALIASES = frozenset(
    {JSON_LINES, "application/jsonl", "application/x-jsonlines", "application/json-lines"}
)
_REQUEST_KEYS = frozenset({"inputs", "parameters", "id"})
_PARAMETER_KEYS = frozenset(
    {
        "candidate_labels",
        "multi_label",
        "hypothesis_template",
        "label_descriptions",
        "label_examples",
        "threshold",
        "return_evidence",
        "shortlist",
        "top_k",
    }
)


class RequestError(ValueError):
    """A request the engine cannot run; the message says what and where."""


@dataclass(frozen=True)
class ClassificationTask:
    """One request, normalised: the texts, the labels and how to score them.

    ``hypothesis_templates`` empty means the scoring method's default; ``label_descriptions`` is
    empty or holds, per label, the phrase its hypotheses are built from (None: the label itself).
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    hypothesis_templates: tuple[str, ...] = ()
    multi_label: bool = False
    is_batch: bool = False
    record_id: Any = None
    label_descriptions: tuple[str | None, ...] = ()
    label_examples: tuple[tuple[str, ...], ...] = ()
    """Empty, or per label (in the order of ``labels``) its example texts (an empty tuple: none)."""
    threshold: float | None = None
    return_evidence: bool = False
    shortlist: int | Literal[False] | None = None
    """How many labels the model scores after a first-stage ranking: ``k``; ``False``, every label;
    ``None``, the method's default (:meth:`shortlist_size`)."""
    top_k: int | None = None
    """List only the ``top_k`` best labels in the answer (None: all)."""

    def shortlist_size(self, default_k: int | None, above: int) -> int | None:
        """The number of labels to score after ranking, or None when every label is scored.

        ``default_k`` applies when the request says nothing and there are more than ``above`` labels;
        a shortlist at least as long as the labels is no shortlist (plain scoring, pipeline parity).
        """
        if self.shortlist is False:
            return None
        k = self.shortlist
        if k is None:
            k = default_k if len(self.labels) > above else None
        return k if k is not None and k < len(self.labels) else None

    def templates(self, default: tuple[str, ...]) -> tuple[str, ...]:
        """The templates to use: the request's, else ``default`` (the method's)."""
        return self.hypothesis_templates or default

    def phrases(self) -> tuple[str, ...]:
        """What each label's hypotheses say: its description when it has one, else the label."""
        if not self.label_descriptions:
            return self.labels
        return tuple(d or label for label, d in zip(self.labels, self.label_descriptions, strict=True))

    @property
    def scored_alone(self) -> bool:
        """True when each label is scored on its own (multi-label, or a lone label, as transformers does)."""
        return self.multi_label or len(self.labels) == 1


@dataclass(frozen=True)
class Evidence:
    """Where a label's score comes from: the character span ``[start, end)`` of the best window."""

    label: str
    start: int
    end: int
    score: float
    """The label's score on that window alone."""

    def to_json(self) -> dict[str, Any]:
        """``{"label", "start", "end", "score"}``."""
        return {"label": self.label, "start": self.start, "end": self.end, "score": self.score}


@dataclass(frozen=True)
class ClassificationResult:
    """Scores for one text, labels sorted by score (highest first), and the optional extras."""

    sequence: str
    labels: tuple[str, ...]
    scores: tuple[float, ...]
    predicted_labels: tuple[str, ...] | None = None
    """With a threshold: the labels at or above it (single-label: the top one, or none)."""
    evidence: tuple[Evidence, ...] | None = None
    """When asked for: one per label, in the order of ``labels``."""
    windows: int = 1
    """How many token windows the text took."""
    shortlist: tuple[str, ...] | None = None
    """With a shortlist: the labels the model scored, best first (the others score 0)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the zero-shot contract; extras only when asked for."""
        answer: dict[str, Any] = {
            "sequence": self.sequence,
            "labels": list(self.labels),
            "scores": list(self.scores),
        }
        if self.predicted_labels is not None:
            answer["predicted_labels"] = list(self.predicted_labels)
        if self.evidence is not None:
            answer["windows"] = self.windows
        if self.evidence is not None:
            answer["evidence"] = [item.to_json() for item in self.evidence]
        if self.shortlist is not None:
            answer["shortlist"] = list(self.shortlist)
        return answer


def predicted_labels(
    labels: tuple[str, ...], scores: tuple[float, ...], threshold: float, *, multi_label: bool
) -> tuple[str, ...]:
    """The threshold rule (labels sorted by score): multi-label, every label scoring at least
    ``threshold``; single-label, the top label if it reaches it, else none (abstain)."""
    if multi_label:
        return tuple(label for label, score in zip(labels, scores, strict=True) if score >= threshold)
    return labels[:1] if scores and scores[0] >= threshold else ()


def sorted_result(
    sequence: str,
    labels: tuple[str, ...],
    scores: list[float],
    *,
    task: ClassificationTask | None = None,
    evidence: list[Evidence] | None = None,
    windows: int = 1,
    unscored: tuple[str, ...] = (),
) -> ClassificationResult:
    """Order labels by descending score (ties keep the request order) and add what ``task`` asks for.

    ``unscored`` are labels a shortlist left out: they follow the scored ones with score 0, in the
    order given (the first stage's ranking), and the result names the scored ones (``shortlist``).
    ``evidence`` covers the scored labels. ``task.top_k`` caps the labels listed; the threshold rule
    is applied to every label first.
    """
    order = sorted(range(len(labels)), key=lambda index: -scores[index])
    ordered_labels = tuple(labels[i] for i in order) + unscored
    ordered_scores = tuple(float(scores[i]) for i in order) + (0.0,) * len(unscored)
    ordered_evidence = tuple(evidence[i] for i in order) if evidence is not None else None
    predicted = None
    if task is not None and task.threshold is not None:
        predicted = predicted_labels(
            ordered_labels, ordered_scores, task.threshold, multi_label=task.multi_label
        )
    if task is not None and task.top_k is not None:
        ordered_labels, ordered_scores = ordered_labels[: task.top_k], ordered_scores[: task.top_k]
        ordered_evidence = ordered_evidence[: task.top_k] if ordered_evidence is not None else None
    return ClassificationResult(
        sequence,
        ordered_labels,
        ordered_scores,
        predicted_labels=predicted,
        evidence=ordered_evidence,
        windows=windows,
        shortlist=tuple(labels[i] for i in order) if unscored else None,
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
    labels = _labels(parameters.get("candidate_labels"), where)
    return ClassificationTask(
        texts=tuple(texts),
        labels=labels,
        hypothesis_templates=_templates(parameters.get("hypothesis_template"), where),
        multi_label=_flag(parameters.get("multi_label", False), "multi_label", where),
        is_batch=isinstance(inputs, list),
        record_id=obj.get("id"),
        label_descriptions=_descriptions(parameters.get("label_descriptions"), labels, where),
        label_examples=_examples(parameters.get("label_examples"), labels, where),
        threshold=_threshold(parameters.get("threshold"), where),
        return_evidence=_flag(parameters.get("return_evidence", False), "return_evidence", where),
        shortlist=_shortlist(parameters.get("shortlist"), where),
        top_k=_count(parameters.get("top_k"), "top_k", where),
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


def _templates(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        if not value:
            raise RequestError(f"{where}: parameters.hypothesis_template must not be an empty list")
        return tuple(
            _template(item, f"{where}: parameters.hypothesis_template[{i}]") for i, item in enumerate(value)
        )
    return (_template(value, f"{where}: parameters.hypothesis_template"),)


def _template(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RequestError(f"{field} must be a string")
    try:
        fields = [
            (name, spec, conv) for _, name, spec, conv in string.Formatter().parse(value) if name is not None
        ]
    except ValueError:
        fields = []
    if fields != [("", "", None)]:
        raise RequestError(f"{field} must contain exactly one {{}} placeholder")
    return value


def _descriptions(value: Any, labels: tuple[str, ...], where: str) -> tuple[str | None, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise RequestError(f"{where}: parameters.label_descriptions must be an object of label: description")
    for key, text in value.items():
        if key not in labels:
            raise RequestError(f"{where}: parameters.label_descriptions.{key} is not a candidate label")
        if not isinstance(text, str) or not text.strip():
            raise RequestError(f"{where}: parameters.label_descriptions.{key} must be a non-empty string")
    return tuple(value.get(label) for label in labels)


def _examples(value: Any, labels: tuple[str, ...], where: str) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise RequestError(f"{where}: parameters.label_examples must be an object of label: [example, ...]")
    for key, texts in value.items():
        if key not in labels:
            raise RequestError(f"{where}: parameters.label_examples.{key} is not a candidate label")
        if not isinstance(texts, list) or not texts:
            raise RequestError(f"{where}: parameters.label_examples.{key} must be a non-empty list of texts")
        for index, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                raise RequestError(
                    f"{where}: parameters.label_examples.{key}[{index}] must be a non-empty string"
                )
    return tuple(tuple(value.get(label, ())) for label in labels)


def _threshold(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RequestError(f"{where}: parameters.threshold must be a number from 0 to 1")
    return float(value)


def _shortlist(value: Any, where: str) -> int | Literal[False] | None:
    if value is False:
        return False
    k = _count(value, "shortlist", where, "or false")
    if k == 1:  # one scored label would take the whole single-label softmax: 1.0, whatever the text
        raise RequestError(f"{where}: parameters.shortlist must be at least 2, or false")
    return k


def _count(value: Any, name: str, where: str, alternative: str = "") -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RequestError(f"{where}: parameters.{name} must be a positive integer {alternative}".rstrip())
    return value


def _flag(value: Any, name: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise RequestError(f"{where}: parameters.{name} must be true or false")
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
