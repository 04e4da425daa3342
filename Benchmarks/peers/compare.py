"""Compares the three engines' sacroplasty statuses, lesion by lesion, and prints the figures.
   compare.py CASES SACRAL_SUMMARY CLIPS_OUT ZEN_OUT TIMINGS_JSON_LINES"""
import collections
import json
import sys


def sacral(path):
    out = {}
    for line in open(path):
        d = json.loads(line)
        for lesion, l in d["pathways"]["sacroplasty"]["lesions"].items():
            out[(d["case"], lesion)] = l["status"] + (f"/{l['strength']}" if l.get("strength") else "")
    return out


def tabbed(path):
    out = {}
    for line in open(path):
        case, lesion, status = line.rstrip("\n").split("\t")
        out[(case, lesion)] = status
    return out


def main(cases_path, sacral_path, clips_path, zen_path, timings_path):
    cases = [json.loads(l) for l in open(cases_path) if l.strip()]
    expected = [(c["id"], l["id"]) for c in cases for l in c["lesions"]]
    engines = {"sacral": sacral(sacral_path), "clips": tabbed(clips_path), "zen-engine": tabbed(zen_path)}
    disagreements = []
    for key in expected:
        got = {name: r.get(key, "(missing)") for name, r in engines.items()}
        if len(set(got.values())) != 1:
            disagreements.append((key, got))
    statuses = collections.Counter(engines["sacral"].get(k, "(missing)") for k in expected)
    print(f"cases: {len(cases)}, lesions: {len(expected)}; sacroplasty per lesion (sacral): "
          + ", ".join(f"{s} {n}" for s, n in statuses.most_common()))
    timings = [json.loads(l) for l in open(timings_path) if l.strip()]
    base = next(t for t in timings if t["engine"] == "sacral (warm engine)")
    print(f"{'engine':34} {'total s':>9} {'us/case':>9} {'x sacral warm':>14}")
    for t in timings:
        per_case = t["seconds"] / len(cases) * 1e6
        print(f"{t['engine']:34} {t['seconds']:9.3f} {per_case:9.1f} {t['seconds'] / base['seconds']:14.2f}"
              + (f"   ({t['note']})" if t.get("note") else ""))
    if disagreements:
        print(f"DISAGREEMENT on {len(disagreements)} of {len(expected)} lesions; first:")
        for key, got in disagreements[:10]:
            print(f"  {key[0]} {key[1]}: " + ", ".join(f"{n}={s}" for n, s in got.items()))
        sys.exit(1)
    print(f"all three engines agree on every lesion ({len(expected)}) of every case ({len(cases)})")


if __name__ == "__main__":
    main(*sys.argv[1:6])
