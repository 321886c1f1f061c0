#!/usr/bin/env bash
# Data-realism study: does training on real stores help, and does meta-training then beat joint?
# Two folds of ../shared/realpages by store (scripts/real_folds.py); per fold, the joint model and
# the meta-trained model are trained on the fixture stores plus the OTHER fold's real stores, with
# the shipped model's settings, and evaluated on the fold's own stores (with and without the
# page's markup). The folds' predictions are then scored together (scripts/combine_folds.py).
# About 80 min on 2 cores (both folds side by side, one torch thread each). Not the shipped model:
# the real pages are the evaluation set, so a model trained on all of them could not be evaluated.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
LABELS=${LABELS:-../shared/realpages/labels.jsonl}
mkdir -p out/build out/eval
[ -f data/fixtures-train/labels.jsonl ] || \
    "$PY" -m fixtures write --out data/fixtures-train --stores 160 --seed 1 --products 10
"$PY" scripts/real_folds.py --labels "$LABELS" --out data/real-folds

fold() {  # fold A|B: train joint and meta on the other fold's stores, evaluate on this fold's
    local F=$1 joint=out/build/fold-$1-joint meta=out/build/fold-$1-meta
    "$PY" -m extractor.cli train data/fixtures-train "data/real-folds/$F-train" --out "$joint" \
        --steps 400 --batch-size 8 --window 128 --lr 2e-4 --head-lr 2e-3 --train-layers 2 \
        --eval-fraction 0.05 --eval-every 0 --checkpoint-every 100 --exclude-industries books \
        --threads 1 --seed 0 --no-progress >"out/build/fold-$F-joint.log" 2>&1
    # configs/meta.json with this fold's stores, start model and output folder
    "$PY" -m extractor.cli meta-train --config configs/meta.json \
        --data data/fixtures-train/labels.jsonl "data/real-folds/$F-train/labels.jsonl" \
        --init-model "$joint" --out "$meta" >"out/build/fold-$F-meta.log" 2>&1
    ln -sfn "$(realpath "$joint")" "$meta/joint"  # `joint` baseline = this fold's joint model
    for mode in markup no-markup; do
        local flag=""; [ "$mode" = no-markup ] && flag=--no-markup
        "$PY" -m extractor.cli evaluate --labels "data/real-folds/$F-eval/labels.jsonl" \
            --shots 0,1,3,5 --repeats 3 --seed 0 --model "$meta" --methods meta,joint $flag \
            --no-progress --out "out/eval/fold-$F-$mode" >"out/eval/fold-$F-$mode.log" 2>&1
    done
}
fold A & a=$!
fold B & b=$!
wait "$a"
wait "$b"
for mode in markup no-markup; do
    echo "== real stores, folds combined, $mode"
    "$PY" scripts/combine_folds.py --folds "out/eval/fold-A-$mode" "out/eval/fold-B-$mode" \
        --labels data/real-folds/A-eval/labels.jsonl data/real-folds/B-eval/labels.jsonl \
        --out "out/eval/folds-$mode"
done
