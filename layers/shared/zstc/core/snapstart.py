"""Lambda SnapStart runtime hooks: what must not be shared by environments restored from one snapshot.

With SnapStart (template.yaml: ``SnapStart: {ApplyOn: PublishedVersions}`` on the api function),
Lambda runs the function's init once per published version, snapshots the memory, and starts every
execution environment from that snapshot. Everything in memory at snapshot time is then shared by
all of them, so after a restore:

- ``random`` is re-seeded from the OS (its state would otherwise be identical everywhere: botocore's
  retry jitter would synchronise retries across environments);
- cached AWS clients are dropped (``zstc.core.aws.client``): a client built before the snapshot
  would carry the init phase's credentials and open connections. Handlers build clients lazily on
  first use, so normally none exists yet; this makes that a guarantee.

Before the snapshot, ``prime`` imports modules a route imports lazily (imports are safe to share and
cost nothing after a restore). ``snapshot_restore_py`` ships in Lambda's Python runtimes (3.12+);
where it is absent (tests, the local stack) registration is skipped and the hooks can be called
directly.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Sequence

from zstc.core import aws


def after_restore() -> None:
    """Re-seed ``random`` and drop cached AWS clients (runs once per restored environment)."""
    random.seed()
    aws.client.cache_clear()


def prime(modules: Sequence[str]) -> None:
    """Import ``modules`` so the snapshot holds them (runs once, before the snapshot)."""
    for name in modules:
        importlib.import_module(name)


def register(prime_modules: Sequence[str] = ()) -> bool:
    """Register the hooks with Lambda's runtime; False where the runtime has no SnapStart library."""
    try:
        from snapshot_restore_py import (  # noqa: PLC0415
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    register_before_snapshot(prime, tuple(prime_modules))
    register_after_restore(after_restore)
    return True
