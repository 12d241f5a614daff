"""
One long-lived ``alicloud-kms-provider`` child per process, spoken to in JSON-RPC 2.0 with one
compact JSON value per line.

Requests are multiplexed by id: any number of threads may call ``request`` at once (Pulumi's
Python provider host serves gRPC from a thread pool), each blocks until its own reply arrives,
and replies may come back in any order. A reader thread owns the child's stdout; ``log``
notifications go to a callback. The child's stderr is inherited, because the Pulumi engine shows
a provider host's stderr as diagnostics.

This module knows JSON-RPC and the process, not Pulumi resources: see ``_provider.py`` for that.
"""

import json
import os
import shutil
import subprocess
import threading
from importlib import metadata
from typing import IO, Any, Callable, Mapping, Optional, Sequence

PROVIDER_BINARY_NAME = "alicloud-kms-provider"
"""The binary's name on ``PATH``."""

PROVIDER_PATH_VARIABLE = "ALICLOUD_KMS_PROVIDER_PATH"
"""The environment variable that names the binary explicitly; it wins over everything else."""

DISTRIBUTION_NAME = __package__ or "pulumi_alicloud_kms"
"""The installed distribution whose wheel may carry the binary (its import name is the same)."""

TRANSPORT_ERROR_CODE = -32603
"""The code used for failures on this side of the pipe: no binary, the binary died, a bad reply."""

LogCallback = Callable[[str, str, Optional[str]], None]
"""Receives (severity, message, urn) for each ``log`` notification and this module's warnings."""


class ProviderError(Exception):
    """
    A JSON-RPC error from the binary, or a failure to reach it. ``str(error)`` is the binary's own
    message, which names the KMS RequestId when there is one.
    """

    code: int
    """The JSON-RPC error code, e.g. -32052 for a KMS service error."""

    kind: str
    """``data.kind`` of the error, e.g. ``kms_service``; ``transport`` when the binary could not be reached."""

    data: dict[str, Any]
    """The error's ``data`` object as the binary sent it."""

    def __init__(self, code: int, message: str, data: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = dict(data or {})
        kind = self.data.get("kind")
        self.kind = kind if isinstance(kind, str) else "unknown"

    def __reduce__(self) -> Any:
        # Exceptions cross process boundaries in some hosts; keep every field when pickled.
        return (ProviderError, (self.code, str(self), self.data))


def bundled_provider_binary() -> Optional[str]:
    """
    The binary installed with this package, when its wheel carried one: the file the
    distribution's ``RECORD`` lists under that name (a platform wheel installs it into the
    environment's scripts directory, ``bin/``). Found through the record, not ``PATH``, so it works
    when Pulumi runs the environment's interpreter without ``bin/`` on ``PATH``.
    """
    try:
        files = metadata.distribution(DISTRIBUTION_NAME).files or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name in (PROVIDER_BINARY_NAME, PROVIDER_BINARY_NAME + ".exe"):
            candidate = str(file.locate())
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return os.path.abspath(candidate)
    return None


def find_provider_binary(env: Optional[Mapping[str, str]] = None) -> str:
    """
    The binary the resources run, in this order: ``ALICLOUD_KMS_PROVIDER_PATH`` if set; the binary
    installed with this package (the platform wheels carry one); the first
    ``alicloud-kms-provider`` on ``PATH``. Raises a ``ProviderError`` saying how to install it when
    there is none.
    """
    environment = os.environ if env is None else env
    explicit = environment.get(PROVIDER_PATH_VARIABLE)
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise ProviderError(
                TRANSPORT_ERROR_CODE,
                f"{PROVIDER_PATH_VARIABLE} is set to {explicit}, which is not an executable file; "
                f"point it at the {PROVIDER_BINARY_NAME} binary",
                {"kind": "transport"},
            )
        return explicit
    bundled = bundled_provider_binary()
    if bundled is not None:
        return bundled
    found = shutil.which(PROVIDER_BINARY_NAME, path=environment.get("PATH"))
    if found is None:
        raise ProviderError(
            TRANSPORT_ERROR_CODE,
            f"cannot find the {PROVIDER_BINARY_NAME} binary: this installation of {DISTRIBUTION_NAME} carries none "
            f"(the platform wheel for Linux x86_64 does; installing from source without cargo does not), "
            f"and it is not on PATH; `pip install {DISTRIBUTION_NAME}` from a wheel or an sdist (which builds it with cargo), "
            f"or build it from the provider's repository (`cargo install --path .`) and put it on PATH, "
            f"or set {PROVIDER_PATH_VARIABLE} to its path",
            {"kind": "transport"},
        )
    return found


class _Pending:
    """One request waiting for its reply."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.done = threading.Event()
        self.result: Any = None
        self.error: Optional[ProviderError] = None


class _Child:
    """One running child and the requests sent to it."""

    def __init__(self, process: "subprocess.Popen[bytes]") -> None:
        self.process = process
        self.pending: dict[int, _Pending] = {}
        self.configured = False
        self.closed = False
        """Set, under the lock, once the reader has failed every pending request after the exit."""


class ProviderProcess:
    """
    A child process speaking the provider protocol. It starts on the first request and starts
    again after it dies; ``configure`` parameters are remembered and replayed to a new child before
    anything else, so a restart is invisible to callers (apart from requests in flight at the
    time, which fail).
    """

    def __init__(
        self,
        command: Sequence[str],
        on_log: Optional[LogCallback] = None,
        env: Optional[Mapping[str, str]] = None,
        configure: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """``configure``: the params sent before the first request, until ``configure()`` replaces them."""
        self._command = list(command)
        self._on_log = on_log
        self._env = None if env is None else dict(env)
        self._lock = threading.Lock()
        self._configure_lock = threading.Lock()
        self._child: Optional[_Child] = None
        self._next_id = 1
        self._configure_params: dict[str, Any] = dict(configure) if configure is not None else {"variables": {}, "acceptSecrets": False}

    def configure(self, params: Mapping[str, Any]) -> Any:
        """Sends ``configure`` and remembers it for any later child."""
        with self._configure_lock:
            self._configure_params = dict(params)
            child = self._ensure_started()
            result = self._send(child, "configure", self._configure_params)
            child.configured = True
            return result

    def request(self, method: str, params: Mapping[str, Any]) -> Any:
        """Sends one request and blocks until its reply; a JSON-RPC error raises ``ProviderError``."""
        child = self._ensure_started()
        if not child.configured:
            # The engine always configures first; a program under test mocks may not, and the
            # binary then falls back to the environment.
            with self._configure_lock:
                if not child.configured:
                    self._send(child, "configure", self._configure_params)
                    child.configured = True
        return self._send(child, method, params)

    def stop(self) -> None:
        """Closes the child's stdin, which makes it exit, and waits for it (tests)."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            _close_quietly(child.process.stdin)
            child.process.wait()

    def _ensure_started(self) -> _Child:
        with self._lock:
            if self._child is not None:
                return self._child
            try:
                process = subprocess.Popen(
                    self._command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=None,
                    env=self._env,
                )
            except OSError as error:
                raise ProviderError(
                    TRANSPORT_ERROR_CODE,
                    f"could not start {self._command[0]}: {error}",
                    {"kind": "transport"},
                ) from error
            child = _Child(process)
            self._child = child
            # A daemon thread: an idle child must not keep the interpreter from exiting. The
            # child sees end-of-file on its stdin when this process goes away.
            reader = threading.Thread(target=self._read_replies, args=(child,), name="alicloud-kms-provider-reader", daemon=True)
            reader.start()
            return child

    def _send(self, child: _Child, method: str, params: Mapping[str, Any]) -> Any:
        pending = _Pending(method)
        with self._lock:
            if child.closed or child.process.stdin is None:
                raise self._exit_error(child, method)
            request_id = self._next_id
            self._next_id += 1
            child.pending[request_id] = pending
            line = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}, separators=(",", ":"))
            try:
                child.process.stdin.write(line.encode("utf-8") + b"\n")
                child.process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                # The reader thread sees the exit and fails this request with the exit status.
                pass
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _read_replies(self, child: _Child) -> None:
        stdout: Optional[IO[bytes]] = child.process.stdout
        if stdout is not None:
            for raw_line in stdout:
                self._handle_line(child, raw_line)
        returncode = child.process.wait()
        with self._lock:
            if self._child is child:
                self._child = None
            child.closed = True
            failed = list(child.pending.values())
            child.pending.clear()
        for pending in failed:
            pending.error = self._exit_error(child, pending.method, returncode)
            pending.done.set()

    def _handle_line(self, child: _Child, raw_line: bytes) -> None:
        text = raw_line.decode("utf-8", errors="replace").strip()
        if not text:
            return
        try:
            message = json.loads(text)
        except ValueError:
            self._log("warning", f"{PROVIDER_BINARY_NAME} wrote a line that is not JSON; ignoring it", None)
            return
        if not isinstance(message, dict):
            self._log("warning", f"{PROVIDER_BINARY_NAME} wrote a JSON value that is not a message; ignoring it", None)
            return
        if message.get("method") == "log" and "id" not in message:
            params = message.get("params") or {}
            urn = params.get("urn")
            self._log(str(params.get("severity", "info")), str(params.get("message", "")), urn if isinstance(urn, str) else None)
            return
        request_id = message.get("id")
        with self._lock:
            pending = child.pending.pop(request_id, None) if isinstance(request_id, int) else None
        if pending is None:
            self._log("debug", f"{PROVIDER_BINARY_NAME} answered an unknown request id {request_id!r}", None)
            return
        error = message.get("error")
        if error is not None:
            error_object = error if isinstance(error, dict) else {}
            data = error_object.get("data")
            code = error_object.get("code")
            pending.error = ProviderError(
                code if isinstance(code, int) else TRANSPORT_ERROR_CODE,
                str(error_object.get("message", "unknown error")),
                data if isinstance(data, dict) else None,
            )
        else:
            pending.result = message.get("result")
        pending.done.set()

    def _exit_error(self, child: _Child, method: str, returncode: Optional[int] = None) -> ProviderError:
        code = child.process.returncode if returncode is None else returncode
        status = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return ProviderError(
            TRANSPORT_ERROR_CODE,
            f"{PROVIDER_BINARY_NAME} exited ({status}) before answering `{method}`; its stderr above says why",
            {"kind": "transport"},
        )

    def _log(self, severity: str, message: str, urn: Optional[str]) -> None:
        if self._on_log is not None:
            self._on_log(severity, message, urn)


def _close_quietly(stream: Optional[IO[bytes]]) -> None:
    if stream is not None:
        try:
            stream.close()
        except OSError:
            pass
