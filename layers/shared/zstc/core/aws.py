"""Cached boto3 client factory: clients are built on first use, never at import time.

Endpoints come from the standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` variables,
which is how the local stack and the tests point handlers at an emulator without code branches.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config


@cache
def client(
    service_name: str, *, connect_timeout: float = 3.0, read_timeout: float = 60.0, max_attempts: int = 3
) -> Any:
    """A boto3 client for ``service_name`` with explicit timeouts and standard-mode retries.

    S3 clients sign with SigV4, presigned URLs included: left unset, botocore presigns with SigV2
    in us-east-1, whose signature covers the Content-Type, so an upload sending ``text/csv`` to a URL
    signed without one is refused by S3 (SignatureDoesNotMatch); SigV4 URLs sign the host only.
    """
    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        user_agent_extra="zstc",
        signature_version="s3v4" if service_name == "s3" else None,
    )
    # botocore directly: boto3 adds ~50 ms of imports to a cold start and nothing the handlers use.
    return botocore.session.get_session().create_client(service_name, config=config)
