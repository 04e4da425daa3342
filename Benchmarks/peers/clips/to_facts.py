"""Writes the cases of a JSON Lines file as CLIPS facts (patient and lesion templates of
sacroplasty.clp) for load-facts. Absent fields are left out (the template's default: unknown)."""
import json
import sys

PATIENT = {
    "karnofsky": ("patient", "karnofsky"), "ecog": ("patient", "ecog"),
    "life-expectancy": ("patient", "life_expectancy_months"),
    "inr": ("labs", "inr"), "platelets": ("labs", "platelets"), "correctable": ("labs", "coagulopathy_correctable"),
    "systemic-infection": ("comorbidities", "systemic_infection"),
    "local-infection": ("comorbidities", "local_infection"),
    "pmma-allergy": ("comorbidities", "pmma_allergy"),
    "cardiopulmonary": ("comorbidities", "severe_cardiopulmonary_disease"),
    "primary": ("cancer", "primary"), "visceral": ("cancer", "visceral_metastases"),
    "extraspinal": ("cancer", "extraspinal_bone_metastases"), "vertebral": ("cancer", "vertebral_metastases"),
    "frankel": ("symptoms", "frankel"), "neurologic": ("symptoms", "neurologic"),
}
LESION = {"epidural": "epidural", "erosion": "foraminal_erosion", "diameter": "diameter_cm"}


def atom(v):
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v)  # a CLIPS string: same escapes for quotes and backslashes


def slots(pairs):
    return "".join(f" ({k} {atom(v)})" for k, v in pairs if v is not None)


def main(src, dst):
    with open(src) as f, open(dst, "w") as out:
        for line in f:
            if not line.strip():
                continue
            c = json.loads(line)
            cid = json.dumps(c["id"])
            pairs = [(slot, (c.get(section) or {}).get(key)) for slot, (section, key) in PATIENT.items()]
            out.write(f"(patient (case {cid}){slots(pairs)})\n")
            for lesion in c.get("lesions", []):
                pairs = [(slot, lesion.get(key)) for slot, key in LESION.items()]
                out.write(f"(lesion (case {cid}) (id {json.dumps(lesion['id'])}){slots(pairs)})\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
