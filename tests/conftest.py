"""Shared fixtures: a real moto server over HTTP and the api handler loaded from template.yaml."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.support.api import ApiHandlerClient
from tests.support.batch import BatchPath, create_batch_resources
from tests.support.fake_sagemaker import FakeSageMaker
from tests.support.moto import REGION, MotoHarness
from zstc.core import aws
from zstc_engine.classifier import Classifier
from zstc_engine.loading import load_classifier
from zstc_local.constants import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
from zstc_local.endpoint import LocalEndpoint
from zstc_local.handlers import Handler, load_handler
from zstc_local.provision import local_template
from zstc_local.template import Template

# Tools that need a region (the SAM translator, boto3) get one even outside `make test`.
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)

ENDPOINT_NAME = local_template().parameters["ExistingEndpointName"]

# Powertools reads its settings when zstc.core.observability is first imported, and test collection
# imports zstc modules before any handler's environment is applied: give it the template's globals.
for _name, _value in Template().document["Globals"]["Function"]["Environment"]["Variables"].items():
    if isinstance(_value, str):
        os.environ.setdefault(_name, _value)
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "zstc")  # each function sets its own in template.yaml


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoHarness]:
    """One moto server for the session (reset before each test that uses ``aws``)."""
    server = MotoHarness()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local stack's credentials (its S3 checks presigned URLs against them) and region; boto3
    clients are rebuilt for the test."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    aws.client.cache_clear()
    yield
    aws.client.cache_clear()


@pytest.fixture
def moto(moto_server: MotoHarness, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> MotoHarness:
    """The moto server, reset, with every AWS client pointed at it through AWS_ENDPOINT_URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    moto_server.reset()
    return moto_server


@pytest.fixture
def fake_sagemaker(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSageMaker]:
    """A failing-SageMaker server; both SageMaker clients are pointed at it."""
    server = FakeSageMaker()
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", server.url)
    yield server
    server.stop()


ApiFactory = Callable[..., ApiHandlerClient]


@pytest.fixture
def make_api(monkeypatch: pytest.MonkeyPatch, aws_env: None) -> ApiFactory:
    """Load the ApiFunction handler fresh (a cold start) with the template's environment + overrides."""

    def factory(**environment: str) -> ApiHandlerClient:
        spec = local_template().function("ApiFunction")
        for name, value in {**spec.environment, **environment}.items():
            monkeypatch.setenv(name, value)
        return ApiHandlerClient(load_handler(spec, environment))

    return factory


@pytest.fixture
def api(moto: MotoHarness, make_api: ApiFactory) -> ApiHandlerClient:
    """The api handler talking to the moto server."""
    return make_api()


@pytest.fixture(scope="session")
def minilm() -> Classifier:
    """The offline MiniLM classifier (loaded once): the real engine for batch tests."""
    return load_classifier(environ={})


@pytest.fixture
def batch(moto: MotoHarness, monkeypatch: pytest.MonkeyPatch) -> BatchPath:
    """The data bucket and jobs table in moto, and the start_batch / process_results handlers."""
    template = local_template()
    create_batch_resources(template)
    return BatchPath(
        start_batch=_load(template, "StartBatchFunction", monkeypatch),
        process_results=_load(template, "ProcessResultsFunction", monkeypatch),
    )


def _load(template: Template, logical_id: str, monkeypatch: pytest.MonkeyPatch) -> Handler:
    spec = template.function(logical_id)
    for name, value in spec.environment.items():
        monkeypatch.setenv(name, value)
    return load_handler(spec)


@pytest.fixture(scope="module")
def minilm_endpoint(minilm: Classifier) -> Iterator[LocalEndpoint]:
    """A local endpoint named ENDPOINT_NAME serving the offline MiniLM (the real engine over HTTP)."""
    server = LocalEndpoint(minilm, ENDPOINT_NAME, port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def minilm_api(
    minilm_endpoint: LocalEndpoint, make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> ApiHandlerClient:
    """The api handler pointed at the MiniLM endpoint by the standard variable only."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", minilm_endpoint.url)
    return make_api(ENDPOINT_NAME=ENDPOINT_NAME)
