#!/usr/bin/env bash
# The user's day on a fixture store, end to end and offline:
#   fixture server -> shopwright crawl (JavaScript store, real Chromium) -> annotate 5 pages from the
#   store's ground truth -> adapt the shipped meta-trained model -> JSON catalog.
# Output lands in out/demo/ (override with DEMO_DIR). Run through `make demo`.
# With --annotate (`make demo-annotate`), step 3 is the browser annotator instead of the values
# file: annotate and adapt there, stop it with Ctrl-C, and the demo extracts the catalog.
set -euo pipefail
ANNOTATE=0
[ "${1:-}" = "--annotate" ] && ANNOTATE=1
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
PY=.venv/bin/python
OUT=${DEMO_DIR:-out/demo}
rm -rf "$OUT" && mkdir -p "$OUT"

echo "== 1. serve 4 fixture stores on 127.0.0.1"
$PY -m fixtures serve --port 0 --stores 4 --products 12 >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^serving ' "$OUT/server.log" && break; sleep 0.1; done
BASE=$(sed -n 's/^serving \(http[^ ]*\).*/\1/p' "$OUT/server.log" | head -1)
# The first JavaScript-rendered store: only a browser sees its products.
read -r SLUG START < <($PY - "$BASE" <<'PY'
import json, sys, urllib.request
stores = json.load(urllib.request.urlopen(sys.argv[1] + "stores.json"))
store = next(s for s in stores if s["js"])
print(store["slug"], store["start_url"])
PY
)
echo "   store $SLUG (JavaScript-rendered): $START"

echo "== 2. crawl it: shopwright crawl $START --store demo"
.venv/bin/shopwright crawl "$START" --store demo --data-dir "$OUT/data" -s LOG_LEVEL=WARNING

if [ "$ANNOTATE" = 1 ]; then
    kill $SERVER 2>/dev/null || true  # the annotator shows the stored pages: nothing is fetched
    echo "== 3. annotate in the browser: click the values on the 5 suggested pages, press Adapt,"
    echo "      then Ctrl-C here (docs/ANNOTATE.md)"
    .venv/bin/shopwright annotate demo --data-dir "$OUT/data" || true
    echo "== 4. extract the catalog with the store's model"
    .venv/bin/shopwright extract demo -o "$OUT/catalog.json" --data-dir "$OUT/data"
    exit 0
fi

echo "== 3. annotate 5 pages from the store's ground truth (a values file)"
$PY - "$BASE" "$SLUG" "$OUT/values.jsonl" <<'PY'
import json, sys, urllib.request
base, slug, out = sys.argv[1:]
truth = [json.loads(line) for line in urllib.request.urlopen(f"{base}{slug}/_truth.jsonl")]
with open(out, "w", encoding="utf-8") as handle:
    for entry in truth[:5]:
        handle.write(json.dumps({"url": entry["url"], "labels": entry["labels"]}) + "\n")
PY
.venv/bin/shopwright annotate demo --values "$OUT/values.jsonl" --data-dir "$OUT/data"

echo "== 4. adapt the shipped model to the store"
.venv/bin/shopwright adapt demo --data-dir "$OUT/data"

echo "== 5. extract the catalog"
.venv/bin/shopwright extract demo -o "$OUT/catalog.json" --data-dir "$OUT/data"

echo "== 6. compare with the ground truth of the pages nobody annotated"
$PY scripts/demo_check.py "$BASE" "$SLUG" "$OUT/catalog.json" --skip 5
