"""zstc eval's report files (zstc_cli.evaluation.report): a confusion matrix a person can read."""

from __future__ import annotations

from zstc_cli.evaluation.report import MATRIX_MAX_CLASSES, matrix_classes, percent


def _confusion(size: int, cells: dict[tuple[int, int], int]) -> list[list[int]]:
    matrix = [[5 if row == column else 0 for column in range(size)] for row in range(size)]
    for (row, column), count in cells.items():
        matrix[row][column] = count
    return matrix


def test_a_small_matrix_is_drawn_whole() -> None:
    assert matrix_classes(_confusion(MATRIX_MAX_CLASSES, {})) == list(range(MATRIX_MAX_CLASSES))


def test_a_77_class_matrix_keeps_the_classes_of_the_most_confused_pairs_first() -> None:
    # Given 77 classes where 30 -> 40 is confused most, then 2 -> 3, then 25 distinct pairs once each
    once = {(10 + index, 50 + index): 1 for index in range(25)}
    matrix = _confusion(77, {(30, 40): 9, (2, 3): 4} | once)
    # When the classes to draw are chosen
    shown = matrix_classes(matrix)
    # Then at most the limit, in class order, starting from the worst pairs' classes
    assert len(shown) == MATRIX_MAX_CLASSES
    assert shown == sorted(shown)
    assert {30, 40, 2, 3} <= set(shown)


def test_a_large_matrix_without_confusion_shows_the_best_supported_classes() -> None:
    matrix = _confusion(30, {})
    matrix[7][7] = 50
    shown = matrix_classes(matrix, limit=5)
    assert len(shown) == 5
    assert 7 in shown


def test_a_small_share_keeps_a_decimal_so_one_item_of_500_is_not_0_percent() -> None:
    assert [percent(share) for share in (1.0, 0.71, 0.1, 0.002, 0.0)] == ["100%", "71%", "10%", "0.2%", "0%"]
