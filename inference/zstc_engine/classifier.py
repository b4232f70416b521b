"""The interface every classification method implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from zstc_engine.protocol import ClassificationResult, ClassificationTask


class Classifier(ABC):
    """Scores candidate labels for texts. Implementations never touch the network."""

    method: str
    """``nli`` or ``embedding``."""

    description: str
    """What model and method this is, for people (logs, demo output, /ping)."""

    precision: str = "fp32"
    """The arithmetic the model runs in, as zstc_engine.precision reports it (e.g. ``bf16``)."""

    @abstractmethod
    def classify_many(self, tasks: Sequence[ClassificationTask]) -> list[list[ClassificationResult]]:
        """Results for several requests (a MultiRecord batch), one list per task, in input order.

        The one method to implement; methods may score the texts of all tasks in shared batches.
        """

    def classify(self, task: ClassificationTask) -> list[ClassificationResult]:
        """One result per text of ``task``, in input order."""
        return self.classify_many([task])[0]
