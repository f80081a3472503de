"""IBM Quantum (Qiskit Runtime) REST protocol, for unmodified qiskit-ibm-runtime clients.

:mod:`.app` (the sub-application and its routes), :mod:`.iam` (API key -> JWT),
:mod:`.backends`, :mod:`.jobs`, :mod:`.sessions`, :mod:`.results` (plain SamplerV2
results), :mod:`.errors` (IBM's error shapes), :mod:`.settings` (the client's
environment). These never import qiskit;
:mod:`.worker` (decoding pubs, assembling results) runs in the Aer workers only.
"""
