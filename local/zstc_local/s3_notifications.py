"""S3 -> Lambda notifications from the template, delivered through the emulator.

Each ``Type: S3`` event of a function becomes a queue notification on the emulated bucket with the
template's events and prefix/suffix filter rules, so the emulator itself decides which objects
notify (and builds the S3 event). A poller moves each notification to the function's async queue.

moto's S3 event leaves out ``s3.object.versionId``, which S3 sends for every object of a versioned
bucket (the template's data bucket is one): :func:`carry_version_ids` adds it, so start_batch reads
the version each event is about locally as on AWS.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from moto.s3 import notifications as moto_notifications

from zstc_local.async_invoke import AsyncInvoker
from zstc_local.constants import ACCOUNT_ID, REGION
from zstc_local.template import Template

log = logging.getLogger("zstc.local.s3")


@dataclass(frozen=True)
class S3Subscription:
    """One function's S3 event source."""

    function: str
    event_name: str
    bucket: str
    events: list[str]
    filter_rules: list[dict[str, str]]

    @property
    def queue_name(self) -> str:
        """The emulator queue that carries this subscription's notifications."""
        return f"zstc-local-s3-{self.function}-{self.event_name}"[:80]


def _with_version_id(build: Any) -> Any:
    """moto's S3 event builder, adding ``versionId`` to the object as S3 does on a versioned bucket."""

    def build_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event: dict[str, Any] = build(event_name, bucket, key, notification_id)
        version_id = getattr(key, "version_id", None)
        if version_id and version_id != "null":  # moto's version of an object of an unversioned bucket
            for record in event["Records"]:
                record["s3"]["object"]["versionId"] = str(version_id)
        return event

    build_event.carries_version_ids = True  # type: ignore[attr-defined]
    return build_event


def carry_version_ids() -> None:
    """Make the emulator's S3 events carry ``s3.object.versionId`` (idempotent; moto runs in-process)."""
    if not getattr(moto_notifications._get_s3_event, "carries_version_ids", False):
        moto_notifications._get_s3_event = _with_version_id(moto_notifications._get_s3_event)


def subscriptions(template: Template) -> list[S3Subscription]:
    """Every ``Type: S3`` event in the template, with the bucket's local name and the filter rules."""
    found = []
    for spec in template.functions().values():
        for name, event in spec.events.items():
            if event.get("Type") != "S3":
                continue
            props = event["Properties"]
            events = props["Events"] if isinstance(props["Events"], list) else [props["Events"]]
            rules = [
                {"Name": str(rule["Name"]), "Value": str(template.resolve(rule["Value"]))}
                for rule in props.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            ]
            found.append(
                S3Subscription(spec.logical_id, name, str(template.resolve(props["Bucket"])), events, rules)
            )
    return found


class S3NotificationBridge:
    """Configures the emulated buckets' notifications and forwards them to the async invoker."""

    def __init__(
        self, subscriptions_: list[S3Subscription], sqs: Any, s3: Any, invoker: AsyncInvoker
    ) -> None:
        self.subscriptions = subscriptions_
        self._sqs = sqs
        self._s3 = s3
        self._invoker = invoker
        self._stop = threading.Event()
        self._queues: dict[str, str] = {}
        self._thread = threading.Thread(target=self._poll, name="s3-notifications", daemon=True)

    def start(self) -> None:
        """Create the queues, set the bucket notifications, start polling."""
        carry_version_ids()
        by_bucket: dict[str, list[dict[str, Any]]] = {}
        for sub in self.subscriptions:
            url = self._sqs.create_queue(QueueName=sub.queue_name)["QueueUrl"]
            self._queues[url] = sub.function
            configuration: dict[str, Any] = {
                "Id": f"{sub.function}-{sub.event_name}",
                "QueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{sub.queue_name}",
                "Events": sub.events,
            }
            if sub.filter_rules:
                configuration["Filter"] = {"Key": {"FilterRules": sub.filter_rules}}
            by_bucket.setdefault(sub.bucket, []).append(configuration)
        for bucket, queues in by_bucket.items():
            self._s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queues}
            )
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join(timeout=10)

    def drain(self) -> int:
        """Forward every waiting notification now; returns how many were forwarded."""
        forwarded = 0
        for url, function in self._queues.items():
            while True:
                messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    event = json.loads(message["Body"])
                    if "Records" in event:  # (the emulator may also post an s3:TestEvent)
                        self._invoker.submit(function, event, source="s3")
                        forwarded += 1
                    self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return forwarded

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.drain()
            except Exception:
                log.exception("forwarding S3 notifications failed")
