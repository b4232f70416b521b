"""The ``zstc`` command's client of the zstc API (deployed or local), over HTTP only.

It never imports a handler, feature logic, adapter or the emulator (import-linter keeps it so); it
may import ``zstc.core.limits`` and the contract, so requests are built within the API's own limits.
"""
