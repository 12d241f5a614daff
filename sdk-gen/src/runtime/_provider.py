"""
The Pulumi dynamic provider behind every resource class, translated to the provider binary's
JSON-RPC methods.

Python programs key a dynamic resource's properties by their snake_case names, so each call maps
the keys to schema names on the way to the binary and back again on the way out (top-level keys
only: values such as lists of policy names are data, not names). The resource type is sent
explicitly, because a dynamic resource's URN carries the dynamic type, and ``__provider`` (the
pickled provider Pulumi keeps in the inputs) is stripped before anything reaches the binary.

During a preview the engine sends values that are not known yet as Pulumi's unknown sentinel
string, and Pulumi's Python provider host turns that string into a ``pulumi.output.Unknown``
object before calling ``check`` or ``diff``. Such objects are sent to the binary as the sentinel
string again (which it returns unchanged where it echoes a value), and the host hands the string
back to the engine, which reads it as unknown.

When the binary answers ``-32057 resource_init_failed`` (the resource exists, but was not fully
initialised, e.g. a client key whose read-back failed), the engine must keep it in its state, or
the resource is lost to it. Pulumi's Node provider host has a partial-failure reply for that;
the Python host has none (any exception drops the resource), so ``create`` and ``update`` log
the binary's message as an error through ``pulumi.log`` and return the resource as the binary
describes it; a refresh or the next update completes it.

A resource may carry its own provider settings (the ``provider_settings`` argument) as the input
``__providerSettings``: its create, read, update and delete go to a child configured with those
settings alone, one child per distinct settings; everything else goes to the child configured
with the stack's config. A change of those settings alone (a rotated secret key) is an update in
place that calls nothing: the state then holds the settings the next refresh and delete use (and
keeps them secret: the engine marks an output secret when its input was). ``check`` and ``diff`` need no credentials, so they always use the
stack's child. The ``import_`` resource option arrives as the input ``__import``: ``create`` then
reads the existing resource and adopts it if the program's inputs describe it (the engine's own
import reads with the id alone, and a dynamic provider host cannot load its provider without
``__provider``).

The binary's messages are written for any engine: they name properties and settings by their
schema names (camelCase) and advise the import command of the Pulumi CLI, which cannot load a
dynamic resource's provider. ``python_text`` says the same in Python's terms: Python names, the ``import_`` resource
option, and ``provider_settings`` for the errors of a resource's own settings. Pulumi's Python
provider host reports an exception with ``traceback.format_exc()``, the host's frames and the SDK's
before the message; for these errors, which are messages to the user and not bugs, it gets the
message alone (``_HostTraceback``), as the Node host reports them.

An instance is pickled (with dill) into every resource's state and unpickled inside Pulumi's
Python provider host, so it holds plain data only; the child processes live in this module, per
host process, and are started on first use.
"""

import json
import re
import sys
import threading
from types import ModuleType
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi.dynamic
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from ._rpc import ProviderError, ProviderProcess, TRANSPORT_ERROR_CODE, find_provider_binary
from .provider_settings import SETTING_NAMES

PROVIDER_KEY = "__provider"
"""The key under which Pulumi keeps the serialised provider in a dynamic resource's inputs."""

PROVIDER_SETTINGS_KEY = "__providerSettings"
"""The input that carries a resource's own provider settings, keyed by the schema's config names."""

IMPORT_KEY = "__import"
"""The input that carries the id of an existing resource to import instead of creating one."""

_SDK_KEYS = (PROVIDER_KEY, PROVIDER_SETTINGS_KEY, IMPORT_KEY)

PULUMI_ALICLOUD_NAMESPACE = "alicloud"
"""pulumi-alicloud's config namespace: a stack set up for it works unchanged. Its keys that mean
something here have the names of this package's settings, plus ``endpoints``; the binary picks
what it uses (a dynamic provider's config can only be asked key by key)."""

PULUMI_ALICLOUD_EXTRA_KEYS = ("endpoints",)

RESOURCE_INIT_FAILED_CODE = -32057
"""The binary's code for "created, but not fully initialised": the error carries ``id`` and ``properties``."""

_PATH_HEAD = re.compile(r"^([A-Za-z0-9_]+)(.*)$", re.DOTALL)

_process_lock = threading.Lock()
_process: Optional[ProviderProcess] = None
_settings_processes: dict[str, ProviderProcess] = {}

_IMPORT_ADVICE = re.compile(r"`pulumi import \S+ \S+ ([^`\s]+)`")
"""How the binary advises adopting a resource: the CLI's import command with the token, a name and the id, in backticks."""

_SETTINGS_PHRASES = (
    ("invalid provider configuration:", "invalid provider_settings:"),
    ("fix the alicloud-kms:config settings", "fix the provider_settings of this resource"),
    ("the provider config", "provider_settings"),
)
"""What the binary calls the settings it was configured with, and what a resource's own settings
are to a Python program (the binary's wording: ``provider/error.rs``, ``kms/credentials``)."""

_message_names: dict[str, str] = {}
"""Schema name → Python name of every property the resources of this process have named, for the
binary's log notifications (which come from the one child, whatever the resource)."""


def _word_pattern(names: Sequence[str]) -> "re.Pattern[str]":
    return re.compile(r"\b(" + "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + r")\b")


def python_text(text: str, schema_to_python: Mapping[str, str], own_settings: bool) -> str:
    """
    One of the binary's messages in a Python program's terms: properties by their Python names,
    the ``import_`` resource option instead of the CLI's import command, and, for a resource with its own
    settings (``own_settings``), those settings as ``provider_settings`` with their Python names.
    The stack's settings keep their schema names, which are their ``pulumi config`` keys.
    """
    renamed = {schema: python for schema, python in schema_to_python.items() if schema != python}
    if own_settings:
        for old, new in _SETTINGS_PHRASES:
            text = text.replace(old, new)
        renamed.update({schema: python for python, schema in SETTING_NAMES.items() if schema != python})
    text = _IMPORT_ADVICE.sub(lambda match: f'the `import_` resource option (`opts=pulumi.ResourceOptions(import_="{match.group(1)}")`)', text)
    if renamed:
        text = _word_pattern(list(renamed)).sub(lambda match: renamed[match.group(1)], text)
    return text


class _HostTraceback:
    """
    The ``traceback`` module as Pulumi's Python provider host sees it, but with the message alone
    for this SDK's errors. The host (``pulumi/dynamic/__main__.py``) answers a failed call with
    ``traceback.format_exc()``: its own frames and the SDK's come before the message, and no raise
    can leave them out (they are added as the error passes through them). Every other exception
    keeps its whole traceback.
    """

    def __init__(self, module: ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def format_exc(self, limit: Optional[int] = None, chain: bool = True) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, ProviderError):
            return str(error)
        result: str = self._module.format_exc(limit, chain)
        return result


def _shorten_host_tracebacks() -> None:
    """Gives Pulumi's Python provider host ``_HostTraceback``, when this process is that host."""
    host = sys.modules.get("__main__")
    current = getattr(host, "traceback", None)
    if getattr(host, "DynamicResourceProviderServicer", None) is None or not isinstance(current, ModuleType):
        return
    setattr(host, "traceback", _HostTraceback(current))


def forward_log(severity: str, message: str, urn: Optional[str]) -> None:
    """Sends one of the binary's log notifications to Pulumi's log, at the same severity."""
    _log(severity, python_text(message, _message_names, own_settings=False), urn)


def _forward_settings_log(severity: str, message: str, urn: Optional[str]) -> None:
    """``forward_log`` for the child of a resource's own settings."""
    _log(severity, python_text(message, _message_names, own_settings=True), urn)


def _log(severity: str, message: str, urn: Optional[str]) -> None:
    text = f"{urn}: {message}" if urn else message
    if severity == "error":
        pulumi.log.error(text)
    elif severity == "warning":
        pulumi.log.warn(text)
    elif severity == "debug":
        pulumi.log.debug(text)
    else:
        pulumi.log.info(text)


def provider_process() -> ProviderProcess:
    """The one child per provider host process, started lazily."""
    global _process
    with _process_lock:
        if _process is None:
            _process = ProviderProcess([find_provider_binary()], on_log=forward_log)
        return _process


def set_provider_process(process: Optional[ProviderProcess]) -> None:
    """Replaces the shared child, e.g. with one a test controls; stops the per-settings children."""
    global _process
    with _process_lock:
        _process = process
        children = list(_settings_processes.values())
        _settings_processes.clear()
    for child in children:
        child.stop()


def settings_process(variables: Mapping[str, str]) -> ProviderProcess:
    """The child configured with one resource's own settings (as ``configure`` variables)."""
    key = json.dumps(sorted(variables.items()))
    with _process_lock:
        child = _settings_processes.get(key)
        if child is None:
            child = ProviderProcess(
                [find_provider_binary()],
                on_log=_forward_settings_log,
                configure={"variables": dict(variables), "acceptSecrets": False},
            )
            _settings_processes[key] = child
        return child


class DynamicProvider(pulumi.dynamic.ResourceProvider):
    """The provider of one resource type."""

    resource_type: str
    """The schema token, e.g. ``alicloud-kms:index:ClientKey``."""

    config_namespace: str
    """The stack config namespace, e.g. ``alicloud-kms`` for ``alicloud-kms:region``."""

    config_variables: list[str]
    """The schema's config variable names."""

    property_names: dict[str, str]
    """Python name → schema name, for every property of the resource."""

    def __init__(
        self,
        resource_type: str,
        config_namespace: str,
        config_variables: Sequence[str],
        property_names: Mapping[str, str],
    ) -> None:
        super().__init__()
        self.resource_type = resource_type
        self.config_namespace = config_namespace
        self.config_variables = list(config_variables)
        self.property_names = dict(property_names)

    def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
        """
        Stack config → ``configure``. Dynamic providers see the whole stack config with namespaces
        kept (``alicloud-kms:region``); the binary wants its own keys (``alicloud-kms:config:region``),
        and pulumi-alicloud's (``alicloud:config:region``), which it uses where its own are not set.
        ``acceptSecrets`` is false because values go back through a dynamic provider host, which
        cannot carry secrets; the resource classes mark secret outputs instead.
        """
        _shorten_host_tracebacks()
        variables: dict[str, str] = {}
        namespaces = (
            (self.config_namespace, self.config_variables),
            (PULUMI_ALICLOUD_NAMESPACE, [*self.config_variables, *PULUMI_ALICLOUD_EXTRA_KEYS]),
        )
        for namespace, names in namespaces:
            for name in names:
                value = req.config.get(f"{namespace}:{name}")
                if value is not None:
                    variables[f"{namespace}:config:{name}"] = value if isinstance(value, str) else json.dumps(value)
        provider_process().configure({"variables": variables, "acceptSecrets": False})

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        # A resource's own settings are checked here too, by configuring their child, so a preview
        # reports bad settings (and settings without credentials) before anything is created.
        # Settings not known yet (a preview) leave check to the stack's child.
        own_settings = isinstance(news.get(PROVIDER_SETTINGS_KEY), dict)
        result = self._call("check", {"olds": self.to_schema(_olds), "news": self.to_schema(news)}, news if own_settings else None)
        failures = []
        for failure in _list(result.get("failures")):
            failure_object = failure if isinstance(failure, dict) else {}
            failures.append(
                pulumi.dynamic.CheckFailure(
                    self.to_python_path(str(failure_object.get("property", ""))),
                    self.to_python_text(str(failure_object.get("reason", ""))),
                )
            )
        # The checked inputs become the resource's inputs, so the SDK's own keys go back in.
        inputs = _with_extras(self.to_python(_object("check", result.get("inputs"))), news, keep_import=True)
        return pulumi.dynamic.CheckResult(inputs, failures)

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        result = self._call("diff", {"id": _id, "olds": self.to_schema(_olds), "news": self.to_schema(_news)})
        changes = {"DIFF_SOME": True, "DIFF_NONE": False}.get(str(result.get("changes")))
        if changes is not True and _olds.get(PROVIDER_SETTINGS_KEY) != _news.get(PROVIDER_SETTINGS_KEY):
            # Only the resource's own provider settings changed (a rotated key): an update in place,
            # so that the state holds the settings the next refresh and delete will use.
            changes = True
        replaces = result.get("replaces")
        stables = result.get("stables")
        return pulumi.dynamic.DiffResult(
            changes=changes,
            replaces=[self.to_python_path(str(path)) for path in replaces] if isinstance(replaces, list) else None,
            stables=[self.to_python_path(str(path)) for path in stables] if isinstance(stables, list) else None,
            delete_before_replace=result.get("deleteBeforeReplace") is True,
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        import_id = props.get(IMPORT_KEY)
        if isinstance(import_id, str) and import_id:
            return self._import(import_id, props)
        try:
            result = self._call("create", {"properties": self.to_schema(props)}, props)
        except ProviderError as error:
            result = self._kept_after_init_failure(error)
        outputs = _with_extras(self.to_python(_object("create", result.get("properties"))), props)
        return pulumi.dynamic.CreateResult(str(result.get("id", "")), outputs)

    def _import(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        """The ``import_`` option: read the existing resource, adopt it if the program's inputs describe it."""
        read = self._call("read", {"id": id_}, props)
        if not read.get("id"):
            raise ProviderError(-32602, f"cannot import {self.resource_type} {id_}: it does not exist; check the id given in the `import_` option", {"kind": "not_found"})
        properties = _object("read", read.get("properties"))
        difference = self._call("diff", {"id": id_, "olds": properties, "news": self.to_schema(props)})
        if difference.get("changes") == "DIFF_SOME":
            names = ", ".join(f"`{self.to_python_path(str(name))}`" for name in _list(difference.get("diffs"))) or "some properties"
            raise ProviderError(
                -32602,
                f"cannot import {self.resource_type} {id_}: the program's inputs differ from the existing resource in {names}; "
                "make the program describe it as it is, then run again",
                {"kind": "import_mismatch"},
            )
        return pulumi.dynamic.CreateResult(str(read["id"]), _with_extras(self.to_python(properties), props))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        result = self._call("read", {"id": id_, "properties": self.to_schema(props)}, props)
        read_id = str(result.get("id") or "")
        if read_id == "":
            # The resource is gone; an empty id tells the engine to drop it from the state.
            return pulumi.dynamic.ReadResult("", {})
        inputs = result.get("inputs")
        return pulumi.dynamic.ReadResult(
            read_id,
            _with_extras(self.to_python(_object("read", result.get("properties"))), props),
            _with_extras(self.to_python(inputs), props) if isinstance(inputs, dict) else None,
        )

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        difference = self._call("diff", {"id": _id, "olds": self.to_schema(_olds), "news": self.to_schema(_news)})
        if difference.get("changes") == "DIFF_NONE":
            # Only the provider settings changed: nothing to ask of the cloud; the outputs stay,
            # with the new settings.
            unchanged = {key: value for key, value in _olds.items() if key not in _SDK_KEYS}
            return pulumi.dynamic.UpdateResult(_with_extras(unchanged, _news))
        try:
            result = self._call("update", {"id": _id, "olds": self.to_schema(_olds), "news": self.to_schema(_news)}, _news)
        except ProviderError as error:
            result = self._kept_after_init_failure(error)
        return pulumi.dynamic.UpdateResult(_with_extras(self.to_python(_object("update", result.get("properties"))), _news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        self._call("delete", {"id": _id, "properties": self.to_schema(_props)}, _props)

    def to_schema(self, values: Optional[Mapping[str, Any]]) -> dict[str, Any]:
        """Python keys → schema keys, without ``__provider`` and the SDK's own keys; unknown keys pass
        unchanged, so the binary can name them in its check failures. Unknown values become the
        sentinel string."""
        return {self.property_names.get(key, key): to_wire(value) for key, value in (values or {}).items() if key not in _SDK_KEYS}

    def to_python(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Schema keys → Python keys."""
        schema_to_python = {schema: python for python, schema in self.property_names.items()}
        return {schema_to_python.get(key, key): value for key, value in values.items()}

    def to_python_text(self, text: str, own_settings: bool = False) -> str:
        """A message of the binary in a Python program's terms (see ``python_text``)."""
        return python_text(text, {schema: python for python, schema in self.property_names.items()}, own_settings)

    def to_python_path(self, path: str) -> str:
        """Maps the leading property name of a property path (``policies[3]``, ``not_after`` for its schema name)."""
        match = _PATH_HEAD.match(path)
        if match is None:
            return path
        schema_to_python = {schema: python for python, schema in self.property_names.items()}
        return schema_to_python.get(match.group(1), match.group(1)) + match.group(2)

    def _kept_after_init_failure(self, error: ProviderError) -> dict[str, Any]:
        """
        For ``resource_init_failed``: the error logged, and the resource as the binary describes
        it (``{"id", "properties"}``), so the engine keeps it. Any other error is raised again.
        """
        id_ = error.data.get("id")
        properties = error.data.get("properties")
        if error.code != RESOURCE_INIT_FAILED_CODE or not isinstance(id_, str) or not id_ or not isinstance(properties, dict):
            raise error
        pulumi.log.error(f"{error}; it is kept in the state (a Python dynamic provider cannot report a partial failure): run `pulumi refresh` to complete it")
        return {"id": id_, "properties": properties}

    def _process_for(self, values: Optional[Mapping[str, Any]]) -> ProviderProcess:
        """The stack's child, or the child of the resource's own settings in ``values``."""
        settings = (values or {}).get(PROVIDER_SETTINGS_KEY)
        if settings is None:
            return provider_process()
        if not isinstance(settings, dict):
            raise ProviderError(-32602, f"{PROVIDER_SETTINGS_KEY} must be a mapping of provider settings", {"kind": "invalid_params"})
        variables: dict[str, str] = {}
        for name, value in settings.items():
            if name not in self.config_variables:
                raise ProviderError(-32602, f"unknown provider setting `{name}`; the settings are {', '.join(self.config_variables)}", {"kind": "invalid_params"})
            if value is not None:
                value = to_wire(value)
                variables[f"{self.config_namespace}:config:{name}"] = value if isinstance(value, str) else json.dumps(value)
        return settings_process(variables)

    def _call(self, method: str, params: Mapping[str, Any], settings_source: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
        """
        Calls the binary; ``settings_source`` holds the resource's own settings, if any (diff uses
        the stack's child). An error is raised afresh, in Python's terms, with no traceback of the
        SDK's own.
        """
        _message_names.update({schema: python for python, schema in self.property_names.items()})
        own_settings = settings_source is not None and (settings_source or {}).get(PROVIDER_SETTINGS_KEY) is not None
        process = provider_process() if settings_source is None else self._process_for(settings_source)
        try:
            result = process.request(method, {"type": self.resource_type, **params})
        except ProviderError as error:
            failure = error
        else:
            return _object(method, result)
        raise ProviderError(failure.code, self.to_python_text(str(failure), own_settings), failure.data) from None


def _with_extras(values: dict[str, Any], source: Optional[Mapping[str, Any]], keep_import: bool = False) -> dict[str, Any]:
    """
    A reply's properties with the resource's own settings from ``source`` put back, so that read
    and delete, which get only the state, reach the same account; ``__import`` too for checked
    inputs (outputs never carry it).
    """
    extras = {PROVIDER_SETTINGS_KEY} | ({IMPORT_KEY} if keep_import else set())
    for key in extras:
        if source is not None and source.get(key) is not None:
            values[key] = source[key]
    return values


def to_wire(value: Any) -> Any:
    """A value as JSON can carry it: every ``pulumi.output.Unknown``, however deep, becomes the unknown sentinel."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    return value


def _object(method: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProviderError(
            TRANSPORT_ERROR_CODE,
            f"the provider binary sent a malformed `{method}` reply (expected an object)",
            {"kind": "transport"},
        )
    return value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
