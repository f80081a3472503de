"""The system-under-test boundary: everything the harness knows about the SUT.

- :mod:`.config`: the scenario's ``target:`` section as a value (reference, http, command);
- :mod:`.targets`: how a run starts or reaches its SUT;
- :mod:`.command`: the ``command`` target (start, ready, watch, stop);
- :mod:`.process` and :mod:`.watchdog`: process supervision of a ``command`` SUT;
- :mod:`.faketime` and :mod:`.clockprobe`: compressed time for a separate process, and
  the check that it really runs at the scenario's rate;
- :mod:`.wiring`: what a SUT is told (the environment table, ``gameday env``);
- :mod:`.api`: its job API (the reference contract, an ``api:`` mapping, an adapter);
- :mod:`.client`: the job-API client the built-in load engine calls the SUT with;
- :mod:`.webhook`: the alert and event receiver the SUT reports to.
"""
