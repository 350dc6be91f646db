"""Video+audio engines behind :func:`sora_widgets.generate`."""

from .base import (
    Cancelled,
    Engine,
    EngineInfo,
    EngineUnavailable,
    GenerationRequest,
    available,
    check_cancel,
    generate,
    get_engine,
    register,
)

__all__ = [
    "Cancelled",
    "Engine",
    "EngineInfo",
    "EngineUnavailable",
    "GenerationRequest",
    "available",
    "check_cancel",
    "generate",
    "get_engine",
    "register",
]
