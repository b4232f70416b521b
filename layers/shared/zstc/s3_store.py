"""Amazon S3 adapter: object metadata, streamed reads, writes, presigned uploads, assembly."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from zstc import aws

MULTIPART_MIN_PART_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    """What HeadObject tells about an uploaded file."""

    size: int
    version: str
    metadata: dict[str, str]


class S3Store:
    """Objects in one bucket."""

    def __init__(self, bucket: str, client_factory: Callable[..., Any] = aws.client) -> None:
        self.bucket = bucket
        self._client_factory = client_factory

    @property
    def _s3(self) -> Any:
        return self._client_factory("s3")

    def uri(self, key: str) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{key}"

    def head(self, key: str) -> ObjectInfo | None:
        """Size, version (VersionId, else ETag) and user metadata; None when the object is gone."""
        try:
            response = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        version = response.get("VersionId")
        if not version or version == "null":
            version = response["ETag"].strip('"')
        return ObjectInfo(int(response["ContentLength"]), version, dict(response.get("Metadata") or {}))

    def iter_lines(self, key: str) -> Iterator[bytes]:
        """The object's lines (with their line endings), streamed; raises KeyError when missing."""
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                raise KeyError(key) from None
            raise
        try:
            yield from body.iter_lines(chunk_size=64 * 1024, keepends=True)
        finally:
            body.close()

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
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
        upload = self._s3.create_multipart_upload(Bucket=self.bucket, Key=target, ContentType=content_type)
        parts: list[dict[str, Any]] = []
        buffer = bytearray()
        try:
            for key in keys:
                for chunk in self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].iter_chunks(
                    1024 * 1024
                ):
                    buffer += chunk
                    if len(buffer) >= MULTIPART_MIN_PART_BYTES:
                        parts.append(
                            self._upload_part(target, upload["UploadId"], len(parts) + 1, bytes(buffer))
                        )
                        buffer.clear()
            if buffer or not parts:
                parts.append(self._upload_part(target, upload["UploadId"], len(parts) + 1, bytes(buffer)))
            self._s3.complete_multipart_upload(
                Bucket=self.bucket, Key=target, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
            )
        except BaseException:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=target, UploadId=upload["UploadId"])
            raise

    def _upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> dict[str, Any]:
        response = self._s3.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        return {"ETag": response["ETag"], "PartNumber": number}
