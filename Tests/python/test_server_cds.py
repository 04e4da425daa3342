"""`sacral serve` as a CDS Hooks 2.0 service, called as an EHR calls it: discovery, `patient-view`,
`order-select`, `order-sign` and feedback, each with a signed token; prefetch full, partial, `null`
and missing (then fetched from the EHR's FHIR server with the call's `fhirAuthorization`, or 412).
Every response is checked against schemas written from the spec (cds_schemas.py) and every FHIR
resource in a suggestion with fhir.resources."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import subprocess
import uuid

import jsonschema
import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

import cds_schemas
from server_harness import (BINARY, CASES, RULES, MockFHIRServer, Server, assert_operation_outcome, export_bundle,
                            export_log, prefetch_templates)

PATHWAYS = "/cds-services/sacral-pathways"
ORDERS = "/cds-services/sacral-order-check"
TODAY = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
REFERENCE = CASES / "exclusions" / "reference-no-exclusion.yaml"   # sacroplasty and RFA recommended
PMMA = CASES / "exclusions" / "pmma-allergy.yaml"                  # sacroplasty contraindicated
CAUDA = CASES / "neurology" / "cauda-equina.yaml"                  # emergency alert

CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


@pytest.fixture(scope="module")
def fhir():
    f = MockFHIRServer()
    yield f
    f.close()


@pytest.fixture(scope="module")
def server(fhir):
    s = Server(extra_config={"fhir_servers": [fhir.base],
                             "report_url": "https://cds.example.org/sacral/report/{hookInstance}"})
    yield s
    assert s.stop() == 0, s.log()


def patient(fhir: MockFHIRServer, case) -> str:
    """Loads a case's Bundle into the EHR under a fresh EHR patient id (as a record system would
    number it, unlike the case's name); that id."""
    bundle = export_bundle(case, TODAY)
    old = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    new = "pt-" + uuid.uuid4().hex[:12]
    fhir.load(json.loads(json.dumps(bundle).replace(f'"Patient/{old}"', f'"Patient/{new}"')
                         .replace(f'"id": "{old}"', f'"id": "{new}"')))
    return new


def call(server: Server, path: str, body: dict, **token):
    return server.client.post(path, json=body, headers=server.auth(path, **token))


def hook_request(hook: str, patient_id: str, prefetch: dict | None = None, fhir: MockFHIRServer | None = None,
                 **context) -> dict:
    body = {"hook": hook, "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/dr-17", "patientId": patient_id, **context}}
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir is not None:
        body["fhirServer"] = fhir.base
        body["fhirAuthorization"] = {"access_token": fhir.token, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "user/*.read", "subject": "sacral"}
    return body


def valid_cards(response) -> list[dict]:
    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, cds_schemas.RESPONSE, format_checker=CHECKER)
    for card in body["cards"]:
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                if "resource" in action:
                    ServiceRequest.model_validate(action["resource"])
    return body["cards"]


def draft_order(order_id: str, patient_id: str, system: str, code: str, text: str) -> dict:
    return {"resourceType": "ServiceRequest", "id": order_id, "status": "draft", "intent": "order",
            "code": {"coding": [{"system": system, "code": code}], "text": text},
            "subject": {"reference": f"Patient/{patient_id}"}}


def draft_bundle(*orders: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in orders]}


# -- discovery ------------------------------------------------------------------------------------

def test_discovery_lists_both_services_with_the_mappings_prefetch(server):
    r = server.client.get("/cds-services", headers=server.auth("/cds-services"))
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, cds_schemas.DISCOVERY)
    hooks = {(s["id"], s["hook"]) for s in body["services"]}
    assert hooks == {("sacral-pathways", "patient-view"), ("sacral-order-check", "order-select"),
                     ("sacral-order-check", "order-sign")}
    for service in body["services"]:
        assert service["prefetch"] == prefetch_templates()


def test_discovery_needs_a_token_for_its_own_url(server):
    assert_operation_outcome(server.client.get("/cds-services"), 401)
    wrong = server.auth("/cds-services", aud=server.public_base + PATHWAYS)
    assert_operation_outcome(server.client.get("/cds-services", headers=wrong), 401)


def test_cors_preflight_on_a_hook(server):
    r = server.client.options(PATHWAYS, headers={"Origin": "https://ehr.example.org",
                                                 "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status_code in (200, 204)
    assert r.headers["access-control-allow-origin"] == "https://ehr.example.org"


# -- patient-view ---------------------------------------------------------------------------------

def test_patient_view_with_full_prefetch_summarises_the_pathways(server, fhir):
    pid = patient(fhir, REFERENCE)
    fhir.requests.clear()
    body = hook_request("patient-view", pid, fhir.prefetch(pid))
    fhir.requests.clear()
    cards = valid_cards(call(server, PATHWAYS, body))
    assert fhir.requests == []  # everything was prefetched
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "info"
    assert "sacroplasty" in card["summary"] and "recommended" in card["summary"]
    assert "**sacroplasty**: recommended" in card["detail"]
    assert "rule `" in card["detail"] and "source:" in card["detail"]
    assert card["source"]["url"] == f"https://cds.example.org/sacral/report/{body['hookInstance']}"
    assert card["selectionBehavior"] == "any"
    created = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "create"]
    assert {r["code"]["text"] for r in created} >= {"sacroplasty", "rfa"}
    assert all(r["subject"]["reference"] == f"Patient/{pid}" and r["status"] == "draft" for r in created)
    assert all(reason["display"] for reason in card["overrideReasons"])


def test_patient_view_decision_matches_the_cli_on_the_same_bundle(server, fhir, tmp_path):
    pid = patient(fhir, REFERENCE)
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(export_bundle(REFERENCE, TODAY)))
    cli = json.loads(subprocess.run([str(BINARY), "evaluate", "--fhir", str(bundle), "--date", TODAY, "--format", "json",
                                     "--rules", str(RULES)], capture_output=True, text=True).stdout)
    card = valid_cards(call(server, PATHWAYS, hook_request("patient-view", pid, fhir.prefetch(pid))))[0]
    for pathway, body in cli["pathways"].items():
        assert f"**{pathway.replace('_', ' ')}**: {body['status'].replace('_', ' ')}" in card["detail"]


def test_cauda_equina_is_a_critical_card(server, fhir):
    pid = patient(fhir, CAUDA)
    card = valid_cards(call(server, PATHWAYS, hook_request("patient-view", pid, fhir.prefetch(pid))))[0]
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("EMERGENCY")


def test_partial_prefetch_is_completed_from_the_fhir_server_with_the_callers_token(server, fhir):
    pid = patient(fhir, REFERENCE)
    full = valid_cards(call(server, PATHWAYS, hook_request("patient-view", pid, fhir.prefetch(pid))))[0]
    given = fhir.prefetch(pid, keys={"patient", "conditions"})
    fhir.requests.clear()
    partial = valid_cards(call(server, PATHWAYS, hook_request("patient-view", pid, given, fhir)))[0]
    fetched = {path.split("?")[0] for path, _ in fhir.requests}
    assert "/fhir/Observation" in fetched and "/fhir/Patient/" + pid not in fetched
    assert len(fhir.requests) == len(prefetch_templates()) - 2
    assert all(auth == "Bearer " + fhir.token for _, auth in fhir.requests)
    assert partial["summary"] == full["summary"]
    assert fhir.token not in server.log()


def test_no_prefetch_at_all_is_fetched_whole(server, fhir):
    pid = patient(fhir, REFERENCE)
    fhir.requests.clear()
    card = valid_cards(call(server, PATHWAYS, hook_request("patient-view", pid, None, fhir)))[0]
    assert len(fhir.requests) == len(prefetch_templates())
    assert "sacroplasty" in card["summary"]


def out_of_scope_count(server) -> float:
    for line in server.client.get("/metrics").text.splitlines():
        if line.startswith('sacral_cds_out_of_scope_total{service="sacral-pathways"}'):
            return float(line.split()[-1])
    return 0.0


def null_prefetch(fhir, pid: str, **given) -> dict:
    """Every prefetch key null (the EHR found nothing) but the Patient and the keys given."""
    prefetch = {key: None for key in prefetch_templates()}
    prefetch["patient"] = fhir.query(f"Patient/{pid}")
    prefetch.update(given)
    return prefetch


def searchset(*resources: dict) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def metastasis(pid: str, cid: str, code=("http://snomed.info/sct", "94222008"), site=("http://snomed.info/sct", "54735007"),
               clinical="active", verification="confirmed") -> dict:
    condition = {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{pid}"},
                 "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                                "code": clinical}]},
                 "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                    "code": verification}]},
                 "code": {"coding": [{"system": code[0], "code": code[1]}]}}
    if site:
        condition["bodySite"] = [{"coding": [{"system": site[0], "code": site[1]}]}]
    return condition


def test_null_prefetch_means_no_data_so_no_card_and_nothing_fetched_or_logged(server, fhir):
    # A chart with nothing on a sacral metastasis: the service stays quiet ({"cards": []}, as the
    # spec has it for no advice), evaluates nothing and logs nothing, and /metrics counts it.
    pid = patient(fhir, REFERENCE)
    before_count, before_log = out_of_scope_count(server), len(export_log(server.config["database"], cwd=server.tmp))
    prefetch = null_prefetch(fhir, pid)
    fhir.requests.clear()
    response = call(server, PATHWAYS, hook_request("patient-view", pid, prefetch, fhir))
    assert valid_cards(response) == []
    assert response.headers["x-sacral-ruleset"]
    assert fhir.requests == []
    assert out_of_scope_count(server) == before_count + 1
    assert len(export_log(server.config["database"], cwd=server.tmp)) == before_log


def test_questionnaire_answers_alone_put_the_patient_in_scope(server, fhir):
    # The team's answers are the record of the case: a card, undetermined for want of the rest.
    pid = patient(fhir, REFERENCE)
    answers = fhir.query(prefetch_templates()["questionnaire_responses"].replace("{{context.patientId}}", pid))
    assert answers and answers.get("entry"), "the exported case has no questionnaire answers"
    card = valid_cards(call(server, PATHWAYS, hook_request(
        "patient-view", pid, null_prefetch(fhir, pid, questionnaire_responses=answers), fhir)))[0]
    assert "undetermined" in card["summary"] or "no pathway recommended" in card["summary"]
    assert "Data needed to decide" in card["detail"] or "Missing:" in card["detail"]


@pytest.mark.parametrize("condition, shown", [
    ({}, True),                                                         # bone metastasis at the sacrum
    ({"site": None}, True),                                             # no body site named
    ({"code": ("http://hl7.org/fhir/sid/icd-10-cm", "C79.51"), "site": None}, True),
    ({"clinical": "recurrence"}, True),
    ({"site": ("http://snomed.info/sct", "71341001")}, False),          # bone metastasis of the femur
    ({"verification": "refuted"}, False),
    ({"verification": "entered-in-error"}, False),
    ({"clinical": "resolved"}, False),
    ({"code": ("http://snomed.info/sct", "254837009")}, False),         # the primary (breast) only
])
def test_a_sacral_metastasis_on_record_puts_the_patient_in_scope(server, fhir, condition, shown):
    pid = patient(fhir, REFERENCE)
    conditions = searchset(metastasis(pid, "met-" + uuid.uuid4().hex[:8], **condition))
    cards = valid_cards(call(server, PATHWAYS, hook_request(
        "patient-view", pid, null_prefetch(fhir, pid, conditions=conditions), fhir)))
    assert len(cards) == (1 if shown else 0), cards


def test_another_patients_metastasis_does_not_put_this_one_in_scope(server, fhir):
    pid = patient(fhir, REFERENCE)
    conditions = searchset(metastasis("someone-else", "met-other"))
    cards = valid_cards(call(server, PATHWAYS, hook_request(
        "patient-view", pid, null_prefetch(fhir, pid, conditions=conditions), fhir)))
    assert cards == []


def test_missing_prefetch_without_fhir_authorization_is_412(server, fhir):
    pid = patient(fhir, REFERENCE)
    r = call(server, PATHWAYS, hook_request("patient-view", pid, fhir.prefetch(pid, keys={"patient"})))
    body = assert_operation_outcome(r, 412)
    assert "prefetch" in body["issue"][0]["diagnostics"]


def test_fhir_server_off_the_allow_list_gets_no_token(server, fhir):
    pid = patient(fhir, REFERENCE)
    body = hook_request("patient-view", pid, {}, fhir)
    body["fhirServer"] = fhir.base.replace("127.0.0.1", "localhost")
    fhir.requests.clear()
    assert_operation_outcome(call(server, PATHWAYS, body), 412)
    assert fhir.requests == []


def test_a_fhir_server_that_refuses_the_token_is_412(server, fhir):
    pid = patient(fhir, REFERENCE)
    body = hook_request("patient-view", pid, {}, fhir)
    body["fhirAuthorization"]["access_token"] = "revoked-token"
    assert_operation_outcome(call(server, PATHWAYS, body), 412)


def test_operation_outcome_in_prefetch_is_fetched_again(server, fhir):
    pid = patient(fhir, REFERENCE)
    prefetch = fhir.prefetch(pid)
    prefetch["labs_inr"] = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    fhir.requests.clear()
    valid_cards(call(server, PATHWAYS, hook_request("patient-view", pid, prefetch, fhir)))
    assert [path.split("?")[0] for path, _ in fhir.requests] == ["/fhir/Observation"]


# -- order-select / order-sign --------------------------------------------------------------------

def test_order_sign_warns_on_a_contraindicated_sacroplasty_and_suggests_deleting_it(server, fhir):
    pid = patient(fhir, PMMA)
    order = draft_order("sr-1", pid, "http://www.ama-assn.org/go/cpt", "0200T", "Sacroplasty")
    body = hook_request("order-sign", pid, fhir.prefetch(pid), draftOrders=draft_bundle(order))
    cards = valid_cards(call(server, ORDERS, body))
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "warning"
    assert "contraindicated" in card["summary"]
    assert card["selectionBehavior"] == "at-most-one"
    actions = [a for s in card["suggestions"] for a in s["actions"]]
    assert actions == [{"type": "delete", "description": "Remove the draft order ServiceRequest/sr-1",
                        "resourceId": "ServiceRequest/sr-1"}]


def test_order_select_checks_only_the_selected_orders(server, fhir):
    pid = patient(fhir, REFERENCE)
    orders = [draft_order("sr-a", pid, "http://www.ama-assn.org/go/cpt", "0200T", "Sacroplasty"),
              draft_order("sr-b", pid, "http://snomed.info/sct", "1217123003", "Radiotherapy course")]
    body = hook_request("order-select", pid, fhir.prefetch(pid), selections=["ServiceRequest/sr-a"],
                        draftOrders=draft_bundle(*orders))
    cards = valid_cards(call(server, ORDERS, body))
    assert len(cards) == 1
    assert cards[0]["indicator"] == "info"
    assert "sacroplasty is recommended" in cards[0]["summary"]
    assert "ServiceRequest/sr-a" in cards[0]["detail"]


def test_an_unrelated_order_gets_no_card(server, fhir):
    pid = patient(fhir, REFERENCE)
    order = draft_order("sr-x", pid, "http://loinc.org", "24627-2", "Chest CT")
    body = hook_request("order-sign", pid, fhir.prefetch(pid), draftOrders=draft_bundle(order))
    assert valid_cards(call(server, ORDERS, body)) == []


def test_an_order_on_an_undetermined_pathway_warns(server, fhir):
    pid = patient(fhir, REFERENCE)
    prefetch = {key: None for key in prefetch_templates()}
    prefetch["patient"] = fhir.query(f"Patient/{pid}")
    order = draft_order("sr-u", pid, "urn:sacral:code", "sacroplasty", "Sacroplasty")
    cards = valid_cards(call(server, ORDERS, hook_request("order-sign", pid, prefetch,
                                                         draftOrders=draft_bundle(order))))
    assert [c["indicator"] for c in cards] == ["warning"]
    assert "undetermined" in cards[0]["summary"]


# -- bad calls ------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, status", [
    (lambda b: b.update(hook="order-sign"), 400),             # not this service's hook
    (lambda b: b.pop("hookInstance"), 400),
    (lambda b: b.pop("context"), 400),
    (lambda b: b["context"].pop("patientId"), 400),
    (lambda b: b.update(prefetch=[1, 2]), 400),
    (lambda b: b.update(fhirAuthorization={"access_token": "t", "token_type": "Bearer"}), 400),  # no fhirServer
])
def test_malformed_hook_calls_are_400(server, fhir, change, status):
    pid = patient(fhir, REFERENCE)
    body = hook_request("patient-view", pid, fhir.prefetch(pid))
    change(body)
    assert_operation_outcome(call(server, PATHWAYS, body), status)


def test_not_json_is_400(server):
    r = server.client.post(PATHWAYS, content=b"{not json", headers={"Content-Type": "application/json",
                                                                    **server.auth(PATHWAYS)})
    assert_operation_outcome(r, 400)


def test_oversized_hook_call_is_413(server, fhir):
    pid = patient(fhir, REFERENCE)
    body = hook_request("patient-view", pid, fhir.prefetch(pid))
    body["context"]["padding"] = "x" * 70000
    assert_operation_outcome(call(server, PATHWAYS, body), 413)


def test_unknown_service_is_404(server):
    path = "/cds-services/no-such-service"
    assert_operation_outcome(call(server, path, {"hook": "patient-view"}), 404)


def test_a_hook_call_needs_a_token_for_that_service(server, fhir):
    pid = patient(fhir, REFERENCE)
    body = hook_request("patient-view", pid, fhir.prefetch(pid))
    assert_operation_outcome(server.client.post(PATHWAYS, json=body), 401)
    assert_operation_outcome(call(server, PATHWAYS, body, aud=server.public_base + ORDERS), 401)


# -- feedback and the log -------------------------------------------------------------------------

def test_feedback_is_stored_once_and_linked_to_its_decision(server, fhir):
    pid = patient(fhir, REFERENCE)
    body = hook_request("patient-view", pid, fhir.prefetch(pid))
    card = valid_cards(call(server, PATHWAYS, body))[0]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    accepted = {"feedback": [{"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": now,
                              "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}]}]}
    first = call(server, PATHWAYS + "/feedback", accepted)
    assert first.status_code == 200, first.text
    assert first.json() == {"stored": 1, "duplicates": 0}
    again = call(server, PATHWAYS + "/feedback", accepted)
    assert again.json() == {"stored": 0, "duplicates": 1}
    overridden = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": now,
                                "overrideReason": {"reason": card["overrideReasons"][0], "userComment": "board"}}]}
    assert call(server, PATHWAYS + "/feedback", overridden).json() == {"stored": 1, "duplicates": 0}

    out = subprocess.run([str(BINARY), "log", "export", "--feedback", "--database", server.config["database"]],
                         check=True, capture_output=True, text=True, cwd=server.tmp)
    rows = [json.loads(line) for line in out.stdout.splitlines() if card["uuid"] in line]
    assert sorted(row["outcome"] for row in rows) == ["accepted", "overridden"]
    decision = next(row for row in export_log(server.config["database"], cwd=server.tmp)
                    if row["request_id"] == body["hookInstance"])
    assert all(row["decision_id"] == decision["id"] for row in rows)


def test_feedback_needs_a_token_and_a_valid_body(server):
    path = PATHWAYS + "/feedback"
    assert_operation_outcome(server.client.post(path, json={"feedback": []}), 401)
    assert_operation_outcome(call(server, path, {"feedback": []}), 400)
    assert_operation_outcome(call(server, path, {"feedback": [{"card": str(uuid.uuid4()), "outcome": "accepted",
                                                               "outcomeTimestamp": "2026-01-01T00:00:00Z"}]}), 400)


def test_concurrent_hook_calls_are_all_logged_each_with_its_cards(server, fhir):
    """Decisions that arrive together are committed together (one transaction per batch): every one
    of 48 concurrent calls is in the log once, each card leads back to its own decision, and the
    feedback sent on all of them at once is stored once each."""
    # The mock EHR holds the last record loaded: each patient's prefetch is taken right after its load.
    prefetches = []
    for case in (REFERENCE, PMMA, CAUDA):
        pid = patient(fhir, case)
        prefetches.append((pid, fhir.prefetch(pid)))
    bodies = [hook_request("patient-view", pid, prefetch) for pid, prefetch in prefetches for _ in range(16)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=48) as pool:
        responses = list(pool.map(lambda body: call(server, PATHWAYS, body), bodies))
    cards = [valid_cards(r)[0] for r in responses]
    # Each call decided its own patient: the cauda equina one, and only it, is an emergency.
    assert [card["indicator"] == "critical" for card in cards] == [False] * 32 + [True] * 16
    rows = export_log(server.config["database"], cwd=server.tmp)
    by_request = {}
    for row in rows:
        by_request.setdefault(row["request_id"], []).append(row)
    for body in bodies:
        logged = by_request[body["hookInstance"]]
        assert len(logged) == 1
        assert logged[0]["origin"] == "patient-view"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    feedback = [{"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": now,
                               "overrideReason": {"reason": card["overrideReasons"][0]}}]} for card in cards]
    with concurrent.futures.ThreadPoolExecutor(max_workers=48) as pool:
        stored = list(pool.map(lambda body: call(server, PATHWAYS + "/feedback", body), feedback))
    assert all(r.status_code == 200 and r.json() == {"stored": 1, "duplicates": 0} for r in stored)
    out = subprocess.run([str(BINARY), "log", "export", "--feedback", "--database", server.config["database"]],
                         check=True, capture_output=True, text=True, cwd=server.tmp)
    linked = {row["card_uuid"]: row["decision_id"] for row in map(json.loads, out.stdout.splitlines())}
    for body, card in zip(bodies, cards):
        assert linked[card["uuid"]] == by_request[body["hookInstance"]][0]["id"]


def test_hook_decisions_are_logged_pseudonymously_and_replay_identically(server, fhir):
    pid = patient(fhir, PMMA)
    body = hook_request("patient-view", pid, fhir.prefetch(pid))
    valid_cards(call(server, PATHWAYS, body))
    rows = export_log(server.config["database"], cwd=server.tmp)
    row = next(row for row in rows if row["request_id"] == body["hookInstance"])
    assert row["origin"] == "patient-view" and row["service"] == "sacral-pathways"
    assert row["case_kind"] == "fhir"
    assert row["patient_hash"] and pid not in json.dumps(row)
    replay = subprocess.run([str(BINARY), "replay", "--database", server.config["database"], "--rules", str(RULES)],
                            capture_output=True, text=True, cwd=server.tmp)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"{len(rows)} identical, 0 different" in replay.stdout
