"""Amazon S3 adapter for one bucket: object metadata, streamed reads, writes, presigned uploads, assembly."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from typing import Any

from botocore.exceptions import ClientError

from zstc.core import aws
from zstc.core.objects import BinaryReader, ObjectInfo, binary_lines

MULTIPART_PART_BYTES = 5 * 1024 * 1024  # S3's minimum part size: the least memory per part


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

    def open(self, key: str) -> BinaryReader:
        """The object's body as a stream (read it once, then close it); raises KeyError when missing."""
        try:
            body: BinaryReader = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                raise KeyError(key) from None
            raise
        return body

    def iter_lines(self, key: str) -> Iterator[bytes]:
        """The object's lines (split on ``\\n`` only, with their endings), streamed; KeyError when missing."""
        with closing(self.open(key)) as body:
            yield from binary_lines(body)

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
        with MultipartWriter(self._s3, self.bucket, target, content_type) as writer:
            for key in keys:
                body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
                for chunk in body.iter_chunks(1024 * 1024):
                    writer.write(chunk)


class MultipartWriter(io.RawIOBase):
    """A write-only file that streams into an S3 multipart upload, one part at a time.

    ``close()`` completes the upload; ``abort()`` (or an exception inside ``with``) discards it.
    """

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str) -> None:
        super().__init__()
        self._s3, self._bucket, self._key = s3, bucket, key
        self._upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)[
            "UploadId"
        ]
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._buffer += chunk
        self.size += len(chunk)
        if len(self._buffer) >= MULTIPART_PART_BYTES:
            self._flush_part(bytes(self._buffer))  # the whole buffer: one copy, no slicing
            self._buffer.clear()
        return len(chunk)

    def _flush_part(self, data: bytes) -> None:
        number = len(self._parts) + 1
        response = self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=data
        )
        self._parts.append({"ETag": response["ETag"], "PartNumber": number})

    def close(self) -> None:
        if not self.closed:
            if self._buffer or not self._parts:
                self._flush_part(bytes(self._buffer))
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        super().close()

    def abort(self) -> None:
        """Discard the upload (nothing is left in the bucket)."""
        if not self.closed:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            super().close()

    def __exit__(self, *exc_info: Any) -> None:
        if exc_info[0] is not None:
            self.abort()
        else:
            self.close()
