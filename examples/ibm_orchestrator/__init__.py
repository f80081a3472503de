"""A small orchestrator that runs its clients' circuits on IBM Quantum through
qiskit-ibm-runtime, configured by that client's own environment variables."""
