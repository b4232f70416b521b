"""The AWS emulator (moto server) with one fix where it departs from AWS in a way users hit.

moto reads a PUT whose Content-Type is ``application/x-www-form-urlencoded`` as an HTML form and
stores an empty object, while S3 stores the bytes as sent. That Content-Type is what ``curl
--data-binary`` and Python's urllib send by default, so a user following the upload instructions
locally got a job Rejected as "the file is empty". :func:`raw_put_bodies` wraps moto's WSGI
application so such a PUT reaches it as opaque bytes (``application/octet-stream``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def raw_put_bodies(app: WsgiApp) -> WsgiApp:
    """A WSGI app that hands ``app`` every PUT body as bytes, never as a parsed form."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        content_type = str(environ.get("CONTENT_TYPE", ""))
        if environ.get("REQUEST_METHOD") == "PUT" and content_type.lower().startswith(FORM_MEDIA_TYPE):
            environ["CONTENT_TYPE"] = "application/octet-stream"
        return app(environ, start_response)

    return wrapped


class MotoServer(ThreadedMotoServer):
    """moto's threaded server serving :func:`raw_put_bodies` of its application."""

    def _server_entry(self) -> None:
        app = raw_put_bodies(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()
