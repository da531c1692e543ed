"""Validate evaluation/extra/qa.jsonl against evaluation/extra/corpus/*.txt."""
import collections
import json
import pathlib
import sys

here = pathlib.Path(__file__).parent
docs = {p.name: p.read_text(encoding="utf-8") for p in sorted((here / "corpus").glob("*.txt"))}
ids, errors, items = set(), [], []
qs_by_doc = collections.Counter()
for n, line in enumerate((here / "qa.jsonl").read_text(encoding="utf-8").splitlines(), 1):
    try:
        d = json.loads(line)
    except Exception as e:
        errors.append(f"line {n}: bad JSON: {e}"); continue
    items.append(d)
    if set(d) - {"id", "question", "answers", "history", "style", "type"} or not {"id", "question", "answers", "style", "type"} <= set(d):
        errors.append(f"{d.get('id')}: bad keys {sorted(d)}")
    if d["id"] in ids: errors.append(f"{d['id']}: duplicate id")
    ids.add(d["id"])
    if d["style"] not in ("verbatim", "paraphrase"): errors.append(f"{d['id']}: bad style")
    if d["type"] not in "when|who|where|how many|how much|how long|what|which|why|how".split("|"): errors.append(f"{d['id']}: bad type")
    for a in d["answers"]:
        hits = [name for name, t in docs.items() if a in t]
        if not hits: errors.append(f"{d['id']}: answer not verbatim in corpus: {a!r}")
    if d["answers"]:
        docset = {name for a in d["answers"] for name, t in docs.items() if a in t}
        qs_by_doc[" / ".join(sorted(docset))] += 1
    for h in d.get("history", []):
        if h not in {x["question"] for x in items[:-1]}:
            errors.append(f"{d['id']}: history question not an earlier question: {h!r}")
ans = [d for d in items if d["answers"]]
print(f"items: {len(items)}  answerable: {len(ans)}  unanswerable: {len(items)-len(ans)}  follow-ups: {sum('history' in d for d in items)}")
print("style (all):", dict(collections.Counter(d["style"] for d in items)))
print("style (answerable):", dict(collections.Counter(d["style"] for d in ans)),
      f"-> paraphrase {sum(d['style']=='paraphrase' for d in ans)/len(ans):.0%}")
print("type (all):", dict(sorted(collections.Counter(d["type"] for d in items).items())))
print("type (unanswerable):", dict(sorted(collections.Counter(d["type"] for d in items if not d["answers"]).items())))
print("answerable by document:", dict(qs_by_doc))
print("errors:", len(errors)); [print("  ", e) for e in errors]
sys.exit(1 if errors else 0)
