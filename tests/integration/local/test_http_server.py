"""The local API past its capacity: every client gets an answer (200, or 503 + JSON body + Retry-After).

Loopback only, bounded: 24 concurrent clients against a server that admits 3 requests at once and
whose handler holds the function's lock for 0.2 s (one Lambda execution environment).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from zstc_local.api_gateway import LocalApi, routes_from
from zstc_local.handlers import Handler
from zstc_local.http_server import LISTEN_BACKLOG, BackgroundHttpServer, RequestHandler
from zstc_local.provision import local_template

CLIENTS = 24
ADMITTED = 3


def _slow_api_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(0.2)
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}


def _post(port: int) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps({"inputs": "x", "parameters": {"candidate_labels": ["a", "b"]}})
        connection.request("POST", "/classify", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def api() -> Any:
    functions = local_template().functions()
    handlers: dict[str, Handler] = dict.fromkeys(functions, _slow_api_handler)
    server = LocalApi(routes_from(functions), handlers, "127.0.0.1", 0, max_in_flight=ADMITTED)
    server.start()
    yield server
    server.stop()


def test_past_capacity_the_local_api_answers_503_with_retry_after_and_never_resets(api: LocalApi) -> None:
    # Given a local API admitting 3 requests at once, each holding its function for 0.2 s
    port = int(api.url.rsplit(":", 1)[1])
    start = threading.Barrier(CLIENTS)

    def client(_: int) -> tuple[int, dict[str, str], bytes]:
        start.wait()
        return _post(port)

    # When 24 clients post at the same moment
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(client, range(CLIENTS)))  # a reset would raise here

    # Then every client got an HTTP answer: the admitted ones 200, the rest 503 with the error body
    statuses = [status for status, _, _ in answers]
    assert set(statuses) <= {200, 503}
    assert statuses.count(200) >= ADMITTED
    assert statuses.count(503) >= 1
    assert api.rejected == statuses.count(503)
    for status, headers, body in answers:
        if status == 503:
            assert headers["Retry-After"] == "1"
            assert headers["Content-Type"] == "application/json"
            error = json.loads(body)["error"]
            assert error["code"] == "overloaded"
            assert error["message"]
            assert error["details"] == []
    # And once the burst is over, the API admits requests again
    assert _post(port)[0] == 200


def test_a_server_without_a_limit_queues_every_request_with_a_deep_backlog() -> None:
    # Given the local endpoint's kind of server (no admission limit)
    functions = local_template().functions()
    handlers: dict[str, Handler] = dict.fromkeys(functions, _slow_api_handler)
    api = LocalApi(routes_from(functions), handlers, "127.0.0.1", 0)
    api.start()
    assert api._server.request_queue_size == LISTEN_BACKLOG  # not the stdlib's 5
    assert _post(int(api.url.rsplit(":", 1)[1]))[0] == 200
    api.stop()
    with pytest.raises(ValueError, match="max_in_flight"):
        BackgroundHttpServer(RequestHandler, "127.0.0.1", 0, "x", max_in_flight=0)
