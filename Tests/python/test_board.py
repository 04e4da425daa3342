"""The tumour-board page served live by a real `sacral serve --insecure-local` on a free loopback
port, in Debian's chromium driven by Selenium: the form typed field by field, the decision
following it from the server (equal to the CLI's), the what-if appearing when the INR is cleared,
the server's refusals shown at their fields, every decision in the log, listed at /cases and opened
again at its URL. Screenshots go to .build/page-shots/board-*.png.

Run through scripts/test-page.sh (chromium, chromedriver and sacral are installed or built there).
"""

import copy
import json
import pathlib

import httpx
import pytest
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from server_harness import Server, export_bundle, export_log
from test_page import (CASES, SHOTS, SYMBOLS, THREE, WITHOUT_INR, browser, cli_json, fill_form,  # noqa: F401
                       serious_accessibility_violations, words)


@pytest.fixture(scope="module")
def server():
    served = Server(insecure=True)
    yield served
    served.stop()


def case_of(name):
    data = yaml.safe_load((CASES / name).read_text())
    data.pop("expect", None)
    return data


def open_board(browser, url, shot=None):
    browser.get(url)
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    if shot:
        browser.save_screenshot(str(SHOTS / ("board-" + shot + ".png")))


def wait_decided(browser, want, timeout=30):
    """Until the decision shown is the server's for exactly `want` (the debounced evaluations of
    the half-typed case before it are superseded)."""
    WebDriverWait(browser, timeout).until(lambda d: d.execute_script(
        "const p = Sacral.page; return p.status.textContent === 'Decision updated.' ? p.decided : null") == want)


def shown_statuses(browser):
    return {r.get_attribute("data-pathway"): r.get_attribute("data-status")
            for r in browser.find_elements(By.CSS_SELECTOR, ".pathway-table tbody tr[data-pathway]")}


@pytest.mark.parametrize("case", THREE)
def test_the_served_page_decides_as_the_form_is_typed_and_equals_the_cli(browser, server, case):
    expected = cli_json(case)
    want = case_of(case)
    open_board(browser, server.base + "/board")
    assert "Live" in browser.find_element(By.ID, "mode-note").text
    fill_form(browser, want)
    wait_decided(browser, want)
    browser.save_screenshot(str(SHOTS / ("board-live-" + pathlib.Path(case).stem + ".png")))
    assert shown_statuses(browser) == {p: d["status"] for p, d in expected["pathways"].items()}
    alerts = [a.get_attribute("data-alert") for a in browser.find_elements(By.CSS_SELECTOR, "#alerts .alert")]
    assert alerts == [a["id"] for a in expected["alerts"]]
    assert expected["ruleset"]["sha256"] in browser.find_element(By.ID, "ruleset").text
    # The page asked the server for the dictionary and the decisions (live, not a report).
    fetched = browser.execute_script("return performance.getEntriesByType('resource').map((r) => r.name)")
    assert server.base + "/v1/dictionary" in fetched
    assert any(n.startswith(server.base + "/v1/evaluate?what_if=true") for n in fetched)


def test_clearing_the_inr_shows_what_it_would_decide(browser, server, tmp_path):
    want = case_of(WITHOUT_INR)
    want["labs"] = {"inr": 1.1, **want["labs"]}
    open_board(browser, server.base + "/board")
    fill_form(browser, want)
    wait_decided(browser, want)
    assert shown_statuses(browser)["sacroplasty"] != "undetermined"
    assert not browser.find_elements(By.CSS_SELECTOR, '.what-if-pathway[data-pathway="sacroplasty"]')
    inr = browser.find_element(By.ID, "f-labs-inr")
    inr.send_keys(Keys.CONTROL, "a")
    inr.send_keys(Keys.DELETE)
    cleared = copy.deepcopy(want)
    del cleared["labs"]["inr"]
    wait_decided(browser, cleared)
    browser.save_screenshot(str(SHOTS / "board-inr-cleared.png"))
    expected = cli_json(WITHOUT_INR, "--what-if")
    assert shown_statuses(browser) == {p: d["status"] for p, d in expected["pathways"].items()}
    for pathway, fields in expected["what_if"]["pathways"].items():
        block = browser.find_element(By.CSS_SELECTOR, f'.what-if-pathway[data-pathway="{pathway}"]')
        for f in fields:
            line = block.find_element(By.CSS_SELECTOR, f'.what-if-field[data-field="{f["field"]}"]').text
            for o in f["outcomes"]:
                assert f'{o["when"]} → {SYMBOLS[o["status"]]} {words(o["status"], o.get("strength"))}' in line
    line = browser.find_element(
        By.CSS_SELECTOR, '.what-if-pathway[data-pathway="sacroplasty"] .what-if-field[data-field="labs.inr"]').text
    assert "INR ≤ 1.50 → ✔ recommended" in line and "INR > 1.50 → ✖ contraindicated (relative)" in line


def test_the_servers_refusal_is_shown_at_the_field_it_names(browser, server):
    want = case_of(WITHOUT_INR)
    open_board(browser, server.base + "/board")
    fill_form(browser, want)
    wait_decided(browser, want)
    # The browser would stop an INR of 40 itself; let it through to hear the server say so.
    browser.execute_script("Sacral.page.form.validateAll = () => true")
    refused = server.client.post("/v1/evaluate", json={**want, "labs": {**want["labs"], "inr": 40}})
    assert refused.status_code == 422
    said = [i["diagnostics"] for i in refused.json()["issue"] if i.get("expression") == ["labs.inr"]]
    assert said
    inr = browser.find_element(By.ID, "f-labs-inr")
    inr.send_keys("40")
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "f-labs-inr-error").text == said[0])
    assert inr.get_attribute("aria-invalid") == "true"
    browser.save_screenshot(str(SHOTS / "board-refusal.png"))


def test_every_decision_is_logged_listed_and_opens_at_its_url(browser, server):
    case = THREE[1]
    expected = cli_json(case)
    want = case_of(case)
    open_board(browser, server.base + "/board")
    fill_form(browser, want)
    wait_decided(browser, want)
    link = browser.find_element(By.ID, "logged-link")
    WebDriverWait(browser, 10).until(lambda d: link.is_displayed())
    decision_id = browser.execute_script("return Sacral.page.decisionID")
    assert link.get_attribute("href") == f"{server.base}/cases/{decision_id}"
    # The log holds it, with the case as typed and the decision as the CLI makes it.
    logged = {d["id"]: d for d in export_log("sqlite:sacral-decisions.sqlite", cwd=server.tmp)}
    assert json.loads(logged[decision_id]["case_json"]) == want
    assert json.loads(logged[decision_id]["decision_json"])["pathways"] == expected["pathways"]
    # /cases lists the decisions newest first; the newest is this one.
    open_list(browser, server)
    rows = browser.find_elements(By.CSS_SELECTOR, "#cases-table tbody tr")
    assert len(rows) == min(len(logged), 200)
    received = [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows]
    assert received == sorted(received, reverse=True)
    first = rows[0].find_element(By.CSS_SELECTOR, "td a")
    assert first.text == want["id"] and first.get_attribute("href").endswith("/cases/" + decision_id)
    for pathway, decided in expected["pathways"].items():
        assert f"{pathway}: {decided['status']}" in rows[0].text
    # Opened at its URL: the form holds the case and the decision shown is the logged one.
    open_board(browser, f"{server.base}/cases/{decision_id}", shot="logged-case")
    assert browser.execute_script("return Sacral.page.form.read()") == want
    assert shown_statuses(browser) == {p: d["status"] for p, d in expected["pathways"].items()}
    assert "Logged decision of" in browser.find_element(By.ID, "mode-note").text
    assert httpx.get(f"{server.base}/cases/no-such-decision").status_code == 404


def test_a_fhir_bundle_loaded_into_the_served_page_fills_the_form_and_decides(browser, server, tmp_path):
    bundle = export_bundle(CASES / THREE[1], "2026-01-15")
    path = tmp_path / "fig2-bundle.json"
    path.write_text(json.dumps(bundle))
    read = server.client.post("/v1/fhir/case", json=bundle, headers={"Content-Type": "application/fhir+json"})
    assert read.status_code == 200, read.text
    from_bundle = server.client.post("/v1/evaluate", json=bundle, headers={"Content-Type": "application/fhir+json"})
    open_board(browser, server.base + "/board")
    browser.find_element(By.ID, "load-file").send_keys(str(path))
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script("return Sacral.page.form.read()") == read.json()["case"])
    wait_decided(browser, read.json()["case"])
    browser.save_screenshot(str(SHOTS / "board-fhir-bundle.png"))
    assert shown_statuses(browser) == {p: d["status"] for p, d in from_bundle.json()["pathways"].items()}


def open_list(browser, server):
    browser.get(server.base + "/cases")
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "cases-table"))
    browser.save_screenshot(str(SHOTS / "board-cases.png"))


@pytest.mark.parametrize("path", ["/board", "/cases"])
def test_the_served_pages_have_no_serious_or_critical_accessibility_violation(browser, server, path):
    if path == "/board":
        open_board(browser, server.base + path)
    else:
        open_list(browser, server)
    assert serious_accessibility_violations(browser) == []
