"""Media types: the engine's own constants (it imports nothing of ours) equal the contract's."""

from __future__ import annotations

from zstc.contract import media_types
from zstc.contract.batch_input import INPUT_FILE_FORMATS
from zstc_engine import protocol


def test_the_engine_and_the_contract_name_the_same_media_types() -> None:
    assert (protocol.JSON, protocol.JSON_LINES) == (media_types.JSON, media_types.JSON_LINES)
    assert media_types.JSON_LINES in protocol.JSON_LINES_ALIASES


def test_each_input_format_uploads_with_a_contract_media_type() -> None:
    assert {fmt.media_type for fmt in INPUT_FILE_FORMATS.values()} == {
        media_types.JSON_LINES,
        media_types.CSV,
    }
