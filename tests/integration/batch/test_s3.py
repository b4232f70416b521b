"""The batch layer's S3 adapter (zstc.batch.s3) against a real moto server over HTTP."""

from __future__ import annotations

import boto3

from tests.support.moto import REGION, MotoHarness
from zstc.batch.s3 import S3Store

BUCKET = "versioned-input"


def test_an_object_is_read_at_the_version_its_head_named_after_the_key_is_written_again(
    moto: MotoHarness,
) -> None:
    # Given a versioned bucket, an upload looked up by HEAD, then a second upload to the same key
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    store = S3Store(BUCKET)
    s3.put_object(Bucket=BUCKET, Key="input/job/a.csv", Body=b"first")
    first = store.head("input/job/a.csv")
    s3.put_object(Bucket=BUCKET, Key="input/job/a.csv", Body=b"second")
    # When the object is opened with the looked-up version, and without one
    assert first is not None
    assert first.version_id is not None
    assert first.version == first.version_id
    pinned = store.open("input/job/a.csv", first.version_id).read()
    latest = store.open("input/job/a.csv").read()
    # Then the version holds the first upload's bytes, and the key's latest the second's
    assert (pinned, latest) == (b"first", b"second")


def test_an_unversioned_object_has_no_version_id_and_its_etag_as_version(moto: MotoHarness) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    info = S3Store(BUCKET).head("k")
    assert info is not None
    assert info.version_id is None
    assert info.version == s3.head_object(Bucket=BUCKET, Key="k")["ETag"].strip('"')


def test_head_of_a_version_describes_that_version_after_the_key_is_written_again(moto: MotoHarness) -> None:
    # Given two uploads to one key of a versioned bucket, with different sizes and metadata
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=BUCKET, Key="k", Body=b"first", Metadata={"candidate-labels": "a, b"})
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"the second", Metadata={"candidate-labels": "c, d"})
    store = S3Store(BUCKET)
    # When the first version is looked up by its id (what an S3 event names)
    info = store.head("k", first["VersionId"])
    # Then it is that version, not the latest
    assert info is not None
    assert (info.size, info.version_id, info.metadata) == (
        5,
        first["VersionId"],
        {"candidate-labels": "a, b"},
    )
    latest = store.head("k")
    assert latest is not None
    assert latest.size == len(b"the second")
    # And a version that does not exist is gone, like a deleted key
    s3.delete_object(Bucket=BUCKET, Key="k", VersionId=first["VersionId"])
    assert store.head("k", first["VersionId"]) is None
