"""The local stack: a moto server, the local model endpoint and the local API, wired from template.yaml.

Handlers run in-process with the environment the template gives them, and reach the emulators
only through the standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`` variables.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zstc_local.api_gateway import LocalApi, routes_from
from zstc_local.constants import DEFAULT_API_PORT, DEFAULT_AWS_PORT, DEFAULT_MODEL_PORT, REGION
from zstc_local.endpoint import LocalEndpoint
from zstc_local.handlers import Handler, load_handler
from zstc_local.provision import LOCAL_RESOURCE_NAMES, provision
from zstc_local.template import TEMPLATE_PATH, Template

log = logging.getLogger("zstc.local")

EMULATED_EVENT_TYPES = frozenset({"Api"})
"""Event sources this version of the local stack delivers; others are reported at start-up."""


class StackError(RuntimeError):
    """The local stack cannot start; the message says what to change."""


@dataclass
class StackSettings:
    """Where the parts listen and which model the endpoint serves."""

    host: str = "127.0.0.1"
    api_port: int = DEFAULT_API_PORT
    aws_port: int = DEFAULT_AWS_PORT
    model_port: int = DEFAULT_MODEL_PORT
    model_dir: str | None = None
    model_method: str | None = None
    template_path: Path = TEMPLATE_PATH
    parameters: dict[str, str] = field(default_factory=dict)
    handler_environment: dict[str, str] = field(default_factory=dict)
    """Extra variables for every handler on top of the template's (e.g. a quieter log level)."""


class LocalStack:
    """Start with :meth:`start` (or as a context manager), stop with :meth:`stop`."""

    def __init__(self, settings: StackSettings | None = None) -> None:
        self.settings = settings or StackSettings()
        self.template = Template(
            self.settings.template_path,
            parameters=self.settings.parameters,
            resource_names=LOCAL_RESOURCE_NAMES,
        )
        self.endpoint_name = self.template.parameters["EndpointName"]
        self.not_emulated: list[str] = []
        self.started_in_seconds = 0.0
        self._moto: Any = None
        self.endpoint: LocalEndpoint | None = None
        self.api: LocalApi | None = None
        self._saved_environ: dict[str, str] | None = None

    @property
    def aws_url(self) -> str:
        """The AWS emulator's URL."""
        return f"http://{self.settings.host}:{self.settings.aws_port}"

    def start(self) -> LocalStack:
        """Start every part; on any failure, stop what started and raise ``StackError``."""
        started = time.monotonic()
        settings = self.settings
        for name, port in (
            ("api", settings.api_port),
            ("aws", settings.aws_port),
            ("model", settings.model_port),
        ):
            _require_free_port(settings.host, port, f"--{name}-port")
        try:
            self._start_parts()
        except BaseException:
            self.stop()
            raise
        self.started_in_seconds = time.monotonic() - started
        return self

    def _start_parts(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - heavy, only when starting

        from zstc_engine.loading import load_classifier  # noqa: PLC0415 - imports torch

        settings = self.settings
        self._moto = ThreadedMotoServer(ip_address=settings.host, port=settings.aws_port, verbose=False)
        self._moto.start()
        classifier = load_classifier(settings.model_dir, settings.model_method)
        self.endpoint = LocalEndpoint(classifier, self.endpoint_name, settings.host, settings.model_port)
        self.endpoint.start()
        self._apply_environment()
        self._register_endpoint()
        self._provision()
        functions = self.template.functions()
        handlers: dict[str, Handler] = {}
        for spec in functions.values():
            emulated = [n for n, e in spec.events.items() if e.get("Type") in EMULATED_EVENT_TYPES]
            self.not_emulated += [
                f"{spec.logical_id}.{name} ({event.get('Type')})"
                for name, event in spec.events.items()
                if event.get("Type") not in EMULATED_EVENT_TYPES
            ]
            if emulated:
                handlers[spec.logical_id] = load_handler(spec, settings.handler_environment)
        self.api = LocalApi(routes_from(functions), handlers, settings.host, settings.api_port)
        self.api.start()

    def _apply_environment(self) -> None:
        """Point every AWS client in this process at the emulators (handlers read these at import)."""
        assert self.endpoint is not None
        self._saved_environ = dict(os.environ)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": self.aws_url,
                "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": self.endpoint.url,
            }
        )
        for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(variable, None)

    def _register_endpoint(self) -> None:
        """Create the endpoint in the emulated control plane, so DescribeEndpoint sees it InService."""
        import boto3  # noqa: PLC0415

        sagemaker = boto3.client("sagemaker", endpoint_url=self.aws_url, region_name=REGION)
        model_name = f"{self.endpoint_name}-local-model"
        sagemaker.create_model(
            ModelName=model_name,
            ExecutionRoleArn="arn:aws:iam::123456789012:role/zstc-local",
            PrimaryContainer={"Image": "zstc-local-engine:latest"},
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{self.endpoint_name}-local-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": model_name,
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.xlarge",
                }
            ],
        )
        sagemaker.create_endpoint(
            EndpointName=self.endpoint_name, EndpointConfigName=f"{self.endpoint_name}-local-config"
        )

    def _provision(self) -> None:
        """The template's bucket and table in the emulator, under their local names."""
        import boto3  # noqa: PLC0415

        clients = {
            name: boto3.client(name, endpoint_url=self.aws_url, region_name=REGION)
            for name in ("s3", "dynamodb")
        }
        provision(self.template, clients, LOCAL_RESOURCE_NAMES)

    def stop(self) -> None:
        """Stop every part that started, release the ports, restore the environment."""
        for part in (self.api, self.endpoint, self._moto):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # keep stopping the rest
                    log.exception("stopping %s failed", type(part).__name__)
        self.api = self.endpoint = self._moto = None
        if self._saved_environ is not None:
            os.environ.clear()
            os.environ.update(self._saved_environ)
            self._saved_environ = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _require_free_port(host: str, port: int, flag: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
        try:
            probe.bind((host, port))
        except OSError:
            raise StackError(
                f"port {port} on {host} is in use; stop what uses it or pick another with {flag}"
            ) from None


@contextmanager
def running_stack(settings: StackSettings | None = None) -> Iterator[LocalStack]:
    """A started stack for the duration of a ``with`` block."""
    stack = LocalStack(settings)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
