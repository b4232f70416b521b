"""Every media type zstc sends or accepts, defined once (HTTP Content-Type, S3 objects, SageMaker).

The inference engine (``zstc_engine.protocol``) runs in the model container and imports nothing of
ours, so it keeps its own constants for the same values; a test keeps the two equal.
"""

from __future__ import annotations

JSON = "application/json"
"""Every API request and answer, error bodies, InvokeEndpoint payloads, job reports."""

JSON_LINES = "application/jsonlines"
"""Batch input (``.jsonl``), staged shards and batch transform's input and output (SageMaker's name)."""

CSV = "text/csv"
"""Batch input (``.csv``) and the results file."""

HTML = "text/html"
"""The Swagger UI page."""

OCTET_STREAM = "application/octet-stream"
"""An object whose content nobody reads as a media type (S3's own default)."""
