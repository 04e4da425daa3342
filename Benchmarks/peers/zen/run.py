"""Runs the zen-engine decision (sacroplasty.json) over every lesion of every case of a JSON Lines
file; writes `case<TAB>lesion<TAB>status[/strength]` lines and prints the time spent in
decision.evaluate (the JSON decoding and the building of inputs are not timed)."""
import json
import sys
import time

import zen

READS = ("patient", "labs", "comorbidities", "cancer", "symptoms")


def main(graph, cases, out):
    decision = zen.ZenEngine().create_decision(open(graph).read())
    inputs = []
    with open(cases) as f:
        for line in f:
            if line.strip():
                c = json.loads(line)
                # The sections the decision reads, and the lesion it decides.
                base = {k: c[k] for k in READS if k in c}
                for lesion in c.get("lesions", []):
                    inputs.append((c["id"], lesion["id"], {**base, "lesion": lesion}))
    for _, _, data in inputs[:200]:
        decision.evaluate(data)  # warm-up
    results = []
    start = time.perf_counter()
    for _, _, data in inputs:
        results.append(decision.evaluate(data)["result"]["sacroplasty"])
    seconds = time.perf_counter() - start
    with open(out, "w") as f:
        for (case, lesion, _), r in zip(inputs, results):
            status = r["status"] + (f"/{r['strength']}" if r.get("strength") else "")
            f.write(f"{case}\t{lesion}\t{status}\n")
    print(json.dumps({"engine": "zen-engine", "seconds": seconds, "evaluations": len(inputs)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
