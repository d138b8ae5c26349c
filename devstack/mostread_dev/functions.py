"""The template's functions, imported from their code directories and invoked in this process.

Every function shares this one process, so they share its environment (checked to be the same for all)
and the ``mostread`` package's module-level state: the Powertools logger and metrics, the resolver's
current event, the cached settings and client. In AWS each container serves one event at a time; here
all functions together are one such container, so invocations run one at a time.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from mostread_dev.template import DEFAULT_TEMPLATE_PATH, Template

Handler = Callable[[dict[str, Any], Any], Any]
LOCAL_ACCOUNT_ID = "123456789012"


class FunctionError(RuntimeError):
    """A function cannot be loaded or configured locally."""


class InjectedFault(RuntimeError):
    """A function failed because a test asked for it (``Functions.arm_fault``, ``POST /_local/faults``)."""


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as ``context``, with the attributes Powertools reads."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    region: str
    aws_request_id: str
    function_version: str = "$LATEST"
    started: float = 0.0

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id[:8]}"

    def get_remaining_time_in_millis(self) -> int:
        # Only reported: the local stack does not stop a function at its timeout.
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass(frozen=True)
class LocalFunction:
    function_id: str
    handler: Handler
    memory_mb: int
    timeout_seconds: int


def module_file(code_uri: str, handler: str, root: Path) -> tuple[Path, str]:
    """``functions/track/`` + ``app.handler`` -> (functions/track/app.py, "handler")."""
    module, _, attribute = handler.rpartition(".")
    if not module or not attribute:
        raise FunctionError(f"Handler must look like module.function, got {handler!r}")
    return root / code_uri / (module.replace(".", "/") + ".py"), attribute


def import_file(path: Path, module_name: str) -> ModuleType:
    """Import ``path`` as ``module_name``: every function's file is called app.py, so each needs a name of its own."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise FunctionError(f"no handler file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_handler(function_id: str, code_uri: str, handler: str, root: Path) -> Handler:
    """Import the handler's file under a module name of its own and return its handler function."""
    path, attribute = module_file(code_uri, handler, root)
    module = import_file(path, f"mostread_local_{function_id}")
    found = getattr(module, attribute, None)
    if not callable(found):
        raise FunctionError(f"{function_id}: {path} has no function {attribute!r}")
    handler_function: Handler = found
    return handler_function


class Functions:
    """Every function the stack serves, loaded once, invoked one at a time; a test can make the next invocations of
    one fail (``arm_fault``), to see retries, the failure queue and ``mostread replay-failed`` at work."""

    def __init__(self, template: Template, function_ids: Iterable[str], region: str, root: Path | None = None):
        self._template = template
        self._region = region
        self._root = root or (template.path.parent if template.path else DEFAULT_TEMPLATE_PATH.parent)
        self._ids = sorted(set(function_ids))
        self._loaded: dict[str, LocalFunction] = {}
        self._invocation = threading.Lock()
        self._faults: dict[str, int] = {}
        self._faults_lock = threading.Lock()

    @property
    def function_ids(self) -> list[str]:
        return list(self._ids)

    def load_all(self) -> None:
        for function_id in self._ids:
            self._load(function_id)

    def arm_fault(self, function_id: str, failures: int) -> dict[str, int]:
        """The next ``failures`` invocations of the function raise InjectedFault (0 disarms); returns what is armed."""
        with self._faults_lock:
            if failures:
                self._faults[function_id] = failures
            else:
                self._faults.pop(function_id, None)
            return dict(self._faults)

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        with self._faults_lock:
            remaining = self._faults.get(function_id, 0)
            if remaining > 0:
                self._faults[function_id] = remaining - 1
        if remaining > 0:
            raise InjectedFault(f"{function_id} failed on purpose (POST /_local/faults; {remaining - 1} more to go)")
        function = self._load(function_id)
        context = LambdaContext(
            function_name=function_id,
            memory_limit_in_mb=function.memory_mb,
            timeout_seconds=function.timeout_seconds,
            region=self._region,
            aws_request_id=str(uuid.uuid4()),
        )
        with self._invocation:
            context.started = time.monotonic()
            return function.handler(event, context)

    def _load(self, function_id: str) -> LocalFunction:
        if function_id not in self._loaded:
            template = self._template
            code_uri = _text_property(template, function_id, "CodeUri")
            handler = _text_property(template, function_id, "Handler")
            self._loaded[function_id] = LocalFunction(
                function_id=function_id,
                handler=load_handler(function_id, code_uri, handler, self._root),
                memory_mb=int(template.function_property(function_id, "MemorySize") or 128),
                timeout_seconds=int(template.function_property(function_id, "Timeout") or 3),
            )
        return self._loaded[function_id]


def _text_property(template: Template, function_id: str, name: str) -> str:
    value = template.function_property(function_id, name)
    if not isinstance(value, str):
        raise FunctionError(f"{function_id}: {name} must be a local path or name, got {value!r}")
    return value


# --- the environment every function sees -------------------------------------------------------------


def shared_function_environment(
    template: Template,
    function_ids: Iterable[str],
    table_names: Mapping[str, str],
    parameter_overrides: Mapping[str, str],
) -> dict[str, str]:
    """The one environment all functions run with; refuses a template whose functions differ, because one
    process cannot give each of them its own."""
    environments = {
        function_id: template.function_environment(function_id, table_names, parameter_overrides)
        for function_id in function_ids
    }
    distinct = {tuple(sorted(environment.items())) for environment in environments.values()}
    if len(distinct) > 1:
        differing = sorted(
            name
            for name in set().union(*environments.values())
            if len({environment.get(name) for environment in environments.values()}) > 1
        )
        raise FunctionError(
            "the local stack runs every function in one process, but their environments differ in "
            + ", ".join(differing)
        )
    return next(iter(environments.values()), {})


def apply_environment(variables: Mapping[str, str], remove: Iterable[str] = ()) -> None:
    """Set the process environment and forget what the ``mostread`` package cached from the old one."""
    for name in remove:
        os.environ.pop(name, None)
    os.environ.update(variables)
    caches = sys.modules.get("mostread.caches")
    if caches is not None:  # nothing is cached before the package is first imported
        caches.reset()


def send_function_logs_to_stderr() -> None:
    """Loggers that write to stdout (Powertools does) now write to stderr: stdout carries the one line
    ``mostread dev: http://...`` that scripts wait for."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict))]
    for logger in loggers:
        for handler in logger.handlers:
            # the process's own stdout too: a logger made before the caller moved sys.stdout aside still holds it
            if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stdout, sys.__stdout__):
                handler.setStream(sys.stderr)
