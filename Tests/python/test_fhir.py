"""Independent validation of sacral's FHIR output with another FHIR implementation.

The generated Questionnaire and the exported Bundle of every shipped case are validated with the
`fhir.resources` R4B models (equal to R4 for these resource types), and checked with FHIRPath
(`fhirpathpy`). The command line is run as users run it.

Run: SACRAL=.build/debug/sacral python -m pytest Tests/python/test_fhir.py   (scripts/test-fhir.sh)
"""

import json
import os
import pathlib
import subprocess

import fhirpathpy
import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from pydantic import ValidationError

ROOT = pathlib.Path(__file__).resolve().parents[2]
SACRAL = os.environ.get("SACRAL", str(ROOT / ".build" / "debug" / "sacral"))
DATE = "2026-12-01"
CASES = sorted(p for p in (ROOT / "Cases").rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


def sacral(*args, check=True):
    run = subprocess.run([SACRAL, *args], cwd=ROOT, capture_output=True, text=True)
    if check and run.returncode != 0:
        raise AssertionError(f"sacral {' '.join(args)} exited {run.returncode}: {run.stderr}")
    return run


def fp(resource, path):
    return fhirpathpy.evaluate(resource, path)


@pytest.fixture(scope="session")
def questionnaire():
    return json.loads(sacral("fhir", "questionnaire").stdout)


@pytest.fixture(scope="session")
def bundles(tmp_path_factory):
    out = {}
    directory = tmp_path_factory.mktemp("bundles")
    for case in CASES:
        target = directory / (case.stem + ".json")
        sacral("fhir", "export", str(case), "--date", DATE, "-o", str(target))
        out[case] = target
    return out


def item_linkids(questionnaire):
    return fp(questionnaire, "Questionnaire.repeat(item).linkId")


# -- The Questionnaire


def test_questionnaire_is_a_valid_r4_questionnaire(questionnaire):
    model = Questionnaire.model_validate(questionnaire)
    assert model.status == "active"
    assert model.url == questionnaire["url"]


def test_questionnaire_linkids_are_unique_and_choices_have_options(questionnaire):
    links = item_linkids(questionnaire)
    assert len(links) == len(set(links)) > 30
    assert fp(questionnaire, "Questionnaire.repeat(item).where(type = 'choice').all(answerOption.exists())") == [True]
    # Lesions: one repeating group, its id required.
    lesions = fp(questionnaire, "Questionnaire.item.where(linkId = 'lesions')")
    assert len(lesions) == 1 and lesions[0]["repeats"] is True
    assert fp(questionnaire, "Questionnaire.repeat(item).where(linkId = 'lesions[].id').required") == [True]


def test_enable_when_points_at_questions_of_the_questionnaire(questionnaire):
    links = set(item_linkids(questionnaire))
    targets = fp(questionnaire, "Questionnaire.repeat(item).enableWhen.question")
    assert targets and set(targets) <= links


def test_the_validator_refuses_a_broken_questionnaire(questionnaire):
    broken = json.loads(json.dumps(questionnaire))
    del broken["item"][0]["type"]  # every item needs a type
    with pytest.raises(ValidationError):
        Questionnaire.model_validate(broken)


# -- Every exported Bundle


@pytest.mark.parametrize("case", CASES, ids=lambda p: str(p.relative_to(ROOT / "Cases")))
def test_exported_bundle_validates(case, bundles, questionnaire):
    bundle = json.loads(bundles[case].read_text())
    model = Bundle.model_validate(bundle)
    assert model.type == "collection"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)

    patient_id = fp(bundle, "Bundle.entry.resource.where(resourceType = 'Patient').id")
    assert len(patient_id) == 1
    subjects = fp(bundle, "Bundle.entry.resource.where(resourceType != 'Patient').select(subject | patient).reference.distinct()")
    assert subjects == [f"Patient/{patient_id[0]}"]
    assert fp(bundle, "Bundle.entry.resource.where(resourceType = 'Observation').all(status = 'final' and effectiveDateTime.exists())") == [True]

    # The QuestionnaireResponse answers questions of the Questionnaire, choices among its options.
    response = fp(bundle, "Bundle.entry.resource.where(resourceType = 'QuestionnaireResponse')")
    assert len(response) == 1
    assert response[0]["questionnaire"].split("|")[0] == questionnaire["url"]
    asked = set(item_linkids(questionnaire))
    assert set(fp(response[0], "QuestionnaireResponse.repeat(item).linkId")) <= asked
    options = {}
    for item in fp(questionnaire, "Questionnaire.repeat(item).where(answerOption.exists())"):
        options[item["linkId"]] = [o.get("valueCoding", {}).get("code", o.get("valueInteger")) for o in item["answerOption"]]
    for item in fp(response[0], "QuestionnaireResponse.repeat(item).where(answer.exists())"):
        if item["linkId"] in options:
            for answer in item["answer"]:
                value = answer.get("valueCoding", {}).get("code", answer.get("valueInteger"))
                assert value in options[item["linkId"]], (item["linkId"], value)


def test_the_validator_refuses_a_broken_bundle(bundles):
    bundle = json.loads(next(iter(bundles.values())).read_text())
    observation = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    observation["effectiveDateTime"] = "2026-13-45"  # no such date
    with pytest.raises(ValidationError):
        get_fhir_model_class("Observation").model_validate(observation)


# -- Reading the Bundles back through the command line


@pytest.mark.parametrize("case", CASES[::15], ids=lambda p: p.stem)
def test_evaluate_fhir_gives_the_statuses_of_the_case_file_and_provenance(case, bundles):
    from_case = json.loads(sacral("evaluate", str(case), "--format", "json").stdout)
    from_fhir = json.loads(sacral("evaluate", "--fhir", str(bundles[case]), "--format", "json").stdout)
    assert {k: v["status"] for k, v in from_fhir["pathways"].items()} == {k: v["status"] for k, v in from_case["pathways"].items()}
    provenance = from_fhir["provenance"]
    groups = ("patient.", "labs.", "comorbidities.", "cancer.", "lesions[", "symptoms.", "history.")
    read = {field for p in from_fhir["pathways"].values() for r in p["reasons"] for field in r["inputs"] if field.startswith(groups)}
    assert read, "no reason read a case field"
    for field in read:
        assert provenance[field]["resource"].split("/")[0] in (
            "Patient", "Observation", "Condition", "AllergyIntolerance", "Procedure", "QuestionnaireResponse"), field


def test_a_non_bundle_is_exit_2_with_the_path(tmp_path):
    path = tmp_path / "patient.json"
    path.write_text('{"resourceType": "Patient", "id": "p"}')
    run = sacral("evaluate", "--fhir", str(path), "--date", DATE, check=False)
    assert run.returncode == 2
    assert str(path) in run.stderr and "Bundle" in run.stderr
    path.write_text("{ not json")
    run = sacral("evaluate", "--fhir", str(path), "--date", DATE, check=False)
    assert run.returncode == 2 and str(path) in run.stderr and "not valid JSON" in run.stderr


def test_a_loinc_code_edited_in_a_copy_of_the_rules_counts_without_a_rebuild(tmp_path, bundles):
    import shutil

    rules = tmp_path / "Rules"
    shutil.copytree(ROOT / "Rules", rules)
    mapping = rules / "fhir.lua"
    mapping.write_text(mapping.read_text().replace('LOINC .. "|6301-6"', 'LOINC .. "|99999-9"'))
    bundle = json.loads(next(iter(bundles.values())).read_text())
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == "obs-labs-inr":
            entry["resource"]["code"]["coding"][0]["code"] = "99999-9"
    path = tmp_path / "local-inr.json"
    path.write_text(json.dumps(bundle))

    edited = json.loads(sacral("evaluate", "--fhir", str(path), "--rules", str(rules), "--format", "json").stdout)
    assert edited["provenance"]["labs.inr"]["resource"] == "Observation/obs-labs-inr"
    shipped = json.loads(sacral("evaluate", "--fhir", str(path), "--format", "json").stdout)
    assert "labs.inr" not in shipped["provenance"]
    assert any(m["field"] == "labs.inr" for m in shipped["missing"])
