"""Lambda's asynchronous invocation, locally: a queue per function, retries, the dead-letter queue.

S3 notifications, EventBridge rules and ``InvocationType=Event`` calls all arrive here, as they do
in Lambda. A handler that raises is retried (``EventInvokeConfig.MaximumRetryAttempts``, default 2)
and then the event goes to the function's ``DeadLetterQueue`` in the emulator.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zstc_local.context import LocalLambdaContext
from zstc_local.handlers import Handler
from zstc_local.template import DEFAULT_RETRY_ATTEMPTS

log = logging.getLogger("zstc.local.async")
RECENT_DELIVERIES = 1000
"""How many of the latest deliveries :attr:`AsyncInvoker.deliveries` keeps for tests to look at."""


@dataclass
class AsyncFunction:
    """What the local stack knows about one asynchronously invoked function."""

    logical_id: str
    handler: Handler
    lock: threading.Lock
    retries: int = DEFAULT_RETRY_ATTEMPTS
    timeout_seconds: float = 30.0
    dead_letter: Callable[[dict[str, Any], str], None] | None = None


@dataclass
class Delivery:
    """One event handed to a function, and how it ended."""

    function: str
    source: str
    event: dict[str, Any]
    attempts: int = 0
    outcome: str = "pending"
    result: Any = None
    done: threading.Event = field(default_factory=threading.Event)


class AsyncInvoker:
    """Delivers events to functions in background threads, at least once, with retries."""

    def __init__(self, functions: dict[str, AsyncFunction], retry_delay_seconds: float = 0.5) -> None:
        self.functions = functions
        self.retry_delay_seconds = retry_delay_seconds
        self.deliveries: deque[Delivery] = deque(maxlen=RECENT_DELIVERIES)
        """The latest deliveries, newest last (bounded, so a long-running stack does not grow)."""
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"async-invoke-{i}", daemon=True) for i in range(2)
        ]
        self._idle = threading.Condition()
        self._pending = 0

    def start(self) -> None:
        """Start the worker threads."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Let queued deliveries finish, then stop the workers."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=30)

    def submit(self, function: str, event: dict[str, Any], source: str) -> Delivery:
        """Queue ``event`` for ``function`` (returns at once, as an async invoke does)."""
        if function not in self.functions:
            raise KeyError(f"no asynchronously invocable function {function}")
        delivery = Delivery(function, source, event)
        with self._idle:
            self._pending += 1
            self.deliveries.append(delivery)
        self._queue.put(delivery)
        return delivery

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until every submitted delivery has ended (for tests and the demo)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _work(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                self._deliver(delivery)
            finally:
                delivery.done.set()
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        function = self.functions[delivery.function]
        for attempt in range(function.retries + 1):
            delivery.attempts = attempt + 1
            context = LocalLambdaContext(
                function_name=function.logical_id, timeout_seconds=function.timeout_seconds
            )
            try:
                with function.lock:
                    delivery.result = function.handler(delivery.event, context)
            except Exception as error:
                log.warning(
                    "%s failed on %s (attempt %d): %r",
                    function.logical_id,
                    delivery.source,
                    attempt + 1,
                    error,
                )
                delivery.outcome = f"error: {error!r}"
                time.sleep(self.retry_delay_seconds * (2**attempt))
                continue
            delivery.outcome = "ok"
            return
        if function.dead_letter is not None:
            function.dead_letter(delivery.event, delivery.outcome)
        log.error(
            "%s: event moved to the dead-letter queue after %d attempts",
            function.logical_id,
            delivery.attempts,
        )


def dead_letter_to_sqs(sqs: Any, queue_url: str) -> Callable[[dict[str, Any], str], None]:
    """A dead-letter sink that sends the event to an SQS queue, as Lambda's DeadLetterConfig does."""

    def send(event: dict[str, Any], error: str) -> None:
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(event),
            MessageAttributes={"ErrorMessage": {"DataType": "String", "StringValue": error[:1000]}},
        )

    return send
