"""The interface every classification method implements."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence

from zstc_engine.protocol import (
    MAX_FAILURE_REASON_CHARS,
    ClassificationResult,
    ClassificationTask,
    RecordFailure,
)

log = logging.getLogger("zstc_engine")


class Classifier(ABC):
    """Scores candidate labels for texts. Implementations never touch the network."""

    method: str
    """``nli`` or ``embedding``."""

    description: str
    """What model and method this is, for people (logs, demo output, /ping)."""

    precision: str = "fp32"
    """The arithmetic the model runs in, as zstc_engine.precision reports it (e.g. ``bf16``)."""

    linear_kernel: str = "default"
    """Which fp32 Linear kernel serves, as zstc_engine.kernels reports it (``onednn`` or ``default``)."""

    @abstractmethod
    def classify_many(self, tasks: Sequence[ClassificationTask]) -> list[list[ClassificationResult]]:
        """Results for several requests (a MultiRecord batch), one list per task, in input order.

        The one method to implement; methods may score the texts of all tasks in shared batches.
        """

    def classify(self, task: ClassificationTask) -> list[ClassificationResult]:
        """One result per text of ``task``, in input order."""
        return self.classify_many([task])[0]


def classify_each(
    classifier: Classifier, tasks: Sequence[ClassificationTask]
) -> list[list[ClassificationResult] | RecordFailure]:
    """Results for ``tasks`` in shared batches; if that fails, each task alone, a failing one as a
    :class:`RecordFailure` (its reason: the error's type and message, capped).

    One record the model cannot score (MultiRecord batch transform sends many per request) then
    costs only its own answer. Only the error's type is logged: messages may quote input text.
    """
    try:
        return list(classifier.classify_many(tasks))
    except Exception as error:
        if len(tasks) > 1:
            log.warning(
                "batch of %d records failed (%s); scoring each alone", len(tasks), type(error).__name__
            )
    answers: list[list[ClassificationResult] | RecordFailure] = []
    for task in tasks:
        try:
            answers.append(classifier.classify(task))
        except Exception as error:
            log.warning("a record failed: %s", type(error).__name__)
            reason = f"{type(error).__name__}: {error}"
            answers.append(RecordFailure(reason[:MAX_FAILURE_REASON_CHARS]))
    return answers
