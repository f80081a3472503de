"""IonQ v0.4 REST protocol, for unmodified qiskit-ionq clients.

:mod:`.app` (the sub-application, its routes and the ``apiKey`` check), :mod:`.backends`
(backends and characterizations), :mod:`.jobs`, :mod:`.circuit` (``ionq.circuit.v1``
gate lists -> OpenQASM 3, pure text), :mod:`.errors` (IonQ's error shape),
:mod:`.settings` (the client's environment). None of them imports qiskit.
"""
