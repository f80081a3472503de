"""The system-under-test boundary: everything the harness knows about the SUT.

- :mod:`.config`: the scenario's ``target:`` section as a value;
- :mod:`.targets`: how a run starts or reaches its SUT (``reference``, ``http``);
- :mod:`.client`: the job-API client the load engines call the SUT with;
- :mod:`.webhook`: the alert and event receiver the SUT reports to.
"""
