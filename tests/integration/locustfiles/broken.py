"""Test locustfile that cannot be imported: Locust must exit with an error."""

raise RuntimeError("this locustfile is broken on purpose")
