"""Video+audio engines behind :func:`sora_widgets.generate`."""

from .base import (
    Cancelled,
    Engine,
    EngineInfo,
    EngineUnavailable,
    GenerationRequest,
    available,
    check_cancel,
    get_engine,
    register,
)
from .generation import generate
from .options import DEFAULT_REMIX_STRENGTH, OptionSpec, engine_options

__all__ = [
    "DEFAULT_REMIX_STRENGTH",
    "Cancelled",
    "Engine",
    "EngineInfo",
    "EngineUnavailable",
    "GenerationRequest",
    "OptionSpec",
    "available",
    "check_cancel",
    "engine_options",
    "generate",
    "get_engine",
    "register",
]
