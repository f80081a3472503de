"""Scenario files: the model (:mod:`.model`), loading and validation (:mod:`.parse`),
and the sections with a parser of their own: ``backends:`` (:mod:`.backends`),
``scoring:`` and ``stop_when:`` (:mod:`.scoring`), ``target:`` (:mod:`.target`).

Every part owns its configuration type (``harness.load.config``, ``harness.sut.config``,
the fault kinds, ``harness.scoring.config``); this package composes them and never is
imported by them.
"""
