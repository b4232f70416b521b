"""Read template.yaml: the single source of truth for functions, handlers and their environment.

Only what the local stack needs is interpreted: parameters (defaults or overrides), Globals,
AWS::Serverless::Function properties, and the intrinsics used in environment variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
FUNCTION_TYPE = "AWS::Serverless::Function"
DEFAULT_TIMEOUT_SECONDS = 3.0
"""Lambda's timeout when neither the function nor Globals sets one."""
DEFAULT_RETRY_ATTEMPTS = 2
"""Lambda's retries of a failed asynchronous invocation when EventInvokeConfig sets none."""


class TemplateError(ValueError):
    """The template holds something the local stack cannot interpret."""


@dataclass(frozen=True)
class FunctionSpec:
    """One function as the template declares it (Globals applied), with its environment resolved."""

    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    events: dict[str, Any] = field(default_factory=dict)
    function_name: str | None = None
    """The physical ``FunctionName``, resolved, when the template sets one."""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    maximum_retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    """``EventInvokeConfig.MaximumRetryAttempts``: retries of a failed asynchronous invocation."""
    dead_letter_queue: str | None = None
    """Logical id of the ``DeadLetterQueue`` target (``!GetAtt <Queue>.Arn``), if any."""

    @property
    def module_path(self) -> Path:
        """The handler's source file (``app.lambda_handler`` -> ``<code_dir>/app.py``)."""
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        """The handler's function name inside its module."""
        return self.handler.rpartition(".")[2]


class Template:
    """A parsed SAM template with parameter values and names for referenced resources."""

    def __init__(
        self,
        path: Path = TEMPLATE_PATH,
        *,
        parameters: dict[str, str] | None = None,
        resource_names: dict[str, str] | None = None,
        pseudo: dict[str, str] | None = None,
    ) -> None:
        self.path = path
        self.document: dict[str, Any] = yaml_parse(path.read_text(encoding="utf-8"))
        self.parameters = self._parameter_values(parameters or {})
        self.resource_names = dict(resource_names or {})
        self.pseudo = {
            "AWS::Region": "us-east-1",
            "AWS::AccountId": "123456789012",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "zstc-local",
            **(pseudo or {}),
        }

    @property
    def resources(self) -> dict[str, Any]:
        """The template's Resources section."""
        resources: dict[str, Any] = self.document.get("Resources", {})
        return resources

    def function_ids(self) -> list[str]:
        """Logical ids of every AWS::Serverless::Function whose Condition (if any) holds."""
        return [
            name
            for name, resource in self.resources.items()
            if resource.get("Type") == FUNCTION_TYPE
            and ("Condition" not in resource or self.condition(str(resource["Condition"])))
        ]

    def functions(self) -> dict[str, FunctionSpec]:
        """Every AWS::Serverless::Function, keyed by logical id."""
        return {logical_id: self.function(logical_id) for logical_id in self.function_ids()}

    def function(self, logical_id: str) -> FunctionSpec:
        """One function with its environment resolved; a clear error for an unknown logical id."""
        if logical_id not in self.function_ids():
            raise TemplateError(
                f"template has no function {logical_id!r}; it has {sorted(self.function_ids())}"
            )
        globals_ = self.document.get("Globals", {}).get("Function", {})
        props = self.resources[logical_id].get("Properties", {})
        variables = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        # SAM merges map-valued Globals into the function's own map, key by key.
        invoke_config = {**globals_.get("EventInvokeConfig", {}), **props.get("EventInvokeConfig", {})}
        dead_letter = {**globals_.get("DeadLetterQueue", {}), **props.get("DeadLetterQueue", {})}
        return FunctionSpec(
            logical_id=logical_id,
            code_dir=(self.path.parent / str(props["CodeUri"])).resolve(),
            handler=str(props.get("Handler", globals_.get("Handler", ""))),
            environment={name: str(self.resolve(value)) for name, value in variables.items()},
            events=props.get("Events", {}),
            function_name=str(self.resolve(props["FunctionName"])) if "FunctionName" in props else None,
            timeout_seconds=float(props.get("Timeout", globals_.get("Timeout", DEFAULT_TIMEOUT_SECONDS))),
            maximum_retry_attempts=int(invoke_config.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)),
            dead_letter_queue=_get_att_resource(dead_letter.get("TargetArn")),
        )

    def resolve(self, value: Any) -> Any:
        """Resolve Ref / Fn::Sub / Fn::If / Fn::Join on parameters, pseudo parameters and named resources."""
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(str(arg))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                condition, when_true, when_false = arg
                return self.resolve(when_true if self.condition(condition) else when_false)
            if key == "Fn::FindInMap":
                mapping, first, second = (str(self.resolve(part)) for part in arg)
                return self.document["Mappings"][mapping][first][second]
            if key == "Fn::Join":
                separator, items = arg
                resolved = self.resolve(items)
                if isinstance(resolved, str):  # a CommaDelimitedList parameter
                    resolved = resolved.split(",") if resolved else []
                return separator.join(str(self.resolve(item)) for item in resolved)
            if key.startswith("Fn::"):
                raise TemplateError(f"the local stack cannot resolve {key}")
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def resolve_deep(self, value: Any) -> Any:
        """:meth:`resolve` applied through nested dicts and lists (e.g. an event pattern)."""
        if isinstance(value, dict) and not (
            len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::"))
        ):
            return {key: self.resolve_deep(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve_deep(item) for item in value]
        return self.resolve(value)

    def condition(self, name: str) -> bool:
        """Evaluate a named condition (Fn::Equals / Fn::Not / Fn::And / Fn::Or / Condition)."""
        definition = self.document.get("Conditions", {}).get(name)
        if definition is None:
            raise TemplateError(f"template has no condition {name!r}")
        return self._evaluate(definition)

    def _evaluate(self, expression: Any) -> bool:
        ((key, arg),) = expression.items()
        if key == "Fn::Equals":
            return bool(str(self.resolve(arg[0])) == str(self.resolve(arg[1])))
        if key == "Fn::Not":
            return not self._evaluate(arg[0])
        if key == "Fn::And":
            return all(self._evaluate(item) for item in arg)
        if key == "Fn::Or":
            return any(self._evaluate(item) for item in arg)
        if key == "Condition":
            return self.condition(str(arg))
        raise TemplateError(f"the local stack cannot evaluate condition function {key}")

    def _ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.resource_names:
            return self.resource_names[name]
        raise TemplateError(f"cannot resolve Ref {name!r}: not a parameter and no local name was given")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def _parameter_values(self, overrides: dict[str, str]) -> dict[str, str]:
        declared = self.document.get("Parameters", {})
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameters: {sorted(unknown)}")
        values = {}
        for name, spec in declared.items():
            if name in overrides:
                values[name] = str(overrides[name])
            elif "Default" in spec:
                values[name] = str(spec["Default"])
        return values


def _get_att_resource(value: Any) -> str | None:
    """The logical id in ``!GetAtt <Resource>.<Attribute>``; None for anything else."""
    target = value.get("Fn::GetAtt") if isinstance(value, dict) else None
    if isinstance(target, str):
        return target.split(".", 1)[0]
    return str(target[0]) if target else None
