"""The local API Gateway over raw sockets: framing, slow bodies and methods without a resource.

The local API must fail as API Gateway does, not differently: a chunked body is read (API Gateway
accepts chunked requests), a body it cannot frame is a JSON 400 naming the header and the connection
closes, a client stalling mid-body holds no admission slot, and OPTIONS/HEAD/TRACE get API Gateway's
403 ``{"message": "Missing Authentication Token"}``.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from zstc_local.api_gateway import LocalApi, routes_from
from zstc_local.handlers import Handler
from zstc_local.provision import local_template

ADMITTED = 2
BODY_TIMEOUT = 1.0


def _echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with the body the handler received, so a test sees exactly what reached the function."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"body": event["body"], "method": event["httpMethod"]}),
    }


@pytest.fixture
def api() -> Iterator[LocalApi]:
    functions = local_template().functions()
    handlers: dict[str, Handler] = dict.fromkeys(functions, _echo)
    server = LocalApi(
        routes_from(functions),
        handlers,
        "127.0.0.1",
        0,
        max_in_flight=ADMITTED,
        body_timeout_seconds=BODY_TIMEOUT,
    )
    server.start()
    yield server
    server.stop()


def _connect(api: LocalApi) -> socket.socket:
    host, port = api.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def _responses(connection: socket.socket) -> list[tuple[int, dict[str, str], bytes]]:
    """Every response on the connection until the server closes it (or a 5 s quiet)."""
    connection.settimeout(5)
    data = b""
    try:
        while chunk := connection.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    answers = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
        length = int(headers.get("content-length", "0"))
        answers.append((int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return answers


def _exchange(api: LocalApi, raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    with _connect(api) as connection:
        connection.sendall(raw)
        connection.shutdown(socket.SHUT_WR)
        return _responses(connection)


def test_a_chunked_body_reaches_the_function_whole(api: LocalApi) -> None:
    # Given a JSON body sent in two chunks, then a second request on the same connection
    body = b'{"inputs": "x", "parameters": {"candidate_labels": ["a", "b"]}}'
    chunked = b"%x\r\n%s\r\n%x;ext=1\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
    raw = (
        b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunked + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    )

    # When both are sent
    answers = _exchange(api, raw)

    # Then the function got the whole body, and the next request is answered as itself
    assert [status for status, _, _ in answers] == [200, 200]
    assert json.loads(answers[0][2])["body"] == body.decode()
    assert json.loads(answers[1][2]) == {"body": None, "method": "GET"}


@pytest.mark.parametrize(
    ("framing", "header"),
    [
        (
            b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "Transfer-Encoding",
        ),
        (b"Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "Transfer-Encoding"),
        (b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", "Transfer-Encoding"),
        (b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", "Transfer-Encoding"),
        (b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel", "Transfer-Encoding"),
        (b"Content-Length: -1\r\n\r\nhello", "Content-Length"),
        (b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "Content-Length"),
        (b"Content-Length: 0x5\r\n\r\nhello", "Content-Length"),
        (b"Content-Length: 10\r\n\r\nhello", "Content-Length"),  # then the client stops sending
    ],
    ids=["both", "gzip", "bad-size", "long-chunk", "cut-chunk", "negative", "two-lengths", "hex", "cut"],
)
def test_a_body_that_cannot_be_framed_is_a_json_400_naming_the_header_and_the_connection_closes(
    api: LocalApi, framing: bytes, header: str
) -> None:
    # Given a request whose body framing is broken, followed by what would look like another request
    follow = b"" if framing.endswith(b"hello") else b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = b"POST /classify HTTP/1.1\r\nHost: x\r\n" + framing + follow

    # When it is sent
    answers = _exchange(api, raw)

    # Then one JSON 400 names the header, and nothing left over is answered as a request
    assert len(answers) == 1
    status, headers, payload = answers[0]
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    error = json.loads(payload)["error"]
    assert error["code"] == "invalid_framing"
    assert error["details"][0]["loc"] == ["header", header]


def test_clients_stalled_mid_body_hold_no_slot_and_are_cut_off_with_408(api: LocalApi) -> None:
    # Given more clients than the API admits, each stalled halfway through its body
    stalled = [_connect(api) for _ in range(ADMITTED * 3)]
    for connection in stalled:
        connection.sendall(b'POST /classify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"inputs"')

    # When another client sends a whole request meanwhile
    answers = _exchange(api, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    # Then it is served (not 503), and each stalled client gets a JSON 408 and a closed connection
    assert [status for status, _, _ in answers] == [200]
    for connection in stalled:
        with connection:
            cut_off = _responses(connection)
        assert [status for status, _, _ in cut_off] == [408]
        assert json.loads(cut_off[0][2])["error"]["code"] == "request_timeout"
    assert api.rejected == 0


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD", "TRACE", "CONNECT", "DELETE"])
def test_a_method_without_a_resource_gets_api_gateways_403(api: LocalApi, method: str) -> None:
    # Given a method the template declares for no resource
    raw = f"{method} /classify HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()

    # When it is sent
    answers = _exchange(api, raw)

    # Then API Gateway's own JSON answer, with no body for HEAD
    assert len(answers) == 1
    status, headers, payload = answers[0]
    assert status == 403
    assert headers["content-type"] == "application/json"
    if method == "HEAD":
        assert payload == b""
    else:
        assert json.loads(payload) == {"message": "Missing Authentication Token"}


def test_an_unknown_method_and_a_bad_request_line_are_json_not_html(api: LocalApi) -> None:
    for raw in (b"BREW /classify HTTP/1.1\r\nHost: x\r\n\r\n", b"GARBAGE\r\n\r\n"):
        answers = _exchange(api, raw)
        assert len(answers) == 1
        status, headers, payload = answers[0]
        assert status in {400, 501}
        assert headers["content-type"] == "application/json"
        assert json.loads(payload)["error"]["message"]


@pytest.mark.parametrize("digits", ["9" * 20, "9" * 5000, "0" * 5000 + "5"])
def test_a_content_length_of_any_length_is_answered_in_json(api: LocalApi, digits: str) -> None:
    # Given a Content-Length far past the body limit (5,000 digits is past Python's int() limit), and one
    # of 5 written with 5,000 leading zeros
    raw = f"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Length: {digits}\r\n\r\nhello".encode()
    # When it is sent
    [(status, headers, payload)] = _exchange(api, raw)
    # Then the large ones are a JSON 413 naming the header, and the zero-padded one is read as 5 bytes
    assert headers["content-type"] == "application/json"
    if digits.endswith("5"):
        assert status != 413
    else:
        assert status == 413
        assert json.loads(payload)["error"]["details"][0]["loc"] == ["header", "Content-Length"]
