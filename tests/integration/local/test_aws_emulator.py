"""The local S3 refuses tampered presigned URLs as S3 does: 403 and an XML error, nothing stored."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from tests.support.moto import REGION, free_port
from zstc_local.aws_emulator import MotoServer
from zstc_local.constants import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY

BUCKET = "presigned-checks"
KEY = "input/job-a/input.jsonl"


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    port = free_port()
    server = MotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _s3(
    url: str,
    secret: str = LOCAL_SECRET_ACCESS_KEY,
    access_key: str = LOCAL_ACCESS_KEY_ID,
    signature_version: str = "s3v4",
) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(signature_version=signature_version),
    )


@pytest.fixture
def s3(emulator: str) -> Any:
    client = _s3(emulator)
    client.create_bucket(Bucket=BUCKET)
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    return client


def _put(
    url: str, data: bytes = b'{"inputs": "x"}\n', content_type: str = "application/x-ndjson"
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _presign(client: Any, key: str = KEY, expires: int = 900) -> str:
    url: str = client.generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=expires
    )
    return url


def _error(body: bytes) -> tuple[str, str]:
    root = ElementTree.fromstring(body)
    return root.findtext("Code") or "", root.findtext("Message") or ""


def _stored(client: Any) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_a_valid_presigned_url_stores_the_object(s3: Any) -> None:
    assert _put(_presign(s3))[0] == 200
    assert _stored(s3) == [KEY]


def _edited_key(url: str) -> str:
    return url.replace("/job-a/", "/job-b/")


def _wrong_signature(url: str) -> str:
    head, _, signature = url.rpartition("X-Amz-Signature=")
    return head + "X-Amz-Signature=" + ("0" if signature[0] != "0" else "1") + signature[1:]


def _longer_expiry(url: str) -> str:
    return url.replace("X-Amz-Expires=900", "X-Amz-Expires=3600")


@pytest.mark.parametrize("tamper", [_edited_key, _wrong_signature, _longer_expiry])
def test_a_tampered_presigned_url_is_403_signature_does_not_match(s3: Any, tamper: Any) -> None:
    # Given a presigned URL for one job's key, edited by hand
    url = tamper(_presign(s3))

    # When it is used
    status, body = _put(url)

    # Then S3's refusal, and nothing is stored under either key
    assert status == 403
    assert _error(body)[0] == "SignatureDoesNotMatch"
    assert _stored(s3) == []


def test_an_expired_presigned_url_is_403_request_has_expired(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a URL signed an hour ago for 15 minutes
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_, **__: an_hour_ago)
    url = _presign(s3)
    monkeypatch.undo()

    # When it is used, then it is refused as S3 refuses it
    status, body = _put(url)
    assert status == 403
    assert _error(body) == ("AccessDenied", "Request has expired")
    assert _stored(s3) == []


def test_a_url_signed_with_another_secret_or_key_or_none_is_refused(emulator: str, s3: Any) -> None:
    assert _error(_put(_presign(_s3(emulator, secret="guessed")))[1])[0] == "SignatureDoesNotMatch"
    assert _error(_put(_presign(_s3(emulator, access_key="someone")))[1])[0] == "InvalidAccessKeyId"
    status, body = _put(f"{emulator}/{BUCKET}/{KEY}")  # not signed at all
    assert (status, _error(body)[0]) == (403, "AccessDenied")
    too_long = _presign(s3).replace("X-Amz-Expires=900", "X-Amz-Expires=604801")
    status, body = _put(too_long)
    assert (status, _error(body)[0]) == (400, "AuthorizationQueryParametersError")
    assert _stored(s3) == []


def test_sdk_calls_signed_in_headers_pass_unchanged(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="direct", Body=b"x")
    assert s3.get_object(Bucket=BUCKET, Key="direct")["Body"].read() == b"x"
    download = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "direct"})
    with urllib.request.urlopen(download, timeout=30) as response:
        assert response.read() == b"x"


def test_sigv2_presigned_urls_are_checked_too(emulator: str, s3: Any) -> None:
    # Given a SigV2 presigned URL (signed without a Content-Type)
    v2 = _s3(emulator, signature_version="s3")
    url = _presign(v2)
    assert "Signature=" in url
    assert "X-Amz-Signature" not in url

    # Then, as on S3, only the request it signed is accepted: no key edits, no other Content-Type
    assert _error(_put(_edited_key(url), content_type="")[1])[0] == "SignatureDoesNotMatch"
    assert _error(_put(url, content_type="application/json")[1])[0] == "SignatureDoesNotMatch"
    assert _put(url, content_type="") == (200, b"")
    assert _stored(s3) == [KEY]
