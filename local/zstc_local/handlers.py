"""Load a function's handler in-process with the environment the template gives it."""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from zstc_local.template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]
_load_counter = itertools.count()


def load_handler(spec: FunctionSpec, extra_environment: Mapping[str, str] | None = None) -> Handler:
    """Import the function's module afresh (a cold start) with its environment, return the handler.

    The environment is applied to ``os.environ`` because handlers read settings at import time,
    exactly as they do in Lambda.
    """
    os.environ.update(spec.environment)
    os.environ.update(extra_environment or {})
    module_name = f"zstc_function_{spec.logical_id}_{next(_load_counter)}"
    module_spec = importlib.util.spec_from_file_location(module_name, spec.module_path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {spec.module_path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    module_spec.loader.exec_module(module)
    handler: Handler = getattr(module, spec.handler_name)
    return handler
