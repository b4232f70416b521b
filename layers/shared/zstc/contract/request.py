"""The real-time classification request (pydantic v2): ``POST /classify``'s body and its parameters.

The request is the Hugging Face / JumpStart zero-shot payload. Validators enforce the limits in
:mod:`zstc.core.limits` with messages that name the offending field and position.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from zstc.contract.text import check_encodable, check_text_content, without_ignorables
from zstc.core import limits
from zstc.core.errors import UnprocessableRequestError


def _split_comma_labels(value: Any) -> Any:
    """Accept ``"a, b, c"`` as the pipeline does: split on commas and strip each part.

    Labels given as a list are stripped too, so ``["Sports", "Sports "]`` is one label twice (a 422).
    """
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return value
    labels = [item.strip() if isinstance(item, str) else item for item in value]
    for index, label in enumerate(labels[: limits.MAX_LABELS]):
        if isinstance(label, str) and label:
            check_text_content(label, f"candidate_labels[{index}]")
    return labels


def label_identity(label: str) -> str:
    """What a label reads as, for telling two labels (or a description key and a label) apart.

    "Café" as one code point or as "e" + a combining accent is one label (NFC, Unicode Standard Annex
    #15), and so is a label with a default-ignorable code point inside or at an end ("Trav\u200bel":
    zero-width space, joiners, soft hyphen, variation selectors, Hangul fillers; Unicode's
    Default_Ignorable_Code_Point property) or surrounding whitespace.
    """
    return without_ignorables(unicodedata.normalize("NFC", label)).strip()


def _int_as_float(value: Any) -> Any:
    """Strict mode refuses an int for a float field; 0 and 1 are fine thresholds (an int too large for
    a float stays an int, which the float field then refuses: a 422, not an OverflowError)."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return value
    return value


Threshold = Annotated[float, BeforeValidator(_int_as_float), Field(ge=0, le=1)]
"""A score threshold, 0 to 1 (integers accepted)."""


def _refuse_true(value: Any) -> Any:
    """``shortlist: true`` would say nothing about k; only false (no shortlist) is a flag."""
    if value is True:
        raise PydanticCustomError("shortlist_true", "shortlist must be an integer of at least 2, or false")
    return value


Shortlist = Annotated[
    Annotated[int, Field(ge=2)] | Annotated[bool, Field(json_schema_extra={"const": False})],
    BeforeValidator(_refuse_true),
]
"""A shortlist's size k (>= 2: one scored label would take the whole single-label softmax), or false
(every label scored); ``Literal[False]`` would admit 0."""

CandidateLabels = Annotated[
    list[str],
    BeforeValidator(_split_comma_labels, json_schema_input_type=list[str] | str),
]


class ClassifyParameters(BaseModel):
    """How to classify: the labels to choose from, single- or multi-label, the hypothesis."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    candidate_labels: CandidateLabels = Field(
        description="Labels to score, as a list or a comma-separated string.",
        examples=[["Health", "Career", "Finance"]],
    )
    multi_label: bool = Field(
        default=False,
        description="false: scores sum to 1 over the labels; true: each label is scored on its own.",
    )
    hypothesis_template: str | list[str] | None = Field(
        default=None,
        description=(
            "Sentence with exactly one {} placeholder that each label (or its description) is put into, "
            f"or a list of up to {limits.MAX_TEMPLATES} such sentences whose scores are combined (an "
            'ensemble). Omitted: the model\'s default (NLI: "This example is {}." as in the transformers '
            "pipeline)."
        ),
        examples=["This example is {}.", ["This text is about {}.", "The topic is {}."]],
    )
    label_descriptions: dict[str, str] | None = Field(
        default=None,
        description=(
            "A description for some or all candidate labels; a described label's hypotheses are built from "
            "its description instead of its name. Answers still report label names."
        ),
        examples=[{"Finance": "money: saving, spending less, paying off debt"}],
    )
    label_examples: dict[str, list[str]] | None = Field(
        default=None,
        description=(
            f"Up to {limits.MAX_EXAMPLES_PER_LABEL} example texts for some or all candidate labels "
            f"(each up to {limits.MAX_EXAMPLE_CHARS} characters; all of them up to "
            f"{limits.MAX_EXAMPLE_WINDOWS} model windows and {limits.MAX_EXAMPLE_BYTES} bytes as UTF-8): a "
            "text close to a label's examples scores higher for it, beside its hypotheses. Answers still "
            "report label names."
        ),
        examples=[{"Finance": ["pay off my credit card", "spend less on takeout"]}],
    )
    threshold: Threshold | None = Field(
        default=None,
        description=(
            "Adds predicted_labels to the answer: multi-label, every label scoring at least this; "
            "single-label, the top label if it reaches it, else none (abstain)."
        ),
    )
    return_evidence: bool = Field(
        default=False,
        description=(
            "Adds, per label, the character span [start, end) of the text window its score comes from and "
            "that window's score, and how many windows the text took."
        ),
    )
    shortlist: Shortlist | None = Field(
        default=None,
        description=(
            "NLI method: how many labels the NLI model scores per text after a bi-encoder ranks them all "
            f"(k), or false for every label. Omitted: above {limits.SHORTLIST_ABOVE} labels, a shortlist "
            f"sized per text (at most {limits.DEFAULT_SHORTLIST_MAX_K}: the fewest labels that hold most of "
            "the ranking model's confidence). The answer lists the other labels with score 0 and names the "
            "scored ones in shortlist."
        ),
    )
    top_k: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="List only the top_k best labels in the answer (default: all)."
    )

    @property
    def scored_labels(self) -> int:
        """How many labels the NLI model scores per window: the shortlist's size, else every label."""
        return scored_label_count(len(self.candidate_labels), self.shortlist)

    @field_validator("label_descriptions", "label_examples", mode="before")
    @classmethod
    def _strip_label_keys(cls, value: Any, info: ValidationInfo) -> Any:
        # fields are validated in order: candidate_labels is in info.data unless it was refused itself
        labels = info.data.get("candidate_labels")
        keyed = strip_label_keys(value, str(info.field_name), labels or [])
        if labels is not None and isinstance(keyed, dict):
            unknown = [label for label in keyed if label not in labels]
            if unknown:
                raise PydanticCustomError(
                    _LABEL_KEY_ERRORS[str(info.field_name)][1],
                    '{field} has "{label}", which is not one of candidate_labels',
                    {"field": info.field_name, "label": unknown[0]},
                )
        return keyed

    @field_validator("label_descriptions")
    @classmethod
    def _check_descriptions(cls, descriptions: dict[str, str] | None) -> dict[str, str] | None:
        for label, text in (descriptions or {}).items():
            check_encodable(label, "label_descriptions key")
            if not text.strip():
                raise PydanticCustomError(
                    "description_empty", "label_descriptions[{label}] is empty", {"label": label}
                )
            check_text_content(text, f"label_descriptions[{label}]")
            if len(text) > limits.MAX_DESCRIPTION_CHARS:
                raise PydanticCustomError(
                    "description_too_long",
                    "label_descriptions[{label}] has {length} characters; the limit is {limit}",
                    {"label": label, "length": len(text), "limit": limits.MAX_DESCRIPTION_CHARS},
                )
        return descriptions

    @field_validator("label_examples")
    @classmethod
    def _check_examples(cls, examples: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        for label, texts in (examples or {}).items():
            check_encodable(label, "label_examples key")
            if not texts or len(texts) > limits.MAX_EXAMPLES_PER_LABEL:
                raise PydanticCustomError(
                    "examples_count",
                    "label_examples[{label}] has {count} examples; give 1 to {limit}",
                    {"label": label, "count": len(texts), "limit": limits.MAX_EXAMPLES_PER_LABEL},
                )
            for index, text in enumerate(texts):
                where = f"label_examples[{label}][{index}]"
                if not text.strip():
                    raise PydanticCustomError("example_empty", "{where} is empty", {"where": where})
                check_text_content(text, where)
                if len(text) > limits.MAX_EXAMPLE_CHARS:
                    raise PydanticCustomError(
                        "example_too_long",
                        "{where} has {length} characters; the limit is {limit}",
                        {"where": where, "length": len(text), "limit": limits.MAX_EXAMPLE_CHARS},
                    )
        windows = example_windows(examples)
        size = sum(len(text.encode("utf-8")) for texts in (examples or {}).values() for text in texts)
        if size > limits.MAX_EXAMPLE_BYTES:
            raise PydanticCustomError(
                "examples_too_large",
                "label_examples take {size} bytes as UTF-8; the limit is {limit} (a job stores them)",
                {"size": size, "limit": limits.MAX_EXAMPLE_BYTES},
            )
        if windows > limits.MAX_EXAMPLE_WINDOWS:
            raise PydanticCustomError(
                "examples_too_many_windows",
                "label_examples may take {windows} model windows of {tokens} tokens (each example is "
                "embedded once; about one token per character once decomposed); the limit is {limit}: "
                "send fewer or shorter examples",
                {"windows": windows, "tokens": limits.WINDOW_TOKENS, "limit": limits.MAX_EXAMPLE_WINDOWS},
            )
        return examples

    @property
    def example_windows(self) -> int:
        """The model windows the examples take (:func:`estimated_windows` of each; 0 without examples)."""
        return example_windows(self.label_examples)

    @property
    def hypothesis_tokens(self) -> int:
        """A bound of the request's longest hypothesis in model tokens (:func:`longest_hypothesis`)."""
        return longest_hypothesis(self.templates, self.candidate_labels, self.label_descriptions or {})[0]

    @model_validator(mode="after")
    def _check_hypothesis_tokens(self) -> ClassifyParameters:
        tokens, phrase, template = longest_hypothesis(
            self.templates, self.candidate_labels, self.label_descriptions or {}
        )
        if isinstance(self.hypothesis_template, str):
            template = "hypothesis_template"
        if tokens > limits.MAX_HYPOTHESIS_TOKENS:
            raise PydanticCustomError(
                "hypothesis_too_long",
                "{phrase} in {template} makes a hypothesis of up to {tokens} model tokens (one per UTF-8 "
                "byte); the limit is {limit}: shorten it",
                {
                    "phrase": phrase,
                    "template": template,
                    "tokens": tokens,
                    "limit": limits.MAX_HYPOTHESIS_TOKENS,
                },
            )
        return self

    @property
    def templates(self) -> list[str]:
        """The request's templates as a list (empty: the model's default)."""
        if self.hypothesis_template is None:
            return []
        return (
            [self.hypothesis_template]
            if isinstance(self.hypothesis_template, str)
            else self.hypothesis_template
        )

    @field_validator("candidate_labels")
    @classmethod
    def _check_labels(cls, labels: list[str]) -> list[str]:
        if not labels:
            raise PydanticCustomError("labels_empty", "candidate_labels must contain at least one label")
        if len(labels) > limits.MAX_LABELS:
            raise PydanticCustomError(
                "too_many_labels",
                "candidate_labels has {count} labels; the limit is {limit}",
                {"count": len(labels), "limit": limits.MAX_LABELS},
            )
        seen: set[str] = set()
        for index, label in enumerate(labels):
            if not label.strip():
                raise PydanticCustomError(
                    "label_empty", "candidate_labels[{index}] is empty", {"index": index}
                )
            if len(label) > limits.MAX_LABEL_CHARS:
                raise PydanticCustomError(
                    "label_too_long",
                    "candidate_labels[{index}] has {length} characters; the limit is {limit}",
                    {"index": index, "length": len(label), "limit": limits.MAX_LABEL_CHARS},
                )
            composed = label_identity(label)  # labels that read the same are the same label twice
            if composed in seen:
                raise PydanticCustomError(
                    "label_duplicate",
                    'candidate_labels[{index}] repeats the label "{label}"{how}',
                    {
                        "index": index,
                        "label": label,
                        "how": "" if label in labels[:index] else " (the same text in another Unicode form)",
                    },
                )
            seen.add(composed)
        return labels

    @field_validator("hypothesis_template")
    @classmethod
    def _check_templates(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list):
            if not value or len(value) > limits.MAX_TEMPLATES:
                raise PydanticCustomError(
                    "template_count",
                    "hypothesis_template as a list needs 1 to {limit} templates; it has {count}",
                    {"limit": limits.MAX_TEMPLATES, "count": len(value)},
                )
            for index, template in enumerate(value):
                _check_template(template, f"hypothesis_template[{index}]")
        elif value is not None:
            _check_template(value, "hypothesis_template")
        return value

    @field_validator("hypothesis_template")
    @classmethod
    def _check_template_content(cls, value: str | list[str] | None) -> str | list[str] | None:
        for index, template in enumerate([value] if isinstance(value, str) else value or []):
            check_encodable(
                template, "hypothesis_template" if isinstance(value, str) else f"hypothesis_template[{index}]"
            )
        return value


_LABEL_KEY_ERRORS = {
    "label_descriptions": ("description_duplicate", "description_label"),
    "label_examples": ("examples_duplicate", "examples_label"),
}
"""Per ``{label: ...}`` parameter, the error types of a repeated key and of a key that names no label."""


def strip_label_keys(value: Any, field: str, labels: list[str]) -> Any:
    """Keys of a ``{label: ...}`` parameter (``label_descriptions``, ``label_examples``) compared as
    labels are (:func:`label_identity`: "Health " and an NFD "Café" name "Health" and "Café") and
    spelt as the candidate label they name. Two keys that name one label are refused (naming
    ``field``), never one of them dropped by key order."""
    if not isinstance(value, dict):
        return value
    spelling = {label_identity(label): label for label in labels}
    keyed: dict[Any, Any] = {}
    for key, item in value.items():
        identity = label_identity(key) if isinstance(key, str) else key
        label = spelling.get(identity, identity)
        if label in keyed:
            raise PydanticCustomError(
                _LABEL_KEY_ERRORS[field][0],
                '{field} has two keys for the label "{label}" (keys are compared as labels are: stripped, '
                "in NFC, without default-ignorable characters)",
                {"field": field, "label": label},
            )
        keyed[label] = item
    return keyed


def longest_hypothesis(
    templates: Sequence[str], labels: Sequence[str], descriptions: Mapping[str, str]
) -> tuple[int, str, str]:
    """A bound of the longest hypothesis in model tokens (:func:`estimated_bytes`: a template with a
    label's phrase, its description or else its name, in place of ``{}``) and what makes it: the
    phrase's field (``candidate_labels[i]`` or ``label_descriptions.<label>``) and the template's
    (``hypothesis_template[j]``, or the default template when ``templates`` is empty)."""
    template_bounds = [(estimated_bytes(t) - 2, f"hypothesis_template[{j}]") for j, t in enumerate(templates)]
    if not template_bounds:
        template_bounds = [(estimated_bytes(DEFAULT_TEMPLATE) - 2, "the default hypothesis template")]
    phrase_bounds = [
        (estimated_bytes(descriptions[label]), f"label_descriptions.{label}")
        if label in descriptions
        else (estimated_bytes(label), f"candidate_labels[{index}]")
        for index, label in enumerate(labels)
    ]
    template_tokens, template = max(template_bounds, key=lambda bound: bound[0])
    phrase_tokens, phrase = max(phrase_bounds, key=lambda bound: bound[0], default=(0, "no label"))
    return template_tokens + phrase_tokens, phrase, template


def _check_template(template: str, where: str) -> None:
    """One template: bounded, with exactly one ``{}`` and no other braces (as ``str.format`` needs)."""
    if len(template) > limits.MAX_TEMPLATE_CHARS:
        raise PydanticCustomError(
            "template_too_long",
            "{where} has {length} characters; the limit is {limit}",
            {"where": where, "length": len(template), "limit": limits.MAX_TEMPLATE_CHARS},
        )
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(template)
            if name is not None
        ]
    except ValueError as error:  # unbalanced braces
        raise PydanticCustomError(
            "template_invalid",
            "{where} is not a valid template: {reason}",
            {"where": where, "reason": str(error)},
        ) from None
    if fields != [("", "", None)] or template.count("{") != 1 or template.count("}") != 1:  # "{{" too
        raise PydanticCustomError(
            "template_placeholder",
            "{where} must contain exactly one {} placeholder and no other braces",
            {"where": where},
        )


DEFAULT_TEMPLATE = "This example is {}."
"""The NLI model's default template (``zstc_engine.protocol.DEFAULT_HYPOTHESIS_TEMPLATE``; a test keeps
them equal): what the API bounds a request's hypotheses by when it sends no template."""


def estimated_tokens(text: str) -> int:
    """An upper bound of the tokens a WordPiece tokenizer (MiniLM) makes of ``text``: its NFKD length."""
    return len(unicodedata.normalize("NFKD", text))


def estimated_bytes(text: str) -> int:
    """An upper bound of the tokens a byte-level BPE (bart-large-mnli) makes of ``text``: its UTF-8
    bytes, or those of its NFKD form when longer (a tokenizer may decompose first). Also a bound of
    :func:`estimated_tokens`."""
    # surrogatepass: a lone surrogate is counted (3 bytes), and refused by check_encodable, not here
    decomposed = unicodedata.normalize("NFKD", text)
    return max(len(text.encode("utf-8", "surrogatepass")), len(decomposed.encode("utf-8", "surrogatepass")))


def _windows(tokens: int, window: int) -> int:
    """Windows of ``window`` tokens overlapping by an eighth (``zstc_engine.windows``) for ``tokens``."""
    if tokens <= window:
        return 1
    return 1 + -(-(tokens - window) // (window - window // 8))


def nli_window_tokens(hypothesis_tokens: int) -> int:
    """Premise tokens of an NLI window beside a hypothesis of ``hypothesis_tokens`` (at most
    :data:`limits.MAX_HYPOTHESIS_TOKENS`, so at least 508)."""
    return limits.NLI_INPUT_TOKENS - limits.NLI_PAIR_SPECIAL_TOKENS - hypothesis_tokens


def estimated_windows(text: str, hypothesis_tokens: int) -> int:
    """The model windows the API budgets for ``text`` beside hypotheses of at most ``hypothesis_tokens``
    (:attr:`ClassifyParameters.hypothesis_tokens`; 0 for a text embedded alone): an upper bound of the
    engine's for both tokenizers we ship (see ``limits.MAX_TEXT_WINDOWS``), the larger of WordPiece's
    (:func:`estimated_tokens` in windows of ``limits.WINDOW_TOKENS``) and byte-level BPE's
    (:func:`estimated_bytes` in windows of :func:`nli_window_tokens`)."""
    return max(
        _windows(estimated_tokens(text), limits.WINDOW_TOKENS),
        _windows(
            estimated_bytes(text), nli_window_tokens(min(hypothesis_tokens, limits.MAX_HYPOTHESIS_TOKENS))
        ),
    )


def scored_label_count(labels: int, shortlist: int | bool | None) -> int:
    """How many of ``labels`` candidate labels the NLI model scores per window with ``shortlist``
    (k, false, or None for the endpoint's default above :data:`limits.SHORTLIST_ABOVE` labels, which
    sizes itself per text: counted at its most, :data:`limits.DEFAULT_SHORTLIST_MAX_K`)."""
    if shortlist is None:
        shortlist = limits.DEFAULT_SHORTLIST_MAX_K if labels > limits.SHORTLIST_ABOVE else False
    return labels if shortlist is False or shortlist is True else min(labels, shortlist)


def example_windows(examples: dict[str, list[str]] | None) -> int:
    """The model windows label examples take: :func:`estimated_windows` of each (0 without any)."""
    return sum(estimated_windows(text, 0) for texts in (examples or {}).values() for text in texts)


def model_cost(texts: list[str], parameters: ClassifyParameters) -> int:
    """The NLI model's premise/hypothesis pairs for ``texts``: estimated windows x scored labels (the
    shortlist's size when there is one) x templates. The embedding method costs texts x windows, which
    this bounds; the API budgets this one because it does not know the endpoint's method. Label
    examples are not pairs: each is embedded once per endpoint process (cached) by a bi-encoder, and
    :attr:`ClassifyParameters.example_windows` has its own budget, ``limits.MAX_EXAMPLE_WINDOWS``."""
    per_window = parameters.scored_labels * max(1, len(parameters.templates))
    return sum(estimated_windows(text, parameters.hypothesis_tokens) for text in texts) * per_window


class _Texts(BaseModel):
    """The texts of a classification request (``inputs``), checked against the limits."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    inputs: str | list[str] = Field(
        description="The text to classify, or a list of texts.",
        examples=["read more books, no scrolling fb before breakfast"],
    )

    @field_validator("inputs", mode="before")
    @classmethod
    def _check_inputs(cls, inputs: Any) -> Any:
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise PydanticCustomError("inputs_type", "inputs must be a string or a list of strings")
        if not texts:
            raise PydanticCustomError("inputs_empty", "inputs must contain at least one text")
        if len(texts) > limits.MAX_TEXTS_PER_REQUEST:
            raise PydanticCustomError(
                "too_many_texts",
                "inputs has {count} texts; the limit is {limit}",
                {"count": len(texts), "limit": limits.MAX_TEXTS_PER_REQUEST},
            )
        for index, text in enumerate(texts):
            where = "inputs" if isinstance(inputs, str) else f"inputs[{index}]"
            if not text.strip():
                raise PydanticCustomError("text_empty", "{where} is empty", {"where": where})
            if len(text) > limits.MAX_TEXT_CHARS:
                raise PydanticCustomError(
                    "text_too_long",
                    "{where} has {length} characters; the limit is {limit}",
                    {"where": where, "length": len(text), "limit": limits.MAX_TEXT_CHARS},
                )
            check_density(text, where, 0)  # beside the shortest hypothesis; ClassifyRequest: its own
        return inputs

    @field_validator("inputs")
    @classmethod
    def _check_input_content(cls, inputs: str | list[str]) -> str | list[str]:
        if isinstance(inputs, str):
            check_text_content(inputs, "inputs")
        else:
            for index, text in enumerate(inputs):
                check_text_content(text, f"inputs[{index}]")
        return inputs

    @property
    def texts(self) -> list[str]:
        """The inputs as a list, whatever shape the request used."""
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs)

    @property
    def is_batch(self) -> bool:
        """True when ``inputs`` was a list, so the answer is a list too."""
        return isinstance(self.inputs, list)


def check_density(text: str, where: str, hypothesis_tokens: int) -> None:
    """Refuse ``text`` (the field ``where``) when it may take more than ``limits.MAX_TEXT_WINDOWS``
    windows beside hypotheses of ``hypothesis_tokens`` (:func:`estimated_windows`)."""
    windows = estimated_windows(text, hypothesis_tokens)
    if windows > limits.MAX_TEXT_WINDOWS:
        raise PydanticCustomError(
            "text_too_dense",
            "{where} may take {windows} model windows (about one token per character once decomposed, or "
            "per UTF-8 byte beside hypotheses of up to {hypothesis} tokens); the limit is {limit}: send a "
            "shorter text",
            {
                "where": where,
                "windows": windows,
                "hypothesis": hypothesis_tokens,
                "limit": limits.MAX_TEXT_WINDOWS,
            },
        )


def _check_pairs(texts: list[str], parameters: ClassifyParameters) -> None:
    """Refuse texts x scored labels x templates beyond :data:`limits.MAX_PAIRS_PER_REQUEST`."""
    pairs = model_cost(texts, parameters)
    if pairs > limits.MAX_PAIRS_PER_REQUEST:
        raise PydanticCustomError(
            "too_many_pairs",
            "inputs (in windows of {window} tokens or more, one per character or UTF-8 byte at most) x "
            "scored labels (candidate_labels, or the shortlist) x templates is {pairs} "
            "premise/hypothesis pairs; the limit is {limit}",
            {
                "window": limits.WINDOW_TOKENS,
                "pairs": pairs,
                "limit": limits.MAX_PAIRS_PER_REQUEST,
            },
        )


class ClassifyRequest(_Texts):
    """A real-time classification request: one text or a list of texts, and the parameters (a label
    set already resolved: this is what the endpoint is sent)."""

    parameters: ClassifyParameters

    @model_validator(mode="after")
    def _check_pairs(self) -> ClassifyRequest:
        # an NLI window is what the longest hypothesis leaves of the model's input
        for index, text in enumerate(self.texts):
            check_density(
                text, f"inputs[{index}]" if self.is_batch else "inputs", self.parameters.hypothesis_tokens
            )
        _check_pairs(self.texts, self.parameters)
        return self

    def to_endpoint_payload(self) -> dict[str, Any]:
        """The JSON body sent to the endpoint: labels normalised to a list, unset options left out.

        An omitted ``hypothesis_template`` is left to the model side, which owns the default
        (``zstc_engine.protocol.DEFAULT_HYPOTHESIS_TEMPLATE``, the transformers pipeline's); options
        left unset are not sent, so a Hugging Face-shaped request reaches the model unchanged.
        """
        payload = self.model_dump(mode="json", exclude_none=True)
        if not self.parameters.return_evidence:  # the stock handler passes parameters to the pipeline as is
            del payload["parameters"]["return_evidence"]
        return payload


# --- label sets: a stored, versioned set of the label parameters, named instead of them -------------

PER_REQUEST_OPTIONS = ("return_evidence", "shortlist", "top_k")
"""Parameters a label set does not hold: each request (or job) chooses them, beside ``label_set``."""

LABEL_SET_FIELDS = tuple(name for name in ClassifyParameters.model_fields if name not in PER_REQUEST_OPTIONS)
"""The parameters a label set holds (candidate_labels, descriptions, templates, multi_label, threshold,
...): every other field of :class:`ClassifyParameters`, so a new label parameter joins label sets."""

LABEL_SET_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{limits.MAX_LABEL_SET_NAME_CHARS - 1}}}")
"""A label set's name: letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit."""

LABEL_SET_NAME_RULE = (
    f"1-{limits.MAX_LABEL_SET_NAME_CHARS} letters, digits, '.', '_' or '-', starting with a letter or digit"
)
""":data:`LABEL_SET_NAME` in words, for error messages."""


def split_label_set_reference(reference: str) -> tuple[str, int | None]:
    """``"name"`` -> ``("name", None)`` (the latest version), ``"name@3"`` -> ``("name", 3)``.

    Raises ``PydanticCustomError`` (a 422 naming the field) for a bad name or version string.
    """
    name, at, version = reference.partition("@")
    if not LABEL_SET_NAME.fullmatch(name):
        raise PydanticCustomError(
            "label_set_name",
            "label_set name must be 1-{limit} letters, digits, '.', '_' or '-', starting with a letter or "
            "digit",
            {"limit": limits.MAX_LABEL_SET_NAME_CHARS},
        )
    if not at:
        return name, None
    if not version.isascii() or not version.isdigit() or version.startswith("0") or len(version) > 9:
        raise PydanticCustomError(
            "label_set_version",
            "label_set version after '@' must be a whole number from 1 to {limit}, without leading zeros "
            "(name@3)",
            {"limit": limits.MAX_LABEL_SET_VERSION},
        )
    return name, int(version)


def _check_reference(reference: str) -> str:
    split_label_set_reference(reference)
    return reference


LabelSetReference = Annotated[str, AfterValidator(_check_reference)]
"""``"name"`` (the latest version) or ``"name@N"`` (version N)."""


def refuse_label_fields_beside_label_set(value: Any) -> Any:
    """A body (dict) naming ``label_set`` and a label parameter is a 422 naming both: the set holds
    the label parameters, so one of them would be silently ignored."""
    if isinstance(value, dict) and value.get("label_set") is not None:
        beside = [name for name in LABEL_SET_FIELDS if name in value]
        if beside:
            raise PydanticCustomError(
                "label_set_conflict",
                "label_set and {fields} cannot be given together: a label set holds {fields}; send one or "
                "the other",
                {"fields": ", ".join(beside)},
            )
    return value


class LabelSetParameters(BaseModel):
    """``parameters`` of ``POST /classify`` naming a label set instead of the label parameters."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    label_set: LabelSetReference = Field(
        description='A label set\'s name (its latest version) or "name@N" (version N), instead of '
        "candidate_labels and the other label parameters.",
        examples=["intents", "intents@3"],
    )
    return_evidence: bool = Field(
        default=False, description=ClassifyParameters.model_fields["return_evidence"].description
    )
    shortlist: Shortlist | None = Field(
        default=None, description=ClassifyParameters.model_fields["shortlist"].description
    )
    top_k: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description=ClassifyParameters.model_fields["top_k"].description
    )

    _conflicts = model_validator(mode="before")(refuse_label_fields_beside_label_set)


def with_request_options(label_set: ClassifyParameters, options: BaseModel) -> ClassifyParameters:
    """A label set's parameters with the per-request options (:data:`PER_REQUEST_OPTIONS`) of
    ``options`` (a request's parameters, or a job): what the endpoint is sent."""
    return ClassifyParameters(
        **{name: getattr(label_set, name) for name in LABEL_SET_FIELDS},
        **{name: getattr(options, name) for name in PER_REQUEST_OPTIONS},
    )


def _label_parameters_or_label_set(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validate ``parameters`` as one model, chosen by ``label_set``: errors name that model's fields
    only (a union would report both models' errors)."""
    del handler
    if isinstance(value, dict) and "label_set" in value:
        return LabelSetParameters.model_validate(value, strict=True)
    return ClassifyParameters.model_validate(value, strict=True)


class ClassifyBody(_Texts):
    """``POST /classify``'s body: the texts and either the label parameters or a label set's name."""

    parameters: Annotated[
        ClassifyParameters | LabelSetParameters, WrapValidator(_label_parameters_or_label_set)
    ]

    @model_validator(mode="after")
    def _check_pairs(self) -> ClassifyBody:
        if isinstance(self.parameters, ClassifyParameters):
            _check_pairs(self.texts, self.parameters)
        return self

    @property
    def label_set(self) -> str | None:
        """The label set the body names (``name`` or ``name@N``), or None."""
        return self.parameters.label_set if isinstance(self.parameters, LabelSetParameters) else None

    def request(self, label_set: ClassifyParameters | None = None) -> ClassifyRequest:
        """The request the endpoint is sent: the body's own parameters, or ``label_set``'s (the
        resolved set the body names) with the body's per-request options.

        Raises :class:`UnprocessableRequestError` (422) when the set's labels take the texts past the
        pair budget, naming ``parameters.label_set``.
        """
        if isinstance(self.parameters, ClassifyParameters):
            return ClassifyRequest(inputs=self.inputs, parameters=self.parameters)
        if label_set is None:
            raise ValueError("the body names a label set: pass its resolved parameters")
        parameters = with_request_options(label_set, self.parameters)
        try:
            return ClassifyRequest(inputs=self.inputs, parameters=parameters)
        except ValidationError as error:
            details = [
                {"loc": ["body", "parameters", "label_set"], "msg": item["msg"], "type": item["type"]}
                for item in error.errors()
            ]
            raise UnprocessableRequestError(
                f"invalid request with label set {self.parameters.label_set}: {details[0]['msg']}", details
            ) from None
