"""Check that the local stack's ports are free before `make demo` / `make up` spends minutes installing.

Standard library only: it runs before the virtualenv exists. Usage: ``check_ports.py PORT:NAME ...``;
exit 1 with one line per busy port and the make variable that moves it.
"""

from __future__ import annotations

import socket
import sys


def busy(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing can listen on ``host:port`` now (TIME_WAIT is fine, as for the stack)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
        return False


def main(arguments: list[str]) -> int:
    """Print one line per busy port; 1 if any is busy, else 0."""
    code = 0
    for argument in arguments:
        port, _, name = argument.partition(":")
        if busy(int(port)):
            print(
                f"port {port} is in use: stop what uses it, or pick another, "
                f"e.g. make demo {name}={int(port) + 100}"
            )
            code = 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
