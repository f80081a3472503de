"""Fake quantum clouds: real Aer execution behind real HTTP APIs, with fault switches.

One module per concept (see ARCHITECTURE.md, "Layout"); import each name from the module
that defines it. :mod:`fake_backends.server` starts clouds; :mod:`fake_backends.errors`
draws the exception tree. This package imports nothing from the harness.
"""
