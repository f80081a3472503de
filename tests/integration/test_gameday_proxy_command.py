"""``gameday proxy`` and ``TOXIPROXY_URL`` from the command line."""

from __future__ import annotations

import json
import signal
import socket
import urllib.request

from tests.integration.netchaos_support import echo_server, gameday_proxy, round_trip_ms
from tests.integration.runs import JUDGED, gameday


def test_serves_a_config_file_and_stops_cleanly_on_sigterm(tmp_path):
    config = tmp_path / "proxies.json"
    with echo_server() as echo:
        config.write_text(json.dumps([{"name": "db", "listen": "127.0.0.1:0", "upstream": echo}]))
        with gameday_proxy("--config", str(config), "--seed", "3") as (api, proc):
            with urllib.request.urlopen(api + "/proxies/db", timeout=5) as resp:
                db = json.loads(resp.read())
            assert (db["upstream"], db["enabled"]) == (echo, True)
            assert round_trip_ms(db["listen"], 3) < 50
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
            # read through the same buffered reader the fixture used to find the API line,
            # so lines it had already buffered are not lost (communicate() would miss them)
            assert proc.stdout is not None
            output = proc.stdout.read()
    assert proc.returncode == 0
    assert f"proxy db: {db['listen']} -> {echo}" in output
    assert "stopped: every proxy closed" in output


def test_bad_listen_and_busy_port_are_config_errors(tmp_path):
    proc = gameday("proxy", "--listen", "nowhere")
    assert proc.returncode == 3
    assert "--listen 'nowhere': expected HOST:PORT" in proc.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = gameday("proxy", "--listen", f"127.0.0.1:{busy.getsockname()[1]}")
    assert proc.returncode == 3
    assert "cannot listen on 127.0.0.1" in proc.stderr
    (tmp_path / "bad.json").write_text("{}")
    proc = gameday("proxy", "--config", str(tmp_path / "bad.json"))
    assert proc.returncode == 3
    assert "expected a JSON list of proxies" in proc.stderr


def test_run_refuses_a_toxiproxy_url_that_does_not_answer(monkeypatch):
    monkeypatch.setenv("TOXIPROXY_URL", "http://127.0.0.1:9")
    proc = gameday("run", "network-partition", *JUDGED, "--time-scale", "60")
    assert proc.returncode == 3
    assert "TOXIPROXY_URL=http://127.0.0.1:9 is not a usable Toxiproxy API" in proc.stderr


def test_help():
    proc = gameday("proxy", "--help")
    assert proc.returncode == 0
    assert "--listen HOST:PORT" in proc.stdout
