"""The Classifier interface: methods implement classify_many; classify is one task through it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from zstc_engine.classifier import Classifier
from zstc_engine.protocol import ClassificationResult, ClassificationTask, sorted_result


class FirstLabelWins(Classifier):
    """Scores 1 for the first label, 0 for the rest, and records how it was called."""

    method = "embedding"
    description = "test double"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def classify_many(self, tasks: Sequence[ClassificationTask]) -> list[list[ClassificationResult]]:
        self.calls.append(len(tasks))
        return [
            [sorted_result(text, task.labels, [1.0] + [0.0] * (len(task.labels) - 1)) for text in task.texts]
            for task in tasks
        ]


def test_classify_is_one_task_through_classify_many() -> None:
    classifier = FirstLabelWins()
    task = ClassificationTask(texts=("a", "b"), labels=("x", "y"))
    results = classifier.classify(task)
    assert classifier.calls == [1]
    assert results == classifier.classify_many([task])[0]
    assert [result.labels[0] for result in results] == ["x", "x"]


def test_classify_many_is_the_method_to_implement() -> None:
    class OnlyClassify(Classifier):
        def classify(self, task: ClassificationTask) -> list[ClassificationResult]:
            return []

    with pytest.raises(TypeError, match="classify_many"):
        OnlyClassify()  # type: ignore[abstract]
