"""The local stack: the whole product on one machine, wired from template.yaml.

A moto server (S3, DynamoDB, SQS, SageMaker control plane, EventBridge rules), the local model
endpoint, the local API, a local Lambda Invoke API, S3 notifications, the EventBridge bus and a
batch transform runner. Handlers run in-process with the environment the template gives them and
reach the emulators only through the standard ``AWS_ENDPOINT_URL*`` variables.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zstc.core import aws
from zstc_local.api_gateway import LocalApi, routes_from
from zstc_local.async_invoke import AsyncFunction, AsyncInvoker, dead_letter_to_sqs
from zstc_local.console import configure as configure_console
from zstc_local.console import named
from zstc_local.constants import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY, REGION, SESSION_VARIABLES
from zstc_local.endpoint import LocalEndpoint
from zstc_local.event_rules import LocalEventBus, rules
from zstc_local.handlers import Handler, load_handler
from zstc_local.lambda_api import LocalLambdaApi
from zstc_local.provision import LOCAL_RESOURCE_NAMES, local_template, provision
from zstc_local.s3_notifications import S3NotificationBridge, subscriptions
from zstc_local.template import TEMPLATE_PATH
from zstc_local.transform_runner import LocalTransformExecutor

log = logging.getLogger("zstc.local")

EMULATED_EVENT_TYPES = frozenset({"Api", "S3", "EventBridgeRule"})
"""Event sources the local stack delivers; others are reported at start-up."""


class StackError(RuntimeError):
    """The local stack cannot start; the message says what to change."""


@dataclass(kw_only=True)
class StackSettings:
    """Where the parts listen and which model the endpoint serves.

    The ports have no defaults here: the ``zstc`` command owns them (``zstc_cli.ports``), tests and
    benches pick free ones.
    """

    host: str = "127.0.0.1"
    api_port: int
    aws_port: int
    model_port: int
    lambda_port: int
    model_dir: str | None = None
    model_method: str | None = None
    template_path: Path = TEMPLATE_PATH
    parameters: dict[str, str] = field(default_factory=dict)
    handler_environment: dict[str, str] = field(default_factory=dict)
    """Extra variables for every handler on top of the template's (e.g. a quieter log level)."""
    verbose: bool = False
    """Handlers log Powertools' JSON and print EMF metrics; by default one readable line per log."""


class LocalStack:
    """Start with :meth:`start` (or as a context manager), stop with :meth:`stop`."""

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.template = local_template(self.settings.template_path, self.settings.parameters)
        self.endpoint_name = self.template.parameters["ExistingEndpointName"]
        self.not_emulated: list[str] = []
        self.started_in_seconds = 0.0
        self.endpoint: LocalEndpoint | None = None
        self.api: LocalApi | None = None
        self.lambda_api: LocalLambdaApi | None = None
        self.invoker: AsyncInvoker | None = None
        self.s3_bridge: S3NotificationBridge | None = None
        self.event_bus: LocalEventBus | None = None
        self.transforms: LocalTransformExecutor | None = None
        self._moto: Any = None
        self._saved_environ: dict[str, str] | None = None
        self._restore_console: Callable[[], None] | None = None

    @property
    def aws_url(self) -> str:
        """The AWS emulator's URL."""
        return f"http://{self.settings.host}:{self.settings.aws_port}"

    def client(self, service: str, endpoint_url: str | None = None) -> Any:
        """A boto3 client for the AWS emulator, or for another local part at ``endpoint_url``."""
        import boto3  # noqa: PLC0415

        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=endpoint_url or self.aws_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the emulator's dummy credentials
        )

    def start(self) -> LocalStack:
        """Start every part; on any failure, stop what started and raise ``StackError``."""
        started = time.monotonic()
        settings = self.settings
        for name, port in (
            ("api", settings.api_port),
            ("aws", settings.aws_port),
            ("model", settings.model_port),
            ("lambda", settings.lambda_port),
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
        from zstc_engine.loading import load_classifier  # noqa: PLC0415 - imports torch
        from zstc_local.aws_emulator import MotoServer  # noqa: PLC0415 - heavy, only when starting

        settings = self.settings
        self._moto = MotoServer(ip_address=settings.host, port=settings.aws_port, verbose=False)
        self._moto.start()
        # moto keeps its state per process: start from a clean emulator (one stack per process).
        urllib.request.urlopen(
            urllib.request.Request(f"{self.aws_url}/moto-api/reset", method="POST"),
            timeout=10,
        ).close()
        classifier = load_classifier(settings.model_dir, settings.model_method)
        self.endpoint = LocalEndpoint(classifier, self.endpoint_name, settings.host, settings.model_port)
        self.endpoint.start()
        self._register_endpoint()
        provision(
            self.template,
            {"s3": self.client("s3"), "dynamodb": self.client("dynamodb")},
            LOCAL_RESOURCE_NAMES,
        )
        queues = self._create_queues()

        functions = self.template.functions()
        self._apply_environment()
        handlers: dict[str, Handler] = {}
        async_functions: dict[str, AsyncFunction] = {}
        quiet = {} if settings.verbose else {"POWERTOOLS_METRICS_DISABLED": "true"}
        for spec in functions.values():
            handlers[spec.logical_id] = named(
                load_handler(spec, {**quiet, **settings.handler_environment}),
                spec.environment.get("POWERTOOLS_SERVICE_NAME", spec.logical_id),
            )
            async_functions[spec.logical_id] = AsyncFunction(
                logical_id=spec.logical_id,
                handler=handlers[spec.logical_id],
                lock=threading.Lock(),
                retries=spec.maximum_retry_attempts,
                timeout_seconds=spec.timeout_seconds,
                dead_letter=dead_letter_to_sqs(self.client("sqs"), queues[spec.dead_letter_queue])
                if spec.dead_letter_queue
                else None,
            )
            self.not_emulated += [
                f"{spec.logical_id}.{name} ({event.get('Type')})"
                for name, event in spec.events.items()
                if event.get("Type") not in EMULATED_EVENT_TYPES
            ]
        self._restore_console = configure_console(settings.verbose)
        self.invoker = AsyncInvoker(async_functions)
        self.invoker.start()
        aliases = {spec.function_name: name for name, spec in functions.items() if spec.function_name}
        self.lambda_api = LocalLambdaApi(
            async_functions, aliases, self.invoker, settings.host, settings.lambda_port
        )
        self.lambda_api.start()
        self.event_bus = LocalEventBus(rules(self.template), self.invoker, self.client("events"))
        self.event_bus.start()
        self.s3_bridge = S3NotificationBridge(
            subscriptions(self.template), self.client("sqs"), self.client("s3"), self.invoker
        )
        self.s3_bridge.start()
        self.transforms = LocalTransformExecutor(
            self.client("sagemaker"), self.client("s3"), self.endpoint.url, self.event_bus.put
        )
        self.transforms.start()
        locks = {name: function.lock for name, function in async_functions.items()}
        self.api = LocalApi(routes_from(functions), handlers, settings.host, settings.api_port, locks=locks)
        self.api.start()

    def _create_queues(self) -> dict[str, str]:
        """The template's SQS queues (dead-letter queues) under local names: logical id -> URL."""
        sqs = self.client("sqs")
        return {
            name: sqs.create_queue(QueueName=local_queue_name(name))["QueueUrl"]
            for name, resource in self.template.resources.items()
            if resource.get("Type") == "AWS::SQS::Queue"
        }

    def _apply_environment(self) -> None:
        """Point every AWS client in this process at the emulators (handlers read these at import)."""
        assert self.endpoint is not None
        self._saved_environ = dict(os.environ)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": LOCAL_SECRET_ACCESS_KEY,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": self.aws_url,
                "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": self.endpoint.url,
                "AWS_ENDPOINT_URL_LAMBDA": f"http://{self.settings.host}:{self.settings.lambda_port}",
            }
        )
        for variable in SESSION_VARIABLES:
            os.environ.pop(variable, None)
        aws.client.cache_clear()  # as a fresh Lambda process would: no client from an earlier stack

    def _register_endpoint(self) -> None:
        """Create the endpoint and the transform model in the emulated control plane."""
        sagemaker = self.client("sagemaker")
        for model_name in {
            f"{self.endpoint_name}-local-model",
            self.template.parameters["TransformModelName"],
        }:
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
                    "ModelName": f"{self.endpoint_name}-local-model",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.xlarge",
                }
            ],
        )
        sagemaker.create_endpoint(
            EndpointName=self.endpoint_name, EndpointConfigName=f"{self.endpoint_name}-local-config"
        )

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Deliver waiting S3 notifications and wait for every async invocation to end (tests, demo)."""
        assert self.s3_bridge is not None
        assert self.invoker is not None
        self.s3_bridge.drain()
        self.invoker.wait_idle(timeout)

    def stop(self) -> None:
        """Stop every part that started, release the ports, restore the environment."""
        for part in (
            self.api,
            self.transforms,
            self.s3_bridge,
            self.lambda_api,
            self.invoker,
            self.endpoint,
            self._moto,
        ):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # keep stopping the rest
                    log.exception("stopping %s failed", type(part).__name__)
        self.api = self.transforms = self.s3_bridge = self.lambda_api = self.invoker = self.endpoint = None
        self._moto = None
        if self._restore_console is not None:
            self._restore_console()
            self._restore_console = None
        if self._saved_environ is not None:
            os.environ.clear()
            os.environ.update(self._saved_environ)
            self._saved_environ = None
            aws.client.cache_clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def local_queue_name(logical_id: str) -> str:
    """The emulator's name for the template's SQS queue ``logical_id`` (e.g. a dead-letter queue)."""
    return f"zstc-local-{logical_id}"


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
def running_stack(settings: StackSettings) -> Iterator[LocalStack]:
    """A started stack for the duration of a ``with`` block."""
    stack = LocalStack(settings)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
