"""What the tumour-board page needs from `sacral serve`, called over loopback as the page calls it:
the field dictionary, the decision with its what-if (bounded; the log keeps the plain decision and
the answer names the log entry), and the board pages, which only a loopback `--insecure-local`
server serves (a browser carries no EHR token)."""

from __future__ import annotations

import json
import subprocess

import pytest

from server_harness import BINARY, CASES, RULES, Server, assert_operation_outcome, cli_decision, export_bundle, export_log

WITHOUT_INR = CASES / "missing-data" / "missing-inr.yaml"


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    assert s.stop() == 0, s.log()


@pytest.fixture(scope="module")
def local():
    s = Server(insecure=True)
    yield s
    assert s.stop() == 0, s.log()


def cli_what_if(case) -> dict:
    out = subprocess.run([str(BINARY), "evaluate", "--format", "json", "--what-if", "--rules", str(RULES), str(case)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_dictionary_is_the_pages_with_the_ruleset_that_serves(server):
    r = server.client.get("/v1/dictionary", headers=server.auth("/v1/dictionary"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ruleset"]["sha256"] == r.headers["x-sacral-ruleset"]
    paths = {f["path"] for f in body["fields"]}
    assert {"labs.inr", "lesions[].levels", "patient.karnofsky"} <= paths
    inr = [f for f in body["fields"] if f["path"] == "labs.inr"][0]
    assert inr["label"] and inr["max"] == 20
    assert [p["id"] for p in body["ruleset"]["pathways"]]


def test_the_dictionary_needs_a_token_like_every_api_call(server):
    assert_operation_outcome(server.client.get("/v1/dictionary"), 401)


def test_what_if_answers_as_the_cli_and_the_log_keeps_the_plain_decision(server):
    r = server.client.post("/v1/evaluate?what_if=true", content=WITHOUT_INR.read_bytes(),
                           headers={"Content-Type": "application/yaml", **server.auth("/v1/evaluate")})
    assert r.status_code == 200, r.text
    assert r.json() == cli_what_if(WITHOUT_INR)
    inr = [f for f in r.json()["what_if"]["pathways"]["sacroplasty"] if f["field"] == "labs.inr"][0]
    assert [(o["when"], o["status"]) for o in inr["outcomes"]] == [("≤ 1.50", "recommended"), ("> 1.50", "contraindicated")]
    assert r.json()["what_if"]["evaluations"] <= r.json()["what_if"]["limit"]
    logged = {d["id"]: d for d in export_log("sqlite:decisions.sqlite", cwd=server.tmp)}
    entry = logged[r.headers["x-sacral-decision"]]
    assert entry["decision_json"] == cli_decision(WITHOUT_INR)
    # Without the parameter (or with false) the answer is the plain decision.
    plain = server.client.post("/v1/evaluate?what_if=false", content=WITHOUT_INR.read_bytes(),
                               headers={"Content-Type": "application/yaml", **server.auth("/v1/evaluate")})
    assert plain.text == cli_decision(WITHOUT_INR)


def test_what_if_takes_true_or_false_and_a_case_only(server):
    r = server.client.post("/v1/evaluate?what_if=yes", content=WITHOUT_INR.read_bytes(),
                           headers={"Content-Type": "application/yaml", **server.auth("/v1/evaluate")})
    assert_operation_outcome(r, 400)
    assert "what_if" in r.text
    bundle = export_bundle(WITHOUT_INR, "2026-01-15")
    r = server.client.post("/v1/evaluate?what_if=true", json=bundle,
                           headers={"Content-Type": "application/fhir+json", **server.auth("/v1/evaluate")})
    assert_operation_outcome(r, 400)
    assert "FHIR Bundle" in r.text


@pytest.mark.parametrize("path", ["/board", "/cases", "/cases/0b7c9e0e-0000-0000-0000-000000000000"])
def test_the_board_is_not_served_where_tokens_are_checked(server, path):
    # Not even to a caller with a valid token: the page in a browser could not present one.
    r = server.client.get(path, headers=server.auth(path))
    assert_operation_outcome(r, 404)
    assert "--insecure-local" in r.text


def test_a_loopback_server_serves_the_board_and_lists_its_decisions(local):
    page = local.client.get("/board")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '"mode":"live"' in page.text and "/v1/dictionary" in page.text
    decided = local.client.post("/v1/evaluate?what_if=true", content=WITHOUT_INR.read_bytes(),
                                headers={"Content-Type": "application/yaml"})
    assert decided.status_code == 200
    listed = local.client.get("/cases")
    assert listed.status_code == 200
    assert f'href="/cases/{decided.headers["x-sacral-decision"]}"' in listed.text
    opened = local.client.get("/cases/" + decided.headers["x-sacral-decision"])
    assert opened.status_code == 200 and '"id":"missing-inr"' in opened.text
    assert_operation_outcome(local.client.get("/cases/no-such-decision"), 404)


def test_a_bundle_is_read_into_the_case_that_decides_as_the_bundle_does(server):
    bundle = export_bundle(WITHOUT_INR, "2026-01-15")
    headers = {"Content-Type": "application/fhir+json"}
    read = server.client.post("/v1/fhir/case?date=2026-01-15", json=bundle, headers={**headers, **server.auth("/v1/fhir/case")})
    assert read.status_code == 200, read.text
    record = read.json()
    assert record["evaluation_date"] == "2026-01-15"
    assert record["provenance"] and isinstance(record["fhir_warnings"], list)
    assert record["case"]["lesions"] and record["case"]["patient"]["age"]
    from_bundle = server.client.post("/v1/evaluate?date=2026-01-15", json=bundle,
                                     headers={**headers, **server.auth("/v1/evaluate")})
    from_case = server.client.post("/v1/evaluate", json=record["case"], headers=server.auth("/v1/evaluate"))
    assert from_case.status_code == 200, from_case.text
    statuses = {p: d["status"] for p, d in from_bundle.json()["pathways"].items()}
    assert {p: d["status"] for p, d in from_case.json()["pathways"].items()} == statuses
    # Without a date or a timestamp the reading is refused, as for evaluate.
    bundle.pop("timestamp", None)
    refused = server.client.post("/v1/fhir/case", json=bundle, headers={**headers, **server.auth("/v1/fhir/case")})
    assert_operation_outcome(refused, 400)
