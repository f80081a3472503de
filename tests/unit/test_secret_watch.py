"""The secret watch: which credential may go where, and what a leak record says."""

from __future__ import annotations

import json
import logging

from fake_backends.api.observe import SeenRequest
from harness.scoring.telemetry import secrets
from harness.sut.leaks import SecretWatch

KEY_A, KEY_B = "key-aaaaaaaaaaaa", "key-bbbbbbbbbbbb"
HOOK = "hook-secret-0123456789"


def watch(journal) -> SecretWatch:
    w = SecretWatch(journal)
    w.add("api_key:a", KEY_A, owner="a")
    w.add("api_key:b", KEY_B, owner="b")
    w.add("webhook_secret", HOOK)
    return w


def request(path: str, *, auth: str = "", body: bytes = b"", answer: bytes = b"") -> SeenRequest:
    headers = {"Authorization": auth} if auth else {}
    return SeenRequest("POST", path, headers, body, answer)


def leaks(journal) -> list[tuple[str, str]]:
    return [(r["where"], r["secret"]) for r in journal.records if r["type"] == "secret.leak"]


def test_a_backends_own_credentials_in_their_places_are_no_leak(clocked):
    _, journal = clocked
    w = watch(journal)
    observe = w.backend_observer("a")
    token = "tok-" + "t" * 30
    answer = json.dumps({"access_token": token, "expires_in": 3600}).encode()
    observe(request("/v1/auth/token", body=json.dumps({"api_key": KEY_A}).encode(), answer=answer))
    observe(request("/v1/jobs", auth=f"Bearer {token}", body=b'{"circuit": "x"}'))
    observe(request("/identity/token", body=f"apikey={KEY_A}&grant_type=x".encode()))
    assert leaks(journal) == []
    assert w.checked["requests"] == 3


def test_credentials_in_a_url_another_backend_or_a_job_body_are_leaks(clocked):
    _, journal = clocked
    w = watch(journal)
    token = "tok-" + "t" * 30
    w.backend_observer("a")(
        request("/v1/auth/token", answer=json.dumps({"access_token": token}).encode())
    )
    observe_b = w.backend_observer("b")
    observe_b(request(f"/v1/jobs?api_key={KEY_B}"))  # even its own key: URLs get logged
    observe_b(request("/v1/jobs", auth=f"Bearer {token}"))  # a's token sent to b
    observe_b(request("/v1/jobs", body=json.dumps({"tags": [HOOK]}).encode()))
    observe_b(request("/v1/jobs", body=json.dumps({"tags": [HOOK]}).encode()))  # once only
    assert leaks(journal) == [
        ("request to b: URL", "api_key:b"),
        ("request to b: Authorization header", "token:a"),
        ("request to b: body", "webhook_secret"),
    ]
    (url_leak,) = [r for r in journal.records if r.get("where") == "request to b: URL"]
    assert KEY_B not in json.dumps(url_leak)  # the record names the secret, never its value
    assert w.leaks[("request to b: body", "webhook_secret")] == 2


def test_alert_payloads_and_log_lines_may_carry_no_credential(clocked, tmp_path):
    _, journal = clocked
    w = watch(journal)
    w.webhook_body("/alerts", json.dumps({"status": "firing", "summary": "all fine"}).encode())
    w.webhook_body("/alerts", json.dumps({"summary": f"401 with key {KEY_A}"}).encode())
    w.webhook_body("/events", json.dumps({"name": "x", "summary": HOOK}).encode())
    log = tmp_path / "sut.log"
    log.write_text(f"started\nusing token for b: {KEY_B}\nok\n", encoding="utf-8")
    w.scan_log(log)
    w.scan_log(tmp_path / "missing.log")  # nothing to check, no error
    assert leaks(journal) == [
        ("alert payload", "api_key:a"),
        ("event payload", "webhook_secret"),
        ("sut.log", "api_key:b"),
    ]
    (line,) = [r for r in journal.records if r.get("where") == "sut.log"]
    assert line["detail"] == "line 2"


def test_a_logger_is_watched_only_inside_the_block(clocked):
    _, journal = clocked
    w = watch(journal)
    logger = logging.getLogger("qgameday.test.leaky")
    with w.watching_logger("qgameday.test.leaky"):
        logger.warning("fine")
        logger.warning("key %s refused", KEY_A)
    logger.warning("key %s refused again", KEY_B)  # after the block: not watched
    assert leaks(journal) == [("log", "api_key:a")]
    w.finish()
    (scan,) = [r for r in journal.records if r["type"] == "secret.scan"]
    assert (scan["leaks"], scan["checked"]["log_lines"], scan["secrets"]) == (1, 2, 3)


def test_short_values_are_not_watched_and_scoring_reads_the_records(clocked):
    _, journal = clocked
    w = SecretWatch(journal)
    w.add("api_key:a", "abc")  # would match by chance
    w.webhook_body("/alerts", b'{"summary": "abc"}')
    w.add("api_key:b", KEY_B)
    w.webhook_body("/alerts", KEY_B.encode())
    w.finish()
    journal.close()
    found = secrets(
        [r for r in journal.records if r["type"] == "secret.leak"],
        next(r for r in journal.records if r["type"] == "secret.scan"),
    )
    assert [(k.where, k.secret) for k in found.leaks] == [("alert payload", "api_key:b")]
    assert dict(found.checked or ())["alerts"] == 2
