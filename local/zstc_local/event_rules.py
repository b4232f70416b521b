"""EventBridge rules from the template, matched with EventBridge's pattern semantics.

Rules are created in the emulator (so ``aws events list-rules`` shows them) and every event put on
the local bus is matched against each rule's pattern (prefix, numeric, anything-but, exists, ...)
with moto's implementation of EventBridge pattern matching; matches go to the async invoker.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from moto.events.models import EventPattern

from zstc_local.async_invoke import AsyncInvoker
from zstc_local.template import Template

log = logging.getLogger("zstc.local.events")


@dataclass(frozen=True)
class Rule:
    """One ``Type: EventBridgeRule`` event of a function."""

    function: str
    event_name: str
    pattern: dict[str, Any]

    @property
    def name(self) -> str:
        """The rule's name in the emulator."""
        return f"{self.function}{self.event_name}"[:64]

    def matches(self, event: dict[str, Any]) -> bool:
        """True when ``event`` matches the rule's pattern."""
        return bool(EventPattern.load(json.dumps(self.pattern)).matches_event(event))  # type: ignore[arg-type]


def rules(template: Template) -> list[Rule]:
    """Every EventBridge rule event source in the template, patterns resolved."""
    found = []
    for spec in template.functions().values():
        for name, event in spec.events.items():
            if event.get("Type") == "EventBridgeRule":
                found.append(
                    Rule(spec.logical_id, name, template.resolve_deep(event["Properties"]["Pattern"]))
                )
    return found


class LocalEventBus:
    """The default event bus: put an event, every matching rule's function gets it asynchronously."""

    def __init__(self, rules_: list[Rule], invoker: AsyncInvoker, events_client: Any) -> None:
        self.rules = rules_
        self._invoker = invoker
        self._events = events_client

    def start(self) -> None:
        """Create the rules in the emulator."""
        for rule in self.rules:
            self._events.put_rule(Name=rule.name, EventPattern=json.dumps(rule.pattern), State="ENABLED")

    def put(self, event: dict[str, Any]) -> list[str]:
        """Deliver ``event`` to every matching rule's function; returns those functions."""
        matched = [rule.function for rule in self.rules if rule.matches(event)]
        for function in matched:
            self._invoker.submit(function, event, source=f"events:{event.get('detail-type')}")
        if not matched:
            log.info("no rule matches %s event", event.get("detail-type"))
        return matched
