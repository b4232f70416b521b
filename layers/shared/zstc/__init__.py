"""zstc's shared Lambda layer: core, the public API contract, and the real-time and batch features.

Imports flow one way: ``functions/*/app.py`` -> :mod:`zstc.rest`, :mod:`zstc.realtime`,
:mod:`zstc.batch` -> :mod:`zstc.contract` -> :mod:`zstc.core` (checked by import-linter in CI).
Model deployment lives in :mod:`zstc_deploy`, a layer of its own that only the setup function carries.
"""
