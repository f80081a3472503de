"""HTTP protocols spoken by the fake clouds (native JSON API first)."""

from fake_backends.api.errors import ApiError, json_errors
from fake_backends.api.middleware import http_faults, retry_after
from fake_backends.api.native import NativeApi

__all__ = ["ApiError", "NativeApi", "http_faults", "json_errors", "retry_after"]
