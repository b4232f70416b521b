"""The client factory: S3 presigned URLs are SigV4, whose signature does not cover the Content-Type."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from zstc.core import aws


def test_s3_presigned_urls_are_sigv4_signing_the_host_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws.client.cache_clear()
    try:
        url = aws.client("s3").generate_presigned_url(
            "put_object", Params={"Bucket": "b", "Key": "input/j/in.csv"}, ExpiresIn=900
        )
    finally:
        aws.client.cache_clear()
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert "Signature" not in query
