"""Two `sacral serve` replicas sharing one PostgreSQL decision log: calls alternate between them,
one log holds every decision, and `sacral replay` reproduces each byte for byte."""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import uuid

import pytest

from server_harness import BINARY, CASES, RULES, MockFHIRServer, PostgresCluster, Server, export_bundle, export_log


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


def test_feedback_reaches_the_decision_whichever_replica_receives_it(postgres):
    """The EHR's feedback on a card may reach another replica than the one that made the card
    (a load balancer does not pin it): it is linked to its decision all the same, and a repeat sent
    to the first replica is recognised as a duplicate."""
    key = base64.b64encode(os.urandom(32)).decode()
    fhir = MockFHIRServer()
    replicas = [Server(database=postgres.url, patient_key=key), Server(database=postgres.url, patient_key=key)]
    try:
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        bundle = export_bundle(CASES / "exclusions" / "reference-no-exclusion.yaml", today)
        fhir.load(bundle)
        patient_id = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
        path = "/cds-services/sacral-pathways"
        hook = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
                "context": {"userId": "Practitioner/dr-17", "patientId": patient_id},
                "prefetch": fhir.prefetch(patient_id)}
        first, second = replicas
        r = first.client.post(path, json=hook, headers=first.auth(path))
        assert r.status_code == 200, r.text
        card = r.json()["cards"][0]
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        feedback = {"feedback": [{"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": now,
                                  "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}]}]}
        r = second.client.post(path + "/feedback", json=feedback, headers=second.auth(path + "/feedback"))
        assert r.status_code == 200, r.text
        assert r.json() == {"stored": 1, "duplicates": 0}
        r = first.client.post(path + "/feedback", json=feedback, headers=first.auth(path + "/feedback"))
        assert r.json() == {"stored": 0, "duplicates": 1}

        out = subprocess.run([str(BINARY), "log", "export", "--feedback", "--database", postgres.url],
                             check=True, capture_output=True, text=True)
        rows = [json.loads(line) for line in out.stdout.splitlines() if card["uuid"] in line]
        assert [row["outcome"] for row in rows] == ["accepted"]
        decision = next(row for row in export_log(postgres.url) if row["request_id"] == hook["hookInstance"])
        assert decision["replica"].endswith(f":{first.port}")
        assert rows[0]["decision_id"] == decision["id"]
    finally:
        for s in replicas:
            assert s.stop() == 0, s.log()
        fhir.close()


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
