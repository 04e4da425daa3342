"""The tumour-board page in a real browser (Debian's chromium + chromedriver, driven by Selenium).

Runs against pages written by `sacral report` and opened from file:// (no server; `sacral serve`
will serve the same page). What the page shows is compared with what the CLI prints for the same
case. Screenshots and PDFs of each step go to .build/page-shots/ for a reviewer.

Run through scripts/test-page.sh (it installs chromium and builds sacral when missing).
"""

import base64
import json
import os
import pathlib
import subprocess
import time

import pytest
import yaml
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
SACRAL = pathlib.Path(os.environ.get("SACRAL", ROOT / ".build/debug/sacral"))
SHOTS = ROOT / ".build/page-shots"
CASES = ROOT / "Cases"
# Three shipped cases whose statuses the page must show exactly as the CLI decides them.
THREE = [
    "mika2018/fig1-melanoma-cauda-equina.yaml",
    "mika2018/fig2-colon-s1-impending-instability.yaml",
    "mika2018/fig3-endometrial-ilium-unilateral.yaml",
]
WITHOUT_INR = "missing-data/missing-inr.yaml"


def cli_json(case, *extra):
    out = subprocess.run([str(SACRAL), "evaluate", "--format", "json", *extra, str(CASES / case)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="session")
def reports(tmp_path_factory):
    """`sacral report` for the cases the tests open, written once."""
    out = tmp_path_factory.mktemp("reports")
    written = {}
    for case in THREE + [WITHOUT_INR]:
        path = out / (pathlib.Path(case).stem + ".html")
        subprocess.run([str(SACRAL), "report", str(CASES / case), "-o", str(path)], cwd=ROOT, check=True)
        written[case] = path
    return written


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    downloads = tmp_path_factory.mktemp("downloads")
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


def open_page(driver, path, shot=None):
    driver.get(path.as_uri())
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    if shot:
        driver.save_screenshot(str(SHOTS / (shot + ".png")))


SYMBOLS = {"recommended": "✔", "option": "◐", "not_indicated": "–", "contraindicated": "✖", "undetermined": "?"}


def words(status, strength=None):
    text = status.replace("_", " ")
    return f"{text} ({strength})" if strength else text


# MARK: - what the page shows equals the CLI


@pytest.mark.parametrize("case", THREE)
def test_every_pathway_status_shown_equals_the_cli(browser, reports, case):
    expected = cli_json(case)
    open_page(browser, reports[case], shot="status-" + pathlib.Path(case).stem)
    rows = browser.find_elements(By.CSS_SELECTOR, ".pathway-table tbody tr[data-pathway]")
    shown = {r.get_attribute("data-pathway"): r for r in rows}
    assert list(shown) == list(expected["pathways"]), "every pathway, in the CLI's order"
    for pathway, decided in expected["pathways"].items():
        row = shown[pathway]
        badge = row.find_elements(By.CSS_SELECTOR, "td .status")[0]
        # In words (not colour alone), with the strength.
        assert badge.text.strip().endswith(words(decided["status"], decided.get("strength"))), pathway
        assert row.get_attribute("data-status") == decided["status"]
        card = browser.find_element(By.ID, "pathway-" + pathway)
        assert words(decided["status"], decided.get("strength")) in card.find_element(By.TAG_NAME, "h4").text
        for lesion, lesion_decided in decided.get("lesions", {}).items():
            cell = card.find_element(By.CSS_SELECTOR, f'.lesion-table tr[data-lesion="{lesion}"]')
            assert cell.get_attribute("data-status") == lesion_decided["status"], (pathway, lesion)
            assert words(lesion_decided["status"], lesion_decided.get("strength")) in cell.text
    # The ruleset that decided, in full.
    ruleset = browser.find_element(By.ID, "ruleset").text
    for key in ("name", "version", "sha256"):
        assert expected["ruleset"][key] in ruleset
    # Alerts first, in the CLI's order.
    alerts = [a.get_attribute("data-alert") for a in browser.find_elements(By.CSS_SELECTOR, "#alerts .alert")]
    assert alerts == [a["id"] for a in expected["alerts"]]
    # The plan as a timeline in the CLI's order.
    steps = [s.get_attribute("data-pathway") for s in browser.find_elements(By.CSS_SELECTOR, ".timeline .step")]
    assert steps == [s["pathway"] for s in expected["plan"]]
    # Nothing was fetched: the page is self-contained.
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_cauda_equina_emergency_is_first_and_unmistakable(browser, reports):
    case = THREE[0]
    expected = cli_json(case)
    assert expected["alerts"][0]["id"] == "cauda_equina_emergency"
    open_page(browser, reports[case])
    first = browser.find_elements(By.CSS_SELECTOR, "#decision-body .alert")[0]
    assert first.get_attribute("data-alert") == "cauda_equina_emergency"
    assert first.get_attribute("role") == "alert"
    assert "EMERGENCY" in first.text
    # It sits above the plan and the pathways on screen.
    plan_top = browser.find_element(By.ID, "plan").location["y"]
    assert first.location["y"] < plan_top


def test_sacrum_draws_each_lesion_coloured_by_its_sacroplasty_status(browser, reports):
    for case in THREE:
        expected = cli_json(case)
        open_page(browser, reports[case])
        lesions = expected["pathways"]["sacroplasty"].get("lesions", {})
        drawn = {g.get_attribute("data-lesion"): g.get_attribute("data-status")
                 for g in browser.find_elements(By.CSS_SELECTOR, "svg.sacrum g.lesion")}
        assert drawn == {lid: l["status"] for lid, l in lesions.items()}, case
        case_data = yaml.safe_load((CASES / case).read_text())
        labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "svg.sacrum .level-label")]
        for level in ("S1", "S2", "S3", "S4", "S5"):
            assert level in labels
        if any("L5" in l.get("levels", []) for l in case_data["lesions"]):
            assert "L5" in labels
        if any(l.get("ilium") not in (None, "none") for l in case_data["lesions"]):
            assert browser.find_elements(By.CSS_SELECTOR, "svg.sacrum .ilium.involved")


def test_what_if_shown_for_a_case_without_inr(browser, reports):
    expected = cli_json(WITHOUT_INR, "--what-if")["what_if"]
    sacroplasty = [f for f in expected["pathways"]["sacroplasty"] if f["field"] == "labs.inr"][0]
    # The engine's answer, as the issue states it.
    assert [(o["when"], o["status"], o.get("strength")) for o in sacroplasty["outcomes"]] == [
        ("≤ 1.50", "recommended", None), ("> 1.50", "contraindicated", "relative")]
    open_page(browser, reports[WITHOUT_INR], shot="what-if-missing-inr")
    for pathway, fields in expected["pathways"].items():
        block = browser.find_element(By.CSS_SELECTOR, f'.what-if-pathway[data-pathway="{pathway}"]')
        for f in fields:
            line = block.find_element(By.CSS_SELECTOR, f'.what-if-field[data-field="{f["field"]}"]').text
            for o in f["outcomes"]:
                shown = f'{o["when"]} → {SYMBOLS[o["status"]]} {words(o["status"], o.get("strength"))}'
                assert shown in line, (pathway, line)
    line = browser.find_element(By.CSS_SELECTOR, '.what-if-pathway[data-pathway="sacroplasty"] .what-if-field[data-field="labs.inr"]').text
    assert "INR ≤ 1.50 → ✔ recommended" in line and "INR > 1.50 → ✖ contraindicated (relative)" in line
    # The missing INR is a link to its field in the form, and following it focuses the field.
    link = browser.find_element(By.CSS_SELECTOR, '.missing-link[data-field="labs.inr"]')
    link.click()
    assert browser.switch_to.active_element.get_attribute("id") == "f-labs-inr"


# MARK: - the form


def fill_form(browser, want):
    """Types a case into the page's form control by control, as a user would (a second lesion
    through the form's own "add" button); the form's other values are cleared."""
    fields = browser.execute_script("return Sacral.page.dict.fields")

    def fill(path, field, value):
        fid = "f-" + path.replace("[", "-").replace("]", "").replace(".", "-")
        control = browser.find_element(By.ID, fid)
        tag = control.tag_name
        if tag == "fieldset" and "radios" in control.get_attribute("class"):
            radios = control.find_elements(By.CSS_SELECTOR, "input[type=radio]")
            wanted = "" if value is None else (("true" if value else "false") if isinstance(value, bool) else str(value))
            radio = [r for r in radios if r.get_attribute("value") == wanted][0]
            browser.find_element(By.CSS_SELECTOR, f'label[for="{radio.get_attribute("id")}"]').click()
        elif tag == "fieldset":
            for box in control.find_elements(By.CSS_SELECTOR, "input[type=checkbox]"):
                v = box.get_attribute("value")
                should = value is not None and v in [str(x) for x in value]
                if box.is_selected() != should:
                    browser.find_element(By.CSS_SELECTOR, f'label[for="{box.get_attribute("id")}"]').click()
        elif tag == "select":
            Select(control).select_by_value("" if value is None else str(value))
        else:
            control.send_keys(Keys.CONTROL, "a")
            control.send_keys(Keys.DELETE)
            if value is not None:
                control.send_keys(str(value))

    for _ in range(len(want["lesions"]) - len(browser.find_elements(By.CSS_SELECTOR, ".list-item"))):
        browser.find_element(By.ID, "add-lesions").click()
    for f in fields:
        path = f["path"]
        if f["type"] in ("object", "any") or (f["type"] == "list" and f.get("items", {}).get("type") == "object"):
            continue
        parts = path.split(".")
        if parts[0] == "lesions[]":
            for i, lesion in enumerate(want["lesions"]):
                fill(f"lesions[{i}].{parts[1]}", f, lesion.get(parts[1]))
        elif len(parts) == 1:
            fill(path, f, want.get(path))
        else:
            fill(path, f, (want.get(parts[0]) or {}).get(parts[1]))


@pytest.mark.parametrize("target", THREE + ["approach/two-lesions.yaml"])
def test_form_filled_field_by_field_gives_the_case_file(browser, reports, target):
    """Opens another case's page and types the target case into its form, control by control
    (a second lesion through the form's own "add" button)."""
    want = yaml.safe_load((CASES / target).read_text())
    want.pop("expect", None)
    open_page(browser, reports[WITHOUT_INR])
    fill_form(browser, want)
    assert len(want["lesions"]) == len(browser.find_elements(By.CSS_SELECTOR, ".list-item"))
    browser.save_screenshot(str(SHOTS / ("form-filled-" + pathlib.Path(target).stem + ".png")))
    got = browser.execute_script("return Sacral.page.form.read()")
    assert got == want
    # No field is marked invalid, and "Save as JSON" writes the same case.
    assert not browser.find_elements(By.CSS_SELECTOR, ".field.invalid")
    saved = browser.downloads / (want["id"] + ".json")
    if saved.exists():
        saved.unlink()
    browser.find_element(By.ID, "save-json").click()
    for _ in range(50):
        if saved.exists() and saved.stat().st_size > 0:
            break
        time.sleep(0.1)
    assert json.loads(saved.read_text()) == want
    # The YAML shown with the form parses to the same case.
    shown = browser.execute_script("return document.getElementById('case-file').textContent")
    assert yaml.safe_load(shown) == want


def test_a_case_file_loaded_through_the_file_picker_fills_the_form(browser, reports):
    target = "approach/two-lesions.yaml"
    want = yaml.safe_load((CASES / target).read_text())
    want.pop("expect", None)
    open_page(browser, reports[WITHOUT_INR])
    browser.find_element(By.ID, "load-file").send_keys(str(CASES / target))
    WebDriverWait(browser, 10).until(lambda d: "Loaded two-lesions.yaml" in d.find_element(By.ID, "form-status").text)
    assert browser.execute_script("return Sacral.page.form.read()") == want
    assert len(browser.find_elements(By.CSS_SELECTOR, ".list-item")) == 2
    # The sacrum is redrawn from the loaded case: both lesions, by id.
    drawn = {g.get_attribute("data-lesion") for g in browser.find_elements(By.CSS_SELECTOR, "svg.sacrum g.lesion")}
    assert drawn == {l["id"] for l in want["lesions"]}


def test_a_refusal_from_the_server_is_shown_next_to_the_fields_it_names(browser, reports):
    """The body `sacral serve` answers for a refused case (a FHIR OperationOutcome whose issues carry
    the field path in `expression`), as the CLI words the same refusals."""
    bad = ROOT / ".build/page-shots/bad-case.yaml"
    case = yaml.safe_load((CASES / WITHOUT_INR).read_text())
    case.pop("expect", None)
    case["labs"]["inr"] = 40
    case["lesions"][0]["levels"] = ["S9"]
    bad.write_text(yaml.safe_dump(case))
    refused = subprocess.run([str(SACRAL), "evaluate", str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2
    issues = []
    for line in refused.stderr.splitlines():
        path, message = line.split(": ", 2)[2].split(": ", 1)
        issues.append({"severity": "error", "code": "invalid", "diagnostics": message, "expression": [path]})
    assert {i["expression"][0] for i in issues} == {"labs.inr", "lesions[0].levels[0]"}
    outcome = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "invalid", "diagnostics": "the case is not valid"}, *issues]}
    open_page(browser, reports[WITHOUT_INR])
    unplaced = browser.execute_script(
        "const f = Sacral.page.form; return f.showIssues(Sacral.adapters.issues(arguments[0], 400));", outcome)
    assert unplaced == []
    by_message = {i["expression"][0]: i["diagnostics"] for i in issues}
    assert browser.find_element(By.ID, "f-labs-inr-error").text == by_message["labs.inr"]
    # An item of a list is shown at its field: lesions[0].levels.
    assert browser.find_element(By.ID, "f-lesions-0-levels-error").text == by_message["lesions[0].levels[0]"]
    # Without field paths, the general message is kept for the status line.
    general = browser.execute_script("return Sacral.adapters.issues(arguments[0], 400)",
                                     {"resourceType": "OperationOutcome", "issue": [outcome["issue"][0]]})
    assert general == [{"path": "", "message": "the case is not valid"}]
    browser.save_screenshot(str(SHOTS / "server-refusal.png"))


def test_browser_validation_from_the_dictionary(browser, reports):
    open_page(browser, reports[WITHOUT_INR])
    inr = browser.find_element(By.ID, "f-labs-inr")
    inr.send_keys("25")
    error = browser.find_element(By.ID, "f-labs-inr-error")
    assert error.text == "at most 20"
    assert inr.get_attribute("aria-invalid") == "true"
    karnofsky = browser.find_element(By.ID, "f-patient-karnofsky")
    karnofsky.send_keys(Keys.CONTROL, "a")
    karnofsky.send_keys("75")
    assert browser.find_element(By.ID, "f-patient-karnofsky-error").text == "a multiple of 10"
    browser.save_screenshot(str(SHOTS / "validation.png"))


# MARK: - saved cases


@pytest.mark.parametrize("case", [THREE[1], WITHOUT_INR])
def test_freeze_writes_a_regression_case_that_sacral_test_holds_to_the_decision(browser, reports, case, tmp_path):
    expected = cli_json(case)
    open_page(browser, reports[case])
    saved = browser.downloads / (expected["case"] + ".yaml")
    if saved.exists():
        saved.unlink()
    browser.find_element(By.ID, "freeze-case").click()
    for _ in range(50):
        if saved.exists() and saved.stat().st_size > 0:
            break
        time.sleep(0.1)
    frozen = yaml.safe_load(saved.read_text())
    assert expected["ruleset"]["sha256"] in saved.read_text().splitlines()[1]
    for pathway, decided in expected["pathways"].items():
        assert frozen["expect"][pathway] == decided["status"]
    assert frozen["expect"].get("alerts", []) == [a["id"] for a in expected["alerts"]]
    original = yaml.safe_load((CASES / case).read_text())
    original.pop("expect", None)
    assert {k: v for k, v in frozen.items() if k != "expect"} == original
    # `sacral test` holds the frozen case to its decision...
    suite = tmp_path / "frozen"
    suite.mkdir()
    (suite / saved.name).write_text(saved.read_text())
    held = subprocess.run([str(SACRAL), "test", str(suite)], cwd=ROOT, capture_output=True, text=True)
    assert held.returncode == 0, held.stdout + held.stderr
    # ...and fails it when the decision moves (an INR above the limit).
    moved = dict(frozen, labs=dict(frozen.get("labs") or {}, inr=3.0))
    (suite / saved.name).write_text(yaml.safe_dump(moved, sort_keys=False))
    failed = subprocess.run([str(SACRAL), "test", str(suite)], cwd=ROOT, capture_output=True, text=True)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert failed.stdout.startswith("FAIL ") and "0 passed, 1 failed" in failed.stdout


# MARK: - keyboard, accessibility, print


def test_keyboard_alone_reaches_every_control(browser, reports):
    open_page(browser, reports[THREE[1]])
    controls = browser.execute_script("""
        const out = new Set();
        for (const c of document.querySelectorAll('a[href], button, input, select, summary, [tabindex="0"]')) {
            if (c.closest('[hidden]')) continue;
            // Inside a closed disclosure only its summary is reachable (Enter opens it).
            if (c.tagName !== 'SUMMARY' && c.closest('details:not([open])')) continue;
            // A radio group is one stop: the keyboard moves within it with the arrows.
            out.add(c.type === 'radio' ? 'radio:' + c.name : (c.id || c.textContent.trim().slice(0, 40)));
        }
        return [...out];""")
    reached = set()
    browser.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(len(controls) * 2 + 20):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        key = browser.execute_script("""
            const c = document.activeElement;
            return c.type === 'radio' ? 'radio:' + c.name : (c.id || c.textContent.trim().slice(0, 40));""")
        reached.add(key)
        if reached.issuperset(controls):
            break
    assert set(controls) - reached == set()


def serious_accessibility_violations(driver) -> list:
    """axe-core's serious and critical violations on the open page: id, impact, help, first targets."""
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("case", THREE + [WITHOUT_INR])
def test_no_serious_or_critical_accessibility_violation(browser, reports, case):
    open_page(browser, reports[case])
    assert serious_accessibility_violations(browser) == []


@pytest.mark.parametrize("case", THREE + [WITHOUT_INR])
def test_prints_on_one_or_two_a4_pages_with_the_reasons_in_full(browser, reports, case, tmp_path):
    expected = cli_json(case)
    open_page(browser, reports[case])
    options = PrintOptions()
    options.page_width = 21.0
    options.page_height = 29.7
    options.background = True
    pdf = SHOTS / (pathlib.Path(case).stem + ".pdf")
    pdf.write_bytes(base64.b64decode(browser.print_page(options)))
    prefix = SHOTS / ("print-" + pathlib.Path(case).stem)
    for old in SHOTS.glob(prefix.name + "-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(prefix)], check=True)
    pages = sorted(SHOTS.glob(prefix.name + "-*.png"))
    assert 1 <= len(pages) <= 2, f"{len(pages)} pages"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    # Alerts, the plan, every pathway's status, the scores and the reasons in full are on paper.
    for alert in expected["alerts"]:
        assert " ".join(alert["text"].split())[:60] in flat
    for pathway, decided in expected["pathways"].items():
        for reason in decided["reasons"]:
            if reason.get("status"):
                tail = " ".join(reason["text"].split())[-40:]
                assert tail.replace("-", "") in flat.replace("-", ""), (pathway, reason["rule"])
    assert expected["ruleset"]["sha256"] in flat


def print_a4(driver, pdf):
    options = PrintOptions()
    options.page_width = 21.0
    options.page_height = 29.7
    options.background = True
    pdf.write_bytes(base64.b64decode(driver.print_page(options)))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return int(fields["Pages"]), fields["Page size"].strip()


def test_a_reason_shared_by_several_pathways_is_printed_in_full_once(browser, reports, tmp_path):
    case = "diagnosis/no-tissue-diagnosis-neural-compression.yaml"
    expected = cli_json(case)
    holders = [p for p, d in expected["pathways"].items()
               if any(r["rule"] == "tissue.biopsy_required" and r.get("status") for r in d["reasons"])]
    assert len(holders) >= 3
    page = tmp_path / "no-tissue.html"
    subprocess.run([str(SACRAL), "report", str(CASES / case), "-o", str(page)], cwd=ROOT, check=True)
    open_page(browser, page)
    pdf = SHOTS / "no-tissue-diagnosis-neural-compression.pdf"
    pages, size = print_a4(browser, pdf)
    assert pages <= 2 and "(A4)" in size
    flat = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert flat.count("biopsied every known or suspected") == 1
    assert flat.count("the same reason, inputs and source as under") >= len(holders) - 1
    # On screen every pathway keeps the reason in full.
    texts = browser.execute_script("""return [...document.querySelectorAll('.reason-repeat')]
        .filter((r) => r.querySelector('code').textContent === 'tissue.biopsy_required')
        .map((r) => r.querySelector('.reason-text').textContent)""")
    assert len(texts) == len(holders) - 1 and all("biopsied every known" in t for t in texts)


def test_report_writes_a_page_for_every_shipped_case(browser, tmp_path):
    files = sorted(p for p in CASES.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    assert len(files) > 100
    out = tmp_path / "all"
    subprocess.run([str(SACRAL), "report", *map(str, files), "-o", str(out)], cwd=ROOT, check=True)
    pages = sorted(out.glob("*.html"))
    ids = {yaml.safe_load(p.read_text())["id"] for p in files}
    assert {p.stem for p in pages} == ids
    for page in pages:
        html = page.read_text()
        assert 'id="sacral-data"' in html
        # Self-contained: no script, style or image is loaded from anywhere.
        for attr in ("src=", "href=\"http", "url(http", "@import"):
            assert attr not in html.replace('src="data:', ""), (page.name, attr)
    # Every page opens from file:// with nothing fetched, and prints on one or two A4 pages.
    too_long = {}
    for page in pages:
        open_page(browser, page)
        assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0, page.name
        count, size = print_a4(browser, tmp_path / "page.pdf")
        assert "(A4)" in size, (page.name, size)
        if not 1 <= count <= 2:
            too_long[page.name] = count
    assert too_long == {}
