"""A real moto server over HTTP for the tests, and helpers to talk to its control APIs.

The server is the local stack's (:class:`zstc_local.aws_emulator.MotoServer`, with its fix for
form-typed S3 PUT bodies), so integration tests run against the emulator users run; this module's
:class:`MotoHarness` adds a free port and moto's control API (reset, canned endpoint answers).
"""

from __future__ import annotations

import json
import socket
import urllib.request
from typing import Any

from zstc.contract import media_types
from zstc_local.aws_emulator import MotoServer
from zstc_local.constants import ACCOUNT_ID, REGION

__all__ = ["ACCOUNT_ID", "REGION", "MotoHarness", "free_port"]


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MotoHarness:
    """The local stack's moto server on a free loopback port, and moto's control API."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = MotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def start(self) -> None:
        """Start serving in a background thread."""
        self._server.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def reset(self) -> None:
        """Forget every resource and canned result (moto's reset API)."""
        self._post("/moto-api/reset", {})

    def queue_endpoint_results(self, bodies: list[Any]) -> None:
        """Queue answers for the next sagemaker-runtime InvokeEndpoint calls (moto's canned results)."""
        results = [
            {
                "Body": json.dumps(body),
                "ContentType": media_types.JSON,
                "InvokedProductionVariant": "AllTraffic",
            }
            for body in bodies
        ]
        self._post(
            "/moto-api/static/sagemaker/endpoint-results",
            {"account_id": ACCOUNT_ID, "region": REGION, "results": results},
        )

    def _post(self, path: str, payload: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": media_types.JSON},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
