"""Which API the command talks to, and how it authenticates.

The URL comes from ``--api-url``, else ``ZSTC_API_URL``, else the ``ApiUrl`` output of the stack
``--stack-name`` names, else the local stack on this machine (``ZSTC_API_PORT``, as ``zstc local up``
reads it, else port 3000). Authentication: ``x-api-key`` when a key is
given; none for a local URL (the local stack does not check auth); otherwise SigV4 for
``execute-api`` with the standard AWS credential chain (botocore's own signer, no extra library).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from zstc_cli.errors import CliError, ExitCode
from zstc_cli.ports import DEFAULT_PORTS, PORT_VARIABLES

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}  # noqa: S104 - a host name, not a bind
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")

STACK_OUTPUT_VARIABLES = {
    "ApiUrl": "ZSTC_API_URL",
    "ApiKeyId": "ZSTC_API_KEY_ID",
    "DataBucketName": "ZSTC_DATA_BUCKET",
    "JobsTableName": "ZSTC_JOBS_TABLE",
    "EndpointName": "ZSTC_ENDPOINT_NAME",
    "ModelName": "ZSTC_MODEL_NAME",
    "ApiFunctionName": "ZSTC_API_FUNCTION",
}
"""Stack outputs -> the shell variables ``zstc stack env`` exports (and the commands read)."""


class AuthMode(StrEnum):
    """How requests are authenticated."""

    AUTO = "auto"
    SIGV4 = "sigv4"
    API_KEY = "api-key"
    NONE = "none"


@dataclass(frozen=True)
class Target:
    """A resolved API: its base URL (no trailing slash) and how to sign requests."""

    api_url: str
    auth: AuthMode
    api_key: str | None = None
    region: str | None = None

    @property
    def is_local(self) -> bool:
        """True for the local stack (or anything on this machine)."""
        return (urlsplit(self.api_url).hostname or "") in _LOCAL_HOSTS


def local_api_url() -> str:
    """Where ``zstc local up`` serves the API: port ``ZSTC_API_PORT`` (else 3000) on 127.0.0.1.

    Raises ``CliError`` (exit 2) when ``ZSTC_API_PORT`` is not a port number.
    """
    variable = PORT_VARIABLES["api"]
    value = os.environ.get(variable) or str(DEFAULT_PORTS["api"])
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise CliError(f"{variable} must be a port number, got {value!r}", ExitCode.USAGE)
    return f"http://127.0.0.1:{int(value)}"


def stack_outputs(stack_name: str, region: str | None = None) -> dict[str, str]:
    """The CloudFormation outputs of ``stack_name`` (OutputKey -> OutputValue).

    Raises ``CliError`` (exit 5) when the stack cannot be read: no credentials, no such stack.
    """
    import boto3  # noqa: PLC0415 - only for --stack-name
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        client: Any = boto3.client("cloudformation", region_name=region)
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        raise CliError(f"cannot read stack {stack_name!r}: {message}", ExitCode.UNREACHABLE) from None
    except BotoCoreError as error:
        raise CliError(f"cannot read stack {stack_name!r}: {error}", ExitCode.UNREACHABLE) from None
    return {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}


def resolve_target(
    api_url: str | None = None,
    stack_name: str | None = None,
    api_key: str | None = None,
    auth: AuthMode | None = AuthMode.AUTO,
    region: str | None = None,
) -> Target:
    """The target the options (or their environment variables) name; see the module docstring."""
    url = api_url or os.environ.get("ZSTC_API_URL")
    if not url and stack_name:
        outputs = stack_outputs(stack_name, region)
        url = outputs.get("ApiUrl")
        if not url:
            raise CliError(f"stack {stack_name!r} has no ApiUrl output", ExitCode.UNREACHABLE)
    url = (url or local_api_url()).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise CliError(f"--api-url must be an http(s) URL, got {url!r}", ExitCode.USAGE)
    key = api_key or os.environ.get("ZSTC_API_KEY")
    match = _EXECUTE_API_HOST.match(parts.hostname)
    region = region or (match.group("region") if match else None)
    if auth is None or auth is AuthMode.AUTO:
        if key:
            auth = AuthMode.API_KEY
        elif parts.hostname in _LOCAL_HOSTS:
            auth = AuthMode.NONE
        else:
            auth = AuthMode.SIGV4
    if auth is AuthMode.API_KEY and not key:
        raise CliError("--auth api-key needs --api-key (or ZSTC_API_KEY)", ExitCode.USAGE)
    return Target(api_url=url, auth=auth, api_key=key, region=region)
