"""Two `sacral serve` replicas sharing one PostgreSQL decision log: calls alternate between them,
one log holds every decision, and `sacral replay` reproduces each byte for byte."""

from __future__ import annotations

import base64
import os
import subprocess

import pytest

from server_harness import BINARY, CASES, RULES, PostgresCluster, Server, export_log


@pytest.fixture(scope="module")
def postgres():
    cluster = PostgresCluster()
    yield cluster
    cluster.stop()


def test_two_replicas_share_one_log_and_replay_reproduces_it(postgres):
    key = base64.b64encode(os.urandom(32)).decode()
    replicas = [Server(database=postgres.url, patient_key=key), Server(database=postgres.url, patient_key=key)]
    try:
        cases = sorted(CASES.rglob("*.yaml"))[:12]
        sent = []
        for i, case in enumerate(cases * 2):
            s = replicas[i % 2]
            request_id = f"replica-call-{i}"
            r = s.client.post("/v1/evaluate", content=case.read_bytes(),
                              headers={"Content-Type": "application/yaml", "X-Request-Id": request_id,
                                       **s.auth("/v1/evaluate")})
            if r.status_code == 200:
                sent.append((request_id, r.text, s.port))
        assert len(sent) >= 12
        rows = export_log(postgres.url)
        by_request = {row["request_id"]: row for row in rows}
        for request_id, text, port in sent:
            row = by_request[request_id]
            assert row["decision_json"] == text
            assert row["replica"].endswith(f":{port}")
        assert len({row["replica"].rsplit(":", 1)[1] for row in rows}) == 2
        replay = subprocess.run([str(BINARY), "replay", "--database", postgres.url, "--rules", str(RULES)],
                                capture_output=True, text=True)
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert f"{len(rows)} identical, 0 different" in replay.stdout
    finally:
        for s in replicas:
            assert s.stop() == 0, s.log()


def test_replay_reports_a_changed_decision(tmp_path):
    """Tampering with a logged decision is found, with where the bytes differ."""
    s = Server()
    try:
        case = sorted(CASES.rglob("*.yaml"))[0]
        r = s.client.post("/v1/evaluate", content=case.read_bytes(),
                          headers={"Content-Type": "application/yaml", **s.auth("/v1/evaluate")})
        assert r.status_code == 200
    finally:
        s.stop()
    database = s.tmp / "decisions.sqlite"
    import sqlite3
    with sqlite3.connect(database) as db:
        db.execute("UPDATE decisions SET decision_json = replace(decision_json, '\"status\"', '\"statu5\"')")
    replay = subprocess.run([str(BINARY), "replay", "--database", f"sqlite:{database}", "--rules", str(RULES)],
                            capture_output=True, text=True)
    assert replay.returncode == 1
    assert "DIFFERENT at byte" in replay.stdout
