"""Small helpers the generated resource modules share."""

from typing import Any, Optional, TypeVar

ArgsType = TypeVar("ArgsType")


def get_resource_args_opts(
    resource_args_type: type[ArgsType],
    resource_options_type: type[Any],
    *args: Any,
    **kwargs: Any,
) -> tuple[Optional[ArgsType], Any]:
    """
    Tells the two constructor forms apart: ``Resource(name, args, opts)`` returns the ``Args`` and
    the options; ``Resource(name, opts, **properties)`` returns ``(None, None)`` and the caller
    passes its own arguments on.
    """
    resource_args: Optional[ArgsType] = None
    opts: Any = None
    if args and isinstance(args[0], resource_args_type):
        resource_args = args[0]
        opts = args[1] if len(args) > 1 else kwargs.get("opts")
    elif isinstance(kwargs.get("args"), resource_args_type):
        resource_args = kwargs["args"]
        opts = args[0] if args and isinstance(args[0], resource_options_type) else kwargs.get("opts")
    return resource_args, opts
