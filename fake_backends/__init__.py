"""Fake quantum clouds: real Aer execution behind real HTTP APIs, with fault switches."""

from fake_backends.calibration import Calibration, Factors
from fake_backends.clock import Clock, FakeClock, ScaledClock
from fake_backends.cloud import FakeCloud
from fake_backends.executor import AerExecutor, PreparedCircuit
from fake_backends.scheduling import ServiceTime
from fake_backends.spec import BackendSpec, LoadSpec, MaintenanceWindow

__all__ = [
    "AerExecutor",
    "BackendSpec",
    "Calibration",
    "Clock",
    "Factors",
    "FakeClock",
    "FakeCloud",
    "LoadSpec",
    "MaintenanceWindow",
    "PreparedCircuit",
    "ScaledClock",
    "ServiceTime",
]
