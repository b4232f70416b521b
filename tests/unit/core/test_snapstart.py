"""SnapStart runtime hooks, registered with the real Snapshot Restore for Python library."""

from __future__ import annotations

import random
import sys

import snapshot_restore_py

from zstc.core import aws, snapstart


def test_hooks_register_and_refresh_what_restored_environments_must_not_share(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", [])
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", [])
    monkeypatch.delitem(sys.modules, "zstc.batch.layout", raising=False)
    # Given the hooks registered as the api function registers them
    assert snapstart.register(prime_modules=("zstc.batch.layout",))
    [(before, before_args, _)] = snapshot_restore_py._before_snapshot_registry
    [(after, after_args, _)] = snapshot_restore_py._after_restore_registry
    # When Lambda runs the before-snapshot hook, Then the lazily imported modules join the snapshot
    before(*before_args)
    assert "zstc.batch.layout" in sys.modules
    # Given a client cached and random's state as the snapshot would freeze them
    aws.client("s3")
    assert aws.client.cache_info().currsize >= 1
    random.seed(42)
    frozen = random.getstate()
    # When an environment is restored
    after(*after_args)
    # Then no client survives and random no longer replays the snapshot's sequence
    assert aws.client.cache_info().currsize == 0
    assert random.getstate() != frozen
