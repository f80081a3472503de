"""Token lifetimes and the orchestrator's alert rule, on a fake clock."""

import pytest

from fake_backends.auth import TokenStore
from fake_backends.errors import AuthError
from plumbing.clock import FakeClock
from reference_orchestrator.alerts import FailureRateMonitor
from reference_orchestrator.config import AlertRule


async def test_tokens_expire_after_their_ttl_in_scenario_time():
    clock = FakeClock()
    store = TokenStore(clock, {"key-a": "tenant-a"}, ttl=60.0)
    token = store.issue("key-a")
    assert store.check(token.value) == "tenant-a"
    await clock.advance(59.0)
    assert store.check(token.value) == "tenant-a"
    await clock.advance(1.0)
    with pytest.raises(AuthError) as info:
        store.check(token.value)
    assert info.value.code == "token_expired"


def test_revocation_and_unknown_keys():
    store = TokenStore(FakeClock(), {"key-a": "tenant-a"}, ttl=60.0)
    old = store.issue("key-a")
    assert store.revoke_all() == 1
    with pytest.raises(AuthError, match="revoked"):
        store.check(old.value)
    fresh = store.issue("key-a")
    assert store.check(fresh.value) == "tenant-a"
    with pytest.raises(AuthError) as info:
        store.issue("wrong")
    assert info.value.code == "invalid_api_key"
    with pytest.raises(AuthError) as info:
        store.check("tok_made_up")
    assert info.value.code == "invalid_token"


async def test_alert_state_machine():
    clock = FakeClock()
    m = FailureRateMonitor(AlertRule(threshold=0.5, window=60.0, min_events=3), clock)
    for ok in (False, False):
        m.record(ok)
    assert m.evaluate() is None
    m.record(True)  # 2 bad of 3 = 67% >= 50%
    assert m.evaluate() == "firing"
    assert m.evaluate() is None  # no repeat while firing
    await clock.advance(61.0)  # old events leave the window
    for _ in range(4):
        m.record(True)
    m.record(False)  # 20% < 25% (half the threshold)
    assert m.evaluate() == "resolved"
    assert m.ratio() == (pytest.approx(0.2), 5)


async def test_an_expired_token_stays_expired_on_every_use():
    # regression (issue 16, item 13): from its second use on it was "token_revoked"
    clock = FakeClock()
    store = TokenStore(clock, {"key-a": "tenant-a"}, ttl=60.0)
    token = store.issue("key-a")
    await clock.advance(61.0)
    for _ in range(3):
        with pytest.raises(AuthError) as info:
            store.check(token.value)
        assert info.value.code == "token_expired"


async def test_tokens_long_expired_or_revoked_are_dropped():
    # regression (issue 16, item 13): 2,000 unused tokens were all still held
    clock = FakeClock()
    store = TokenStore(clock, {"key-a": "tenant-a"}, ttl=60.0)
    old = [store.issue("key-a") for _ in range(2000)]
    store.revoke_all()
    more = [store.issue("key-a") for _ in range(2000)]
    await clock.advance(121.0)  # two lifetimes: nobody can still be told "expired" usefully
    fresh = store.issue("key-a")
    assert store.held == 1
    assert store.check(fresh.value) == "tenant-a"
    with pytest.raises(AuthError) as info:
        store.check(old[0].value)
    assert info.value.code == "invalid_token"
    with pytest.raises(AuthError) as info:
        store.check(more[0].value)
    assert info.value.code == "invalid_token"


def test_a_revoked_key_is_refused_with_its_tokens_and_a_replacement_works():
    clock = FakeClock()
    store = TokenStore(clock, {"key-a": "tenant-a", "key-b": "tenant-b"}, ttl=60.0)
    mine, other = store.issue("key-a"), store.issue("key-b")
    assert store.revoke_key("key-a") == 1
    for call in (lambda: store.issue("key-a"), lambda: store.check(mine.value)):
        with pytest.raises(AuthError) as info:
            call()
        assert info.value.code in ("api_key_revoked", "token_revoked")
    assert store.check(other.value) == "tenant-b"  # another key's tokens are untouched
    store.add_key("key-a-2", "tenant-a")
    assert store.check(store.issue("key-a-2").value) == "tenant-a"
    store.add_key("key-a", "tenant-a")  # a revoked key is never trusted again
    with pytest.raises(AuthError) as info:
        store.issue("key-a")
    assert info.value.code == "api_key_revoked"


async def test_refresh_failure_keeps_issued_tokens_and_credential_revoked_needs_rotation(
    tmp_path,
):
    from harness.faults import FaultContext
    from tests.unit.test_backend_faults_config import load
    from tests.unit.test_queue_model import rig

    faults = (
        "  - {kind: auth.refresh_failure, at: 3m, duration: 1m, status: 502}\n"
        "  - {kind: auth.credential_revoked, at: 5m, duration: 1m, replacement: new-key}\n"
    )
    refresh, revoked = load(tmp_path, faults).faults
    assert refresh.fault.params() == {"status": 502}
    assert revoked.fault.params() == {"key": None, "replacement": "new-key"}
    async with rig() as (cloud, _, events, _):
        ctx = FaultContext({"q": cloud.control})
        token = cloud.tokens.issue("key-q")
        await refresh.fault.inject(ctx, ["q"])
        assert cloud.control.token_endpoint_status == 502
        assert cloud.tokens.check(token.value) == "orchestrator"  # still valid
        await refresh.fault.revert(ctx, ["q"])
        await refresh.fault.revert(ctx, ["q"])
        assert cloud.control.token_endpoint_status is None
        await revoked.fault.inject(ctx, ["q"])
        await revoked.fault.revert(ctx, ["q"])  # nothing to undo: the key stays revoked
        with pytest.raises(AuthError) as info:
            cloud.tokens.issue("key-q")
        assert info.value.code == "api_key_revoked"
        with pytest.raises(AuthError):
            cloud.tokens.check(token.value)
        assert cloud.tokens.check(cloud.tokens.issue("new-key").value) == "orchestrator"
        (record,) = events.of("backend.key_revoked")
        assert (record["tokens"], record["replacement"]) == (1, True)
        assert "key-q" not in str(record)  # keys are secrets: never journalled


def test_credential_revoked_rejects_a_replacement_equal_to_the_key(tmp_path):
    from harness.errors import ScenarioError
    from tests.unit.test_backend_faults_config import load

    entry = "  - {kind: auth.credential_revoked, at: 3m, duration: 1m, key: k, replacement: k}\n"
    with pytest.raises(ScenarioError) as info:
        load(tmp_path, entry)
    assert info.value.path == "faults[0].replacement"


def test_token_endpoint_faults_take_an_http_error_status(tmp_path):
    from tests.unit.test_backend_faults_config import error

    e = error(tmp_path, "  - {kind: auth.token_expiry, at: 3m, duration: 1m, status: 600}\n")
    assert "faults[0].status: expected an HTTP error status 400..599, found 600" in str(e)
    e = error(tmp_path, "  - {kind: auth.refresh_failure, at: 3m, duration: 1m, status: 302}\n")
    assert "faults[0].status: expected an integer >= 400, found 302" in str(e)


def test_a_held_alert_pages_once_for_a_flapping_cause():
    from reference_orchestrator.alerts import Held

    flaps = [(t, (t // 60) % 2 == 0) for t in range(0, 600, 10)]  # 60 s on, 60 s off
    held, bare = Held(keep=120.0), Held(keep=0.0)
    held_changes = [c for t, on in flaps if (c := held.update(on, t))]
    bare_changes = [c for t, on in flaps if (c := bare.update(on, t))]
    assert held_changes == ["firing"]  # never clear for 2 minutes: one page, still open
    assert bare_changes == ["firing", "resolved"] * 5
    assert held.update(False, 600) is None
    assert held.update(False, 720) == "resolved"
