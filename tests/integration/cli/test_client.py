"""The ``zstc`` client's edges: target selection, SigV4 / API key, retries, S3 upload errors, stack outputs.

API Gateway's IAM auth and S3's URL expiry cannot run here, so a small recording HTTP server plays
them (it answers canned responses and keeps what it received); CloudFormation is moto's, over HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.moto import REGION, MotoHarness
from zstc_cli.client.api import HttpApiClient, RetryPolicy
from zstc_cli.client.target import AuthMode, Target, resolve_target
from zstc_cli.errors import ApiError, CliError, ExitCode
from zstc_cli.main import main

ANSWER = {"sequence": "x", "labels": ["a", "b"], "scores": [0.75, 0.25]}


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """Answers each request with the next canned (status, body, content type); keeps what it got."""

    answers: list[tuple[int, bytes, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            recorder.received.append(
                Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
            )
            status, body, content_type = (
                recorder.answers.pop(0)
                if recorder.answers
                else (200, json.dumps(ANSWER).encode(), "application/json")
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{http.server_address[1]}"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield recorder
    http.shutdown()
    http.server_close()


def _error(status: int, code: str = "endpoint_unavailable") -> tuple[int, bytes, str]:
    body = {"error": {"code": code, "message": "not ready", "details": []}}
    return status, json.dumps(body).encode(), "application/json"


def _client(
    server: Recorder, auth: AuthMode = AuthMode.NONE, api_key: str | None = None
) -> tuple[HttpApiClient, list[float]]:
    slept: list[float] = []
    target = Target(api_url=server.url, auth=auth, api_key=api_key, region="eu-west-1")
    return HttpApiClient(target, RetryPolicy(retries=2), sleep=slept.append), slept


# --- target selection -----------------------------------------------------------------------------


def test_the_target_comes_from_the_flag_then_the_environment_then_the_local_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ZSTC_API_URL", raising=False)
    monkeypatch.delenv("ZSTC_API_KEY", raising=False)
    assert resolve_target() == Target("http://127.0.0.1:3000", AuthMode.NONE)
    monkeypatch.setenv("ZSTC_API_URL", "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/")
    deployed = resolve_target()
    assert (deployed.api_url, deployed.auth, deployed.region) == (
        "https://abc123.execute-api.eu-west-1.amazonaws.com/v1",
        AuthMode.SIGV4,
        "eu-west-1",
    )
    assert resolve_target(api_key="k").auth is AuthMode.API_KEY
    assert resolve_target("http://localhost:3100").auth is AuthMode.NONE
    with pytest.raises(CliError, match="must be an http"):
        resolve_target("ftp://example.com")
    with pytest.raises(CliError, match="needs --api-key"):
        resolve_target(auth=AuthMode.API_KEY)


# --- auth -----------------------------------------------------------------------------------------


def test_sigv4_signs_for_execute_api_with_the_standard_credential_chain(
    server: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-1")
    client, _ = _client(server, AuthMode.SIGV4)
    assert client.classify({"inputs": "x", "parameters": {"candidate_labels": ["a", "b"]}}) == ANSWER
    [request] = server.received
    authorization = request.headers["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "SignedHeaders=" in authorization
    assert "host" in authorization.split("SignedHeaders=")[1]
    assert request.headers["x-amz-security-token"] == "token-1"
    assert "x-amz-date" in request.headers


def test_no_credentials_for_sigv4_is_one_clear_error(
    server: Recorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client, _ = _client(server, AuthMode.SIGV4)
    with pytest.raises(CliError, match="no AWS credentials found"):
        client.get_job("0123456789abcdef")
    assert server.received == []


def test_an_api_key_goes_in_x_api_key(server: Recorder) -> None:
    client, _ = _client(server, AuthMode.API_KEY, api_key="key-123")
    client.classify({"inputs": "x", "parameters": {"candidate_labels": ["a", "b"]}})
    assert server.received[0].headers["x-api-key"] == "key-123"
    assert "authorization" not in server.received[0].headers


# --- retries and errors ---------------------------------------------------------------------------


def test_idempotent_calls_are_retried_with_backoff(server: Recorder) -> None:
    server.answers = [_error(503), _error(429, "throttled")]
    client, slept = _client(server)
    assert client.classify({"inputs": "x", "parameters": {"candidate_labels": ["a", "b"]}}) == ANSWER
    assert len(server.received) == 3
    assert len(slept) == 2
    assert 0.25 <= slept[0] <= 0.5
    assert 0.5 <= slept[1] <= 1.0


def test_creating_a_job_is_never_retried(server: Recorder) -> None:
    server.answers = [_error(503)]
    client, slept = _client(server)
    with pytest.raises(ApiError) as raised:
        client.create_job({"format": "csv", "candidate_labels": ["a"]})
    assert (len(server.received), slept) == (1, [])
    assert raised.value.exit_code == ExitCode.API_FAILED
    assert str(raised.value) == "POST /jobs -> 503 endpoint_unavailable: not ready"


def test_retries_give_up_with_the_last_answer(server: Recorder) -> None:
    server.answers = [_error(503)] * 3
    client, _ = _client(server)
    with pytest.raises(ApiError, match=r"GET /jobs/j1 -> 503 endpoint_unavailable"):
        client.get_job("j1")
    assert len(server.received) == 3


def test_api_gateway_answers_are_one_line_too(server: Recorder) -> None:
    server.answers = [(403, b'{"message": "Missing Authentication Token"}', "application/json")]
    client, _ = _client(server)
    with pytest.raises(ApiError, match=r"^GET /jobs -> 403 gateway_error: Missing Authentication Token$"):
        client.list_jobs()


def test_an_expired_upload_url_says_what_to_do(server: Recorder, tmp_path: Path) -> None:
    # Given S3's answer to a presigned PUT after its expiry
    expired = (
        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
        b"<Message>Request has expired</Message></Error>"
    )
    server.answers = [(403, expired, "application/xml")]
    path = tmp_path / "in.csv"
    path.write_text("text\nx\n", encoding="utf-8")
    client, _ = _client(server)
    with pytest.raises(ApiError) as raised:
        client.upload(f"{server.url}/bucket/input/j/in.csv?X-Amz-Expires=900", path, "text/csv")
    assert str(raised.value) == (
        "PUT upload URL -> 403 AccessDenied: Request has expired; upload URLs are valid for 15 minutes: "
        "create a new job with `zstc jobs submit`"
    )
    assert server.received[0].body == b"text\nx\n"
    assert "authorization" not in server.received[0].headers  # the URL carries its own signature


# --- stack outputs --------------------------------------------------------------------------------


def test_stack_outputs_become_exports_and_the_target(
    moto: MotoHarness, server: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a deployed stack with zstc's outputs
    template = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "zstc-data-test"}}},
        "Outputs": {
            "ApiUrl": {"Value": server.url},
            "DataBucketName": {"Value": {"Ref": "Bucket"}},
            "ApiKeyId": {"Value": "not used with IAM auth"},
        },
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="zstc-test", TemplateBody=json.dumps(template)
    )
    # When its outputs are read into the shell
    assert main(["stack", "env", "zstc-test"]) == 0
    exports = capsys.readouterr().out.splitlines()
    # Then each is an export line under its documented name
    assert exports == [
        "export ZSTC_API_KEY_ID='not used with IAM auth'",
        f"export ZSTC_API_URL={server.url}",
        "export ZSTC_DATA_BUCKET=zstc-data-test",
    ]
    # And --stack-name targets the stack's ApiUrl
    server.answers = [(200, json.dumps([ANSWER]).encode(), "application/json")]
    assert main(["--stack-name", "zstc-test", "classify", "x", "-l", "a,b", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ANSWER
    assert server.received[0].path == "/classify"
    # And an unknown stack is one line, exit 5
    assert main(["stack", "env", "no-such-stack"]) == ExitCode.UNREACHABLE
    assert capsys.readouterr().err.startswith("zstc: cannot read stack 'no-such-stack': ")


# --- the command's target and its first-hour mistakes --------------------------------------------


def test_the_local_default_follows_zstc_api_port(
    server: Recorder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the stack moved with ZSTC_API_PORT (as `zstc local up` reads it) and no URL set
    monkeypatch.delenv("ZSTC_API_URL", raising=False)
    monkeypatch.setenv("ZSTC_API_PORT", server.url.rsplit(":", 1)[1])
    assert resolve_target().api_url == server.url
    # When classify runs with no target option, Then it calls that port
    server.answers = [(200, json.dumps([ANSWER]).encode(), "application/json")]
    assert main(["classify", "x", "-l", "a,b", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ANSWER
    assert [request.path for request in server.received] == ["/classify"]


def test_target_options_after_the_command_are_used(
    server: Recorder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ZSTC_API_URL", raising=False)
    server.answers = [(200, json.dumps([ANSWER]).encode(), "application/json")]
    argv = ["classify", "x", "-l", "a,b", "--json", "--api-url", server.url, "--api-key", "k-1"]
    assert main(argv) == 0, capsys.readouterr().err
    [request] = server.received
    assert request.headers["x-api-key"] == "k-1"


@pytest.mark.parametrize("status", [200, 404, 500])
def test_another_service_at_the_url_is_named_not_a_zstc_api(
    server: Recorder, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a web server (HTML) where the API should be
    server.answers = [(status, b"<!doctype html><html><body>Hello</body></html>", "text/html")] * 4
    # When classify calls it
    code = main(["--api-url", server.url, "--retries", "0", "classify", "x", "-l", "a,b"])
    # Then the one line says what answered, not an API error with HTML in it
    err = capsys.readouterr().err
    assert code == ExitCode.UNREACHABLE
    assert err.startswith(
        f"zstc: the service at {server.url} is not a zstc API (got text/html, HTTP {status}: "
    )
    assert err.count("\n") == 1


def test_labels_file_sends_labels_with_commas_and_their_descriptions(
    server: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text('label,description\n"Health, Fitness",exercise\nFinance,\n', encoding="utf-8")
    answer = {"sequence": "x", "labels": ["Health, Fitness", "Finance"], "scores": [0.6, 0.4]}
    server.answers = [(200, json.dumps([answer]).encode(), "application/json")]
    assert main(["classify", "x", "--labels-file", str(labels), "--api-url", server.url]) == 0
    [request] = server.received
    assert json.loads(request.body)["parameters"] == {
        "candidate_labels": ["Health, Fitness", "Finance"],
        "multi_label": False,
        "label_descriptions": {"Health, Fitness": "exercise"},
    }
    assert "Health, Fitness" in capsys.readouterr().out


def test_jobs_submit_checks_a_csv_header_before_creating_the_job(
    server: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a CSV whose text column is "tweet"
    path = tmp_path / "tweets.csv"
    path.write_text(
        "id,tweet\n1,read more books before breakfast\n2,run a marathon in May\n", encoding="utf-8"
    )
    # When it is submitted with the default --text-column
    code = main(["jobs", "submit", str(path), "-l", "a,b", "--api-url", server.url])
    # Then nothing reaches the API, and the error suggests the column
    assert code == ExitCode.USER_ERROR
    assert server.received == []
    assert capsys.readouterr().err.strip() == (
        f"zstc: {path}: no column 'text' for the text (it has id, tweet); pass --text-column tweet"
    )
