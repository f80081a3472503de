"""Fake quantum clouds: real Aer execution behind real HTTP APIs, with fault switches."""

from fake_backends.clock import Clock, FakeClock, ScaledClock
from fake_backends.cloud import BackendSpec, FakeCloud
from fake_backends.executor import AerExecutor, PreparedCircuit
from fake_backends.queue import ServiceTime

__all__ = [
    "AerExecutor",
    "BackendSpec",
    "Clock",
    "FakeClock",
    "FakeCloud",
    "PreparedCircuit",
    "ScaledClock",
    "ServiceTime",
]
