"""S3 primitives over a botocore client, shared by the batch layer's S3 adapter
(:class:`zstc.batch.s3.S3Store`) and the deployment code: a HEAD as :class:`ObjectInfo`, and a
streamed multipart upload. They implement no port; feature logic never imports them (import-linter).
"""

from __future__ import annotations

import io
from typing import Any

from botocore.exceptions import ClientError

from zstc.core.objects import ObjectInfo

MULTIPART_PART_BYTES = 5 * 1024 * 1024  # S3's minimum part size: the least memory per part


def head_object(s3: Any, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo | None:
    """Size, version (VersionId, else ETag) and user metadata of ``s3://bucket/key``, of the version
    ``version_id`` when given (else the latest); None when it (or that version) is gone.

    ``s3`` is a botocore S3 client; errors other than a missing object propagate (``ClientError``).
    """
    request = {"Bucket": bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
    try:
        response = s3.head_object(**request)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        # S3 answers a HEAD of a version id it cannot parse with a bare 400: no such version either
        if code in {"404", "NoSuchKey", "NoSuchVersion", "NotFound"} or (version_id and code == "400"):
            return None
        raise
    version_id = response.get("VersionId")
    if not version_id or version_id == "null":
        version_id = None
    version = version_id or response["ETag"].strip('"')
    metadata = dict(response.get("Metadata") or {})
    return ObjectInfo(int(response["ContentLength"]), version, metadata, version_id)


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
