"""A client of one fake quantum cloud's native API (urllib, one token, refreshed on 401)."""

import json
import threading
import urllib.error
import urllib.request

TIMEOUT_S = 20.0  # our clock's seconds: under libfaketime they shrink with the run


class CallFailed(Exception):
    def __init__(self, status, message):
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status = status


class Backend:
    def __init__(self, name, url, api_key):
        self.name = name
        self.url = url.rstrip("/")
        self.api_key = api_key
        self._token = None
        self._lock = threading.Lock()
        self.token_failures = 0  # token requests failed since the last good one
        self.recovered = False  # a token came after failures (the worker reports it)

    def _http(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise CallFailed(exc.code, exc.read()[:200].decode(errors="replace")) from None
        except (OSError, ValueError) as exc:
            raise CallFailed(0, str(exc)) from None

    def token(self):
        """A bearer token; a new one when we have none. Raises CallFailed."""
        with self._lock:
            if self._token is None:
                try:
                    body = self._http("POST", "/v1/auth/token", {"api_key": self.api_key})
                except CallFailed:
                    self.token_failures += 1
                    raise
                self._token = body["access_token"]
                if self.token_failures:
                    self.token_failures, self.recovered = 0, True
            return self._token

    def call(self, method, path, body=None):
        """An authenticated call; a 401 drops the token so the next call fetches a new one."""
        token = self.token()
        try:
            return self._http(method, path, body, token)
        except CallFailed as exc:
            if exc.status == 401:
                with self._lock:
                    if self._token == token:
                        self._token = None
            raise
