"""Logger, Tracer and Metrics: created once, shared by every function (service name from env).

Nothing here logs request text: callers log lengths and counts only.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
# No auto-patching: patching botocore costs ~60 ms of cold start (bench/api_overhead.py); the calls
# worth a subsegment (the endpoint adapter) are traced explicitly with capture_method.
tracer = Tracer(auto_patch=False)
metrics = Metrics()
