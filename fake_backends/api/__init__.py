"""HTTP protocols spoken by the fake clouds: the native JSON API (:mod:`.native`) and the
HTTP-fault middleware every protocol shares (:mod:`.middleware`); the provider protocols
(:mod:`.ibm`, :mod:`.ionq`) build on :class:`.provider.ProviderApi`.

A protocol is a thin adapter over :class:`~fake_backends.cloud.FakeCloud`'s rules that
names its routes after the endpoint kinds in :data:`fake_backends.switches.ENDPOINTS`.
"""
