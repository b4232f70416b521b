"""Token-budget batching: sort sequences by length, pack them, pad each batch only to its longest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

DEFAULT_MAX_BATCH_TOKENS = 512
"""Padded tokens per forward pass (batch size x longest sequence); ZSTC_MAX_BATCH_TOKENS overrides.

Measured on 2 CPU cores (docs/decisions.md, 2026-11-29): 512 ran 1.13-1.21x faster than 2048 with
the oneDNN Linear kernel (BART shape and MiniLM alike), 1024 close behind; 4096 and up ran slower."""


def length_sorted_batches(lengths: Sequence[int], max_batch_tokens: int) -> Iterator[list[int]]:
    """Yield index lists; each batch's ``len(batch) * max(length)`` stays within the budget.

    Sorting by length keeps padding small; a sequence longer than the budget gets a batch of its own.
    """
    if max_batch_tokens <= 0:
        raise ValueError("max_batch_tokens must be positive")
    order = sorted(range(len(lengths)), key=lambda index: lengths[index])
    batch: list[int] = []
    for index in order:
        longest = lengths[index]  # ascending order: the newest member is the longest
        if batch and (len(batch) + 1) * longest > max_batch_tokens:
            yield batch
            batch = []
        batch.append(index)
    if batch:
        yield batch
