"""Amazon S3 adapter of :class:`zstc.batch.interfaces.ObjectStore` for one bucket: object metadata,
streamed reads, writes, presigned uploads, assembly."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import closing
from typing import Any

from botocore.exceptions import ClientError

from zstc.contract import media_types
from zstc.core import aws
from zstc.core.objects import BinaryReader, ObjectInfo, binary_lines
from zstc.core.s3_io import MultipartWriter, head_object


class S3Store:
    """Objects in one bucket."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @property
    def _s3(self) -> Any:
        return aws.client("s3")

    def uri(self, key: str) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{key}"

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo | None:
        """Size, version (VersionId, else ETag) and user metadata of the version ``version_id`` when
        given, else the latest; None when the object (or that version) is gone."""
        return head_object(self._s3, self.bucket, key, version_id)

    def open(self, key: str, version_id: str | None = None) -> BinaryReader:
        """The object's body as a stream (read it once, then close it): the version ``version_id`` when
        given, else the latest; raises KeyError when missing."""
        request = {"Bucket": self.bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
        try:
            body: BinaryReader = self._s3.get_object(**request)["Body"]
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "NoSuchVersion", "404"}:
                raise KeyError(key) from None
            raise
        return body

    def iter_lines(self, key: str) -> Iterator[bytes]:
        """The object's lines (split on ``\\n`` only, with their endings), streamed; KeyError when missing."""
        with closing(self.open(key)) as body:
            yield from binary_lines(body)

    def put(self, key: str, data: bytes, content_type: str = media_types.OCTET_STREAM) -> None:
        """Write one object."""
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""
        found: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found += [item["Key"] for item in page.get("Contents", [])]
        return sorted(found)

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under ``prefix`` (current versions)."""
        keys = self.keys(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def presigned_put(self, key: str, expires_in: int) -> str:
        """A URL that lets its holder PUT ``key`` until it expires."""
        url: str = self._s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    def concatenate(self, keys: Iterable[str], target: str, content_type: str) -> None:
        """Stream ``keys`` into ``target`` with a multipart upload (memory stays near one part)."""
        with MultipartWriter(self._s3, self.bucket, target, content_type) as writer:
            for key in keys:
                body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
                for chunk in body.iter_chunks(1024 * 1024):
                    writer.write(chunk)
