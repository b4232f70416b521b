"""The local stack's default ports and their environment variables, as the ``zstc`` command gives them.

The command owns them (SAM CLI's commands own ``sam local start-api``'s port 3000 the same way) and
passes every port to the emulator (``zstc_local.stack.StackSettings``), which has no defaults of its
own. The API client reads the API port too: ``ZSTC_API_PORT`` moves both the stack and the client.
"""

from __future__ import annotations

from typing import Final, Literal

Part = Literal["api", "aws", "model", "lambda"]

DEFAULT_PORTS: Final[dict[Part, int]] = {"api": 3000, "aws": 5000, "model": 8080, "lambda": 3001}
"""Local API, AWS emulator (moto), model endpoint, Lambda Invoke API."""

PORT_VARIABLES: Final[dict[Part, str]] = {
    "api": "ZSTC_API_PORT",
    "aws": "ZSTC_AWS_PORT",
    "model": "ZSTC_MODEL_PORT",
    "lambda": "ZSTC_LAMBDA_PORT",
}
"""The environment variable each port option reads (``make up`` and ``make demo`` set them too)."""

CONSOLE_PORT: Final = 3010
"""``zstc console``'s and ``zstc local up --console``'s default port (loopback only)."""

CONSOLE_PORT_VARIABLE: Final = "ZSTC_CONSOLE_PORT"


def nondefault_port_flags(ports: dict[Part, int]) -> str:
    """The ``--<part>-port N`` flags (space-separated, ``""`` for none) that repeat ``ports`` where
    they differ from :data:`DEFAULT_PORTS`: what a hint to run another local command on the same
    ports must add."""
    return " ".join(f"--{part}-port {port}" for part, port in ports.items() if port != DEFAULT_PORTS[part])
