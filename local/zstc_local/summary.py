"""What the running local stack tells people at start-up: the parts' URLs, the model, what is not emulated.

Its own module so that both commands that print it (``zstc local up``, ``zstc demo``) import it and
imports flow one way: zstc_cli -> summary -> stack.
"""

from __future__ import annotations

from zstc_local.stack import LocalStack, StackError

ENGLISH_ONLY_NOTE = (
    "the offline model is English-only: other languages classify poorly. Deployed stacks can run a "
    "multilingual JumpStart NLI model, e.g. ModelId=huggingface-zstc-moritzlaurer-mdeberta-v3-base-xnli-"
    "multilingual-nli-2mil7 (docs/deploy.md)."
)
"""Said where users look: the start-up banner of ``zstc local up`` and ``zstc demo``, and README.md."""


def describe(stack: LocalStack) -> str:
    """What is running where, and what is not emulated."""
    if stack.api is None or stack.endpoint is None:
        raise StackError("the stack is not running")
    from zstc_engine.loading import OFFLINE_MODEL_NOTE  # noqa: PLC0415

    lines = [
        f"zstc local stack ready in {stack.started_in_seconds:.1f} s",
        f"  API            {stack.api.url}   (POST /classify, GET /health, GET /swagger)",
        f"  AWS emulator   {stack.aws_url}   (moto: aws --endpoint-url {stack.aws_url} ...)",
        f"  model endpoint {stack.endpoint.url}   (endpoint {stack.endpoint_name}: "
        f"{stack.endpoint.classifier.description})",
    ]
    if stack.endpoint.classifier.method == "embedding" and not stack.settings.model_dir:
        lines.append(f"  note: {OFFLINE_MODEL_NOTE}")
        lines.append(f"  language: {ENGLISH_ONLY_NOTE}")
    if stack.not_emulated:
        lines.append(f"  not emulated yet: {', '.join(stack.not_emulated)}")
    return "\n".join(lines)
