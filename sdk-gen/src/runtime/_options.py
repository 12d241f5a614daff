"""
The resource options of this package's classes, turned into what a Pulumi dynamic resource can
carry.

A dynamic resource's provider is the pickled object in its ``__provider`` input, so Pulumi's
``provider``/``providers`` options cannot reach it: they are refused here rather than dropped. A
resource's own provider settings (the ``provider_settings`` argument) travel as the input
``__providerSettings`` instead (a secret input when any secret setting is set, so the state keeps
it encrypted), and the ``import_`` option as the input ``__import``, which ``create`` answers by
reading the existing resource (see ``_provider.py``).
"""

import copy
from typing import Any, Optional, Sequence

import pulumi

PROVIDER_SETTINGS_KEY = "__providerSettings"
IMPORT_KEY = "__import"


def split_resource_options(
    class_name: str,
    opts: pulumi.ResourceOptions,
    provider_settings: Any,
    settings_type: type,
    secret_settings: Sequence[str],
) -> tuple[pulumi.ResourceOptions, dict[str, Any]]:
    """
    Refuses what a dynamic resource cannot honour, and returns Pulumi's options without
    ``import_`` plus the inputs that the settings and ``import_`` become. ``secret_settings`` are
    the Python names of the settings that are secret in the schema.
    """
    if opts.provider is not None or opts.providers:
        raise TypeError(
            f"{class_name}: the `provider` and `providers` options cannot be honoured: this resource is a Pulumi dynamic "
            "resource, whose provider is the package's own; give it its own settings with the `provider_settings` argument "
            "instead (for example provider_settings=ProviderSettings(region=\"cn-shanghai\"))"
        )
    inputs: dict[str, Any] = {}
    if provider_settings is not None:
        if not isinstance(provider_settings, settings_type):
            raise TypeError(
                f"{class_name}: provider_settings must be a {settings_type.__module__.rsplit('.', 1)[0]}.{settings_type.__name__}, "
                f"not {type(provider_settings).__name__}"
            )
        has_secret = any(getattr(provider_settings, name) is not None for name in secret_settings)
        inputs[PROVIDER_SETTINGS_KEY] = pulumi.Output.secret(provider_settings) if has_secret else provider_settings
    if opts.import_ is not None:
        inputs[IMPORT_KEY] = opts.import_
        opts = copy.copy(opts)
        opts.import_ = None
    return opts, inputs
