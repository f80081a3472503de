"""HTTP protocols spoken by the fake clouds (native JSON API first)."""

from fake_backends.api.errors import ApiError, json_errors
from fake_backends.api.native import NativeApi

__all__ = ["ApiError", "NativeApi", "json_errors"]
