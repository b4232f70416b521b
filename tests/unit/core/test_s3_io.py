"""zstc.core.s3_io.head_object's answers to S3's refusals (S3's own status codes, which moto does not
reproduce: it answers 404 for any version id)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from zstc.core.s3_io import head_object


class _RefusingS3:
    """A botocore S3 client's head_object, refusing with one HTTP status as S3 does for HEAD (no body)."""

    def __init__(self, status: int) -> None:
        self.status = status

    def head_object(self, **request: Any) -> Any:
        response: Any = {
            "Error": {"Code": str(self.status)},
            "ResponseMetadata": {"HTTPStatusCode": self.status},
        }
        raise ClientError(response, "HeadObject")


def test_a_version_id_s3_cannot_parse_is_no_such_version() -> None:
    # S3 answers HEAD ?versionId=<not one of its ids> with 400: that version does not exist
    assert head_object(_RefusingS3(400), "bucket", "key", "not-a-version") is None


@pytest.mark.parametrize(("status", "version_id"), [(400, None), (403, "v1"), (500, "v1")])
def test_other_refusals_propagate(status: int, version_id: str | None) -> None:
    with pytest.raises(ClientError):
        head_object(_RefusingS3(status), "bucket", "key", version_id)
