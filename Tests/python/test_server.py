"""`sacral serve` as a REST API, called by a real client over loopback: the decision matches the
CLI's, every token check of the CDS Hooks security rules holds, bodies are bounded, CORS answers
only allow-listed origins, and nothing secret reaches the log."""

from __future__ import annotations

import concurrent.futures
import json
import time

import httpx
import jwt
import pytest
import yaml

from server_harness import (ADMIN_ISSUER, CASES, FILE_ISSUER, ISSUER, RULES, ROGUE_ISSUER, Server, assert_operation_outcome,
                            cli_decision, export_log)

CASE_FILE = sorted(CASES.rglob("*.yaml"))[0]


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    assert s.stop() == 0, s.log()


def evaluate(server: Server, body: bytes, content_type: str = "application/json", **token) -> httpx.Response:
    return server.client.post("/v1/evaluate", content=body, headers={"Content-Type": content_type,
                                                                     **server.auth("/v1/evaluate", **token)})


# -- the decision ----------------------------------------------------------------------------------

def test_yaml_case_gets_the_clis_decision_byte_for_byte(server):
    r = evaluate(server, CASE_FILE.read_bytes(), "application/yaml")
    assert r.status_code == 200, r.text
    assert r.text == cli_decision(CASE_FILE)
    assert r.headers["x-sacral-ruleset"] == r.json()["ruleset"]["sha256"]


def test_json_case_gets_the_same_decision_as_its_yaml(server):
    case = yaml.safe_load(CASE_FILE.read_text())
    r = evaluate(server, json.dumps(case).encode())
    assert r.status_code == 200, r.text
    assert r.json() == json.loads(cli_decision(CASE_FILE))


def test_every_shipped_case_family_is_decided_like_the_cli(server):
    for case_file in sorted({p.parent: p for p in CASES.rglob("*.yaml")}.values()):
        if "expect_error" in case_file.read_text():
            continue
        r = evaluate(server, case_file.read_bytes(), "application/yaml")
        cli = cli_decision(case_file)
        if cli:
            assert r.status_code == 200, (case_file, r.text)
            assert r.text == cli, case_file


def test_rs384_token_from_a_jwks_file_issuer_is_accepted(server):
    r = evaluate(server, CASE_FILE.read_bytes(), "application/yaml", key=server.file_key, iss=FILE_ISSUER, jku=None)
    assert r.status_code == 200, r.text


def test_rs384_token_through_jku_is_accepted(server):
    r = evaluate(server, CASE_FILE.read_bytes(), "application/yaml", key=server.rs384)
    assert r.status_code == 200, r.text


def test_rules_catalogue_names_its_ruleset(server):
    r = server.client.get("/v1/rules", headers=server.auth("/v1/rules"))
    assert r.status_code == 200
    assert r.headers["x-sacral-ruleset"]
    assert r.json()


# -- tokens ------------------------------------------------------------------------------------

def test_no_token_is_401_with_an_operation_outcome(server):
    r = server.client.post("/v1/evaluate", content=CASE_FILE.read_bytes(), headers={"Content-Type": "application/yaml"})
    assert_operation_outcome(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_alg_none_is_refused(server):
    unsigned = jwt.encode({"iss": ISSUER, "aud": server.public_base + "/v1/rules", "exp": int(time.time()) + 60,
                           "iat": int(time.time()), "jti": "none-1"}, None, algorithm="none",
                          headers={"kid": server.es384.kid, "jku": server.jwks.url("/jwks.json")})
    assert_operation_outcome(server.client.get("/v1/rules", headers={"Authorization": "Bearer " + unsigned}), 401)


def test_hs256_signed_with_the_public_key_is_refused(server):
    # The classic confusion attack: HMAC keyed with the issuer's public key.
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": server.public_base + "/v1/rules", "exp": now + 60, "iat": now, "jti": "hs-1"}
    header = {"kid": server.rs384.kid, "jku": server.jwks.url("/jwks.json"), "alg": "HS256", "typ": "JWT"}
    import base64, hashlib, hmac
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
    signing_input = enc(json.dumps(header).encode()) + b"." + enc(json.dumps(payload).encode())
    sig = enc(hmac.new(server.rs384.public_pem, signing_input, hashlib.sha256).digest())
    token = (signing_input + b"." + sig).decode()
    assert_operation_outcome(server.client.get("/v1/rules", headers={"Authorization": "Bearer " + token}), 401)


@pytest.mark.parametrize("change, status", [
    ({"kid": "no-such-key"}, 401),
    ({"kid": None}, 401),
    ({"aud": "https://cds.example.org/sacral/v1/evaluate"}, 401),   # another endpoint's URL
    ({"aud": "http://127.0.0.1/v1/rules"}, 401),                    # what a Host header would give
    ({"exp_in": -120, "iat_offset": -200}, 401),                    # expired beyond the skew
    ({"iat_offset": 300}, 401),                                      # issued in the future
    ({"exp_in": 3600}, 401),                                         # lifetime over the bound
    ({"drop": ("jti",)}, 401),
    ({"drop": ("exp",)}, 401),
    ({"iss": ROGUE_ISSUER, "jku": None}, 403),                       # issuer not allowed
    ({"jku": "ROGUE"}, 403),                                         # jku off the issuer's allow-list
])
def test_bad_tokens_are_refused(server, change, status):
    change = dict(change)
    if change.get("jku") == "ROGUE":
        change["jku"] = server.jwks.url("/rogue.json")
    if change.get("iss") == ROGUE_ISSUER:
        change["key"] = server.rogue_key
    token = server.token("/v1/rules", **change)
    r = server.client.get("/v1/rules", headers={"Authorization": "Bearer " + token})
    assert_operation_outcome(r, status)
    assert token.split(".")[1] not in r.text  # the token is never echoed


def test_skew_within_a_minute_is_tolerated(server):
    r = server.client.get("/v1/rules", headers=server.auth("/v1/rules", iat_offset=30))
    assert r.status_code == 200, r.text


def test_a_signature_by_another_key_is_refused(server):
    # Right kid and header, signed by the rogue key.
    token = server.token("/v1/rules", key=server.rogue_key, kid=server.es384.kid)
    assert_operation_outcome(server.client.get("/v1/rules", headers={"Authorization": "Bearer " + token}), 401)


def test_replayed_jti_is_refused(server):
    headers = server.auth("/v1/rules", jti="replay-me")
    assert server.client.get("/v1/rules", headers=headers).status_code == 200
    assert_operation_outcome(server.client.get("/v1/rules", headers=headers), 401)
    fresh = server.auth("/v1/rules", jti="replay-me")
    assert_operation_outcome(server.client.get("/v1/rules", headers=fresh), 401)


def test_jwks_is_cached_between_calls(server):
    before = server.jwks.fetches.get("/jwks.json", 0)
    for _ in range(3):
        assert server.client.get("/v1/rules", headers=server.auth("/v1/rules")).status_code == 200
    assert server.jwks.fetches.get("/jwks.json", 0) - before <= 1


def test_admin_reload_needs_an_admin_issuer(server):
    assert_operation_outcome(server.client.post("/v1/admin/reload", headers=server.auth("/v1/admin/reload")), 403)
    r = server.client.post("/v1/admin/reload", headers=server.admin_auth("/v1/admin/reload"))
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "unchanged"


# -- bodies -----------------------------------------------------------------------------------

def test_malformed_json_is_400(server):
    body = assert_operation_outcome(evaluate(server, b'{"id": "x", "patient": {'), 400)
    assert body["issue"][0]["diagnostics"]


def test_malformed_yaml_is_400(server):
    assert_operation_outcome(evaluate(server, b"id: [unclosed\n  - : :", "application/yaml"), 400)


def test_a_case_that_breaks_the_dictionary_is_422_with_field_paths(server):
    case = yaml.safe_load(CASE_FILE.read_text())
    case["labs"] = {"inr": "high"}
    body = assert_operation_outcome(evaluate(server, json.dumps(case).encode()), 422)
    assert any("labs.inr" in " ".join(i.get("expression", [])) for i in body["issue"][1:])


def test_not_an_object_is_refused(server):
    assert evaluate(server, b"[1, 2, 3]").status_code in (400, 422)


def test_unknown_media_type_is_415(server):
    assert_operation_outcome(evaluate(server, b"id: x", "text/csv"), 415)


def test_oversized_body_is_413(server):
    big = b'{"id": "big", "padding": "' + b"x" * 70000 + b'"}'
    assert_operation_outcome(evaluate(server, big), 413)


def test_oversized_chunked_body_is_413(server):
    def chunks():
        yield b'{"id": "big", "padding": "'
        for _ in range(80):
            yield b"x" * 1000
        yield b'"}'
    r = server.client.post("/v1/evaluate", content=chunks(),
                           headers={"Content-Type": "application/json", **server.auth("/v1/evaluate")})
    assert_operation_outcome(r, 413)


def test_unknown_route_is_404_outcome(server):
    assert_operation_outcome(server.client.get("/v1/nothing-here", headers=server.auth("/v1/nothing-here")), 404)


# -- CORS -------------------------------------------------------------------------------------

def test_cors_preflight_for_an_allowed_origin(server):
    r = server.client.options("/v1/evaluate", headers={
        "Origin": "https://ehr.example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "https://ehr.example.org"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"].lower()


def test_cors_refuses_other_origins(server):
    r = server.client.options("/v1/evaluate", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers
    r = server.client.get("/v1/rules", headers={"Origin": "https://evil.example", **server.auth("/v1/rules")})
    assert "access-control-allow-origin" not in r.headers


def test_cors_header_on_an_allowed_call(server):
    r = server.client.get("/v1/rules", headers={"Origin": "https://ehr.example.org", **server.auth("/v1/rules")})
    assert r.headers["access-control-allow-origin"] == "https://ehr.example.org"


# -- operations -------------------------------------------------------------------------------

def test_health_ready_and_metrics_need_no_token(server):
    assert server.client.get("/healthz").json()["status"] == "ok"
    ready = server.client.get("/readyz").json()
    assert ready["status"] == "ready" and len(ready["ruleset"]["sha256"]) == 64 and ready["reload_error"] is None
    evaluate(server, CASE_FILE.read_bytes(), "application/yaml")
    text = server.client.get("/metrics").text
    for name in ("sacral_http_requests_total", "sacral_http_request_duration_seconds_bucket", "sacral_decisions_total",
                 "sacral_rule_failures_total", "sacral_pool_wait_seconds_bucket"):
        assert name in text, name


def test_every_decision_is_logged_without_identifiers(server):
    r = server.client.post("/v1/evaluate", content=CASE_FILE.read_bytes(),
                           headers={"Content-Type": "application/yaml", "X-Request-Id": "req-logged-1",
                                    **server.auth("/v1/evaluate")})
    assert r.status_code == 200
    rows = export_log(server.config["database"], cwd=server.tmp)
    row = next(row for row in rows if row["request_id"] == "req-logged-1")
    assert row["decision_json"] == r.text
    assert row["ruleset_sha256"] == r.headers["x-sacral-ruleset"]
    assert row["origin"] == "rest"


def test_the_log_holds_no_token(server):
    token = server.token("/v1/rules")
    server.client.get("/v1/rules", headers={"Authorization": "Bearer " + token})
    text = server.log()
    assert token not in text and token.split(".")[2] not in text
    for line in text.splitlines():
        if line.startswith("{"):
            json.loads(line)  # structured: one JSON object per line


def test_a_full_queue_answers_503_with_retry_after():
    s = Server(limits={"workers": 1, "queue_depth": 0})
    try:
        body = CASE_FILE.read_bytes()

        def call(_):
            return s.client.post("/v1/evaluate", content=body,
                                 headers={"Content-Type": "application/yaml", **s.auth("/v1/evaluate")})
        statuses = []
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            for _ in range(10):
                responses = list(pool.map(call, range(32)))
                statuses += [r.status_code for r in responses]
                for r in responses:
                    assert r.status_code in (200, 503), r.text
                    if r.status_code == 503:
                        assert r.headers["retry-after"] == "1"
                        assert r.json()["resourceType"] == "OperationOutcome"
                if 503 in statuses:
                    break
        assert 503 in statuses and 200 in statuses
    finally:
        assert s.stop() == 0


def test_sigterm_stops_gracefully():
    s = Server()
    assert evaluate(s, CASE_FILE.read_bytes(), "application/yaml").status_code == 200
    assert s.stop() == 0
    assert "sacral serve stopped" in s.log_path.read_text()


# -- hot reload -----------------------------------------------------------------------------------

def wait_for(predicate, timeout: float = 30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_sighup_swaps_in_edited_rules_and_a_broken_edit_keeps_the_running_ones(tmp_path):
    import shutil
    import signal
    rules = tmp_path / "Rules"
    shutil.copytree(RULES, rules)
    s = Server(rules=rules)
    try:
        first = s.client.get("/readyz").json()["ruleset"]["sha256"]
        before = evaluate(s, CASE_FILE.read_bytes(), "application/yaml")
        assert before.headers["x-sacral-ruleset"] == first

        ruleset = rules / "ruleset.lua"
        ruleset.write_text(ruleset.read_text().replace('version = "1.0.0"', 'version = "1.0.1"', 1))
        s.process.send_signal(signal.SIGHUP)
        second = wait_for(lambda: (sha := s.client.get("/readyz").json()["ruleset"]["sha256"]) != first and sha)
        after = evaluate(s, CASE_FILE.read_bytes(), "application/yaml")
        assert after.headers["x-sacral-ruleset"] == second == after.json()["ruleset"]["sha256"]
        assert after.json()["ruleset"]["version"] == "1.0.1"

        (rules / "rules" / "alerts.lua").write_text("this is not lua (")
        s.process.send_signal(signal.SIGHUP)
        ready = wait_for(lambda: (r := s.client.get("/readyz")).json()["reload_error"] and r)
        assert ready.status_code == 200 and ready.json()["ruleset"]["sha256"] == second
        assert "alerts.lua" in ready.json()["reload_error"]
        still = evaluate(s, CASE_FILE.read_bytes(), "application/yaml")
        assert still.status_code == 200 and still.headers["x-sacral-ruleset"] == second
        assert "rules reload failed" in s.log()
        r = s.client.post("/v1/admin/reload", headers=s.admin_auth("/v1/admin/reload"))
        assert r.status_code == 422 and "alerts.lua" in r.json()["error"]
        assert 'sacral_rules_reloads_total{outcome="failed"}' in s.client.get("/metrics").text
    finally:
        assert s.stop() == 0, s.log()


# -- FHIR on the REST API -------------------------------------------------------------------------

def test_a_fhir_bundle_is_decided_like_sacral_evaluate_fhir(server, tmp_path):
    import subprocess
    from server_harness import BINARY, export_bundle
    case = CASES / "exclusions" / "pmma-allergy.yaml"
    bundle = export_bundle(case, "2026-06-01")
    bundle["timestamp"] = "2026-06-01T09:00:00Z"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    cli = json.loads(subprocess.run([str(BINARY), "evaluate", "--fhir", str(path), "--format", "json", "--rules", str(RULES)],
                                    capture_output=True, text=True).stdout)
    r = server.client.post("/v1/evaluate", content=path.read_bytes(),
                           headers={"Content-Type": "application/fhir+json", "X-Request-Id": "fhir-bundle-1",
                                    **server.auth("/v1/evaluate")})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert {k: v["status"] for k, v in answer["pathways"].items()} == {k: v["status"] for k, v in cli["pathways"].items()}
    assert answer["pathways"]["sacroplasty"]["status"] == "contraindicated"
    assert answer["provenance"]["comorbidities.pmma_allergy"]["element"] == "code"
    row = next(row for row in export_log(server.config["database"], cwd=server.tmp) if row["request_id"] == "fhir-bundle-1")
    assert row["case_kind"] == "fhir" and row["patient_hash"]
    assert '"Patient/pmma-allergy"' not in row["case_json"]


def test_a_bundle_sent_as_plain_json_is_read_as_fhir_even_with_escaped_keys(server):
    # The server looks for a resourceType key before parsing a body as a case; a key may be written
    # with \\u escapes, and such a Bundle must still be read as one.
    from server_harness import export_bundle
    bundle = export_bundle(CASES / "exclusions" / "pmma-allergy.yaml", "2026-06-01")
    bundle["timestamp"] = "2026-06-01T09:00:00Z"
    plain = json.dumps(bundle)
    escaped = plain.replace('"resourceType"', '"resource\\u0054ype"')
    assert "resourceType" not in escaped
    answers = []
    for body in (plain, escaped):
        r = server.client.post("/v1/evaluate", content=body.encode(),
                               headers={"Content-Type": "application/json", **server.auth("/v1/evaluate")})
        assert r.status_code == 200, r.text
        answers.append(r.json())
    assert answers[0]["pathways"]["sacroplasty"]["status"] == "contraindicated"
    assert answers[0]["provenance"] == answers[1]["provenance"]
    assert answers[0]["pathways"] == answers[1]["pathways"]


def test_a_bundle_without_an_evaluation_date_is_400_and_date_gives_one(server):
    from server_harness import export_bundle
    bundle = export_bundle(CASES / "exclusions" / "pmma-allergy.yaml", "2026-06-01")
    bundle.pop("timestamp", None)
    headers = {"Content-Type": "application/fhir+json"}
    r = server.client.post("/v1/evaluate", json=bundle, headers={**headers, **server.auth("/v1/evaluate")})
    assert "evaluation date" in assert_operation_outcome(r, 400)["issue"][0]["diagnostics"]
    r = server.client.post("/v1/evaluate?date=2026-06-01", json=bundle, headers={**headers, **server.auth("/v1/evaluate")})
    assert r.status_code == 200, r.text
    r = server.client.post("/v1/evaluate?date=June", json=bundle, headers={**headers, **server.auth("/v1/evaluate")})
    assert_operation_outcome(r, 400)


def test_a_fhir_resource_that_is_not_a_bundle_is_400(server):
    r = server.client.post("/v1/evaluate", json={"resourceType": "Patient", "id": "p"},
                           headers={"Content-Type": "application/fhir+json", **server.auth("/v1/evaluate")})
    assert 'expected "Bundle"' in assert_operation_outcome(r, 400)["issue"][0]["diagnostics"]


def test_the_questionnaire_is_the_clis_and_valid_fhir(server):
    import subprocess
    from fhir.resources.R4B.questionnaire import Questionnaire
    from server_harness import BINARY
    r = server.client.get("/v1/fhir/questionnaire", headers=server.auth("/v1/fhir/questionnaire"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    cli = subprocess.run([str(BINARY), "fhir", "questionnaire", "--rules", str(RULES)], capture_output=True, text=True)
    assert r.text == cli.stdout
    Questionnaire.model_validate(r.json())
    assert_operation_outcome(server.client.get("/v1/fhir/questionnaire"), 401)
