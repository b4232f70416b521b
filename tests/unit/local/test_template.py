"""FunctionSpec: what the local stack needs to invoke a function asynchronously, read from the template."""

from __future__ import annotations

from pathlib import Path

from zstc_local.provision import local_template
from zstc_local.template import DEFAULT_RETRY_ATTEMPTS, DEFAULT_TIMEOUT_SECONDS, Template


def test_the_batch_functions_timeouts_retries_and_dead_letter_queues_come_from_template_yaml() -> None:
    # Given the repository's template as the local stack reads it
    template = local_template()
    functions = template.functions()
    # Then the asynchronously invoked functions carry their own timeout, retries and dead-letter queue
    for logical_id in ("StartBatchFunction", "ProcessResultsFunction"):
        spec = functions[logical_id]
        assert spec.timeout_seconds == 900
        assert spec.maximum_retry_attempts == 2
        assert spec.dead_letter_queue is not None
        assert template.resources[spec.dead_letter_queue]["Type"] == "AWS::SQS::Queue"
    # And the API function takes its timeout from Globals, Lambda's default retries and no queue
    api = functions["ApiFunction"]
    assert api.timeout_seconds == template.document["Globals"]["Function"]["Timeout"]
    assert api.maximum_retry_attempts == DEFAULT_RETRY_ATTEMPTS
    assert api.dead_letter_queue is None
    # And a FunctionName is resolved, as the Lambda Invoke API resolves names
    assert functions["ProcessResultsFunction"].function_name == "zstc-local-process-results"
    assert api.function_name is None


def test_the_setup_function_is_never_retried() -> None:
    # Given the template with its default parameters (the model resources, SetupFunction, are on)
    spec = Template().function("SetupFunction")
    # Then CloudFormation's custom resource is not retried and has no dead-letter queue
    assert spec.maximum_retry_attempts == 0
    assert spec.dead_letter_queue is None


def test_globals_apply_under_the_functions_own_settings(tmp_path: Path) -> None:
    # Given a template whose Globals set a timeout, retries and a dead-letter queue
    path = tmp_path / "template.yaml"
    path.write_text(
        """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 60
    EventInvokeConfig: {MaximumRetryAttempts: 1}
    DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt SharedQueue.Arn}
Resources:
  SharedQueue: {Type: AWS::SQS::Queue}
  OwnQueue: {Type: AWS::SQS::Queue}
  Inherits:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: fn/, Handler: app.handler}
  Overrides:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Timeout: 5
      EventInvokeConfig: {MaximumRetryAttempts: 0}
      DeadLetterQueue: {Type: SQS, TargetArn: {"Fn::GetAtt": "OwnQueue.Arn"}}
""",
        encoding="utf-8",
    )
    functions = Template(path).functions()
    # Then a function without its own settings takes the Globals'
    inherits = functions["Inherits"]
    assert (inherits.timeout_seconds, inherits.maximum_retry_attempts) == (60, 1)
    assert inherits.dead_letter_queue == "SharedQueue"
    # And a function's own settings win (the dotted !GetAtt form too)
    overrides = functions["Overrides"]
    assert (overrides.timeout_seconds, overrides.maximum_retry_attempts) == (5, 0)
    assert overrides.dead_letter_queue == "OwnQueue"


def test_without_settings_a_function_gets_lambdas_defaults(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n  Bare:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: fn/, Handler: app.handler}\n",
        encoding="utf-8",
    )
    spec = Template(path).function("Bare")
    assert spec.timeout_seconds == DEFAULT_TIMEOUT_SECONDS
    assert spec.maximum_retry_attempts == DEFAULT_RETRY_ATTEMPTS
    assert spec.dead_letter_queue is None
