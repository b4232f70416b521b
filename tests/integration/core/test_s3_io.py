"""MultipartWriter against moto S3: parts of bounded size, completed on close, nothing left on abort."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest

from tests.support.moto import REGION, MotoHarness
from zstc.batch.s3 import S3Store
from zstc.contract import media_types
from zstc.core.s3_io import MULTIPART_PART_BYTES, MultipartWriter

BUCKET = "multipart-test"


@pytest.fixture
def s3(moto: MotoHarness) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


def test_a_large_stream_is_uploaded_in_parts(s3: Any) -> None:
    # Given 1 MB writes of about three parts' worth of data
    data = os.urandom(3 * MULTIPART_PART_BYTES + 12345)
    with MultipartWriter(s3, BUCKET, "big.bin", media_types.OCTET_STREAM) as writer:
        for start in range(0, len(data), 1_000_000):
            writer.write(data[start : start + 1_000_000])
    # Then the object is whole, and each part (bounded: at most one part plus one write) is in memory once
    first = s3.head_object(Bucket=BUCKET, Key="big.bin", PartNumber=1)
    assert first["PartsCount"] >= 2
    assert MULTIPART_PART_BYTES <= first["ContentLength"] < MULTIPART_PART_BYTES + 1_000_000
    assert s3.get_object(Bucket=BUCKET, Key="big.bin")["Body"].read() == data
    assert writer.size == len(data)


def _write_then_fail(s3: Any) -> None:
    with MultipartWriter(s3, BUCKET, "half.bin", media_types.OCTET_STREAM) as writer:
        writer.write(os.urandom(MULTIPART_PART_BYTES + 1))  # one part already uploaded
        raise RuntimeError("boom")


def test_an_error_inside_the_block_leaves_nothing(s3: Any) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _write_then_fail(s3)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    assert not s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads")


def test_an_empty_stream_makes_an_empty_object(s3: Any) -> None:
    S3Store(BUCKET).concatenate([], "empty.csv", media_types.CSV)
    assert s3.get_object(Bucket=BUCKET, Key="empty.csv")["Body"].read() == b""
