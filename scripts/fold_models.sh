#!/usr/bin/env bash
# Figures on stores no model saw: two folds of ../shared/realpages by store (scripts/real_folds.py).
# Per fold F, the `joint` baseline continues the shipped joint model on the fold's training stores
# (fixture stores, the training fold of recipe sites, the OTHER fold's real stores) and the
# meta-trained model is meta-trained from it on the same stores, as `make model` builds the shipped
# pair; both are evaluated on the fold's own stores, with markup and with markup stripped, against
# the wrapper and `pretrained`. Recipe sites of the held-out recipe fold (data/recipe-folds/B-eval)
# are evaluated with fold B's models (no recipe of that fold is in any training set).
# About 2.5 h on 2 cores. Outputs: out/folds/F/{joint,meta}, out/eval/fold-F-{markup,stripped},
# out/eval/folds-{markup,stripped} (both folds scored together), out/eval/recipes-heldout.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SW=${SW:-.venv/bin/shopwright}
STEPS=${STEPS:-1000}          # meta-training steps per fold
JOINT_STEPS=${JOINT_STEPS:-300}
SHOTS=${SHOTS:-0,1,5}
METHODS=${METHODS:-meta,wrapper,joint,pretrained,structured}  # --baselines adds 4 more (slow)
REPEATS=${REPEATS:-3}
FOLDS=${FOLDS:-"A B"}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
mkdir -p out/folds out/eval
[ -f data/fixtures-train/labels.jsonl ] || \
    "$PY" -m fixtures write --out data/fixtures-train --stores 160 --seed 1 --products 10
"$PY" scripts/real_folds.py --labels ../shared/realpages/labels.jsonl --out data/real-folds
"$PY" scripts/real_folds.py --labels ../shared/realtrain/recipes/labels.jsonl --out data/recipe-folds
RECIPES=data/recipe-folds/A-eval     # recipe sites for training; B-eval is never trained on

fold() {  # fold F: train on the other fold's real stores, evaluate on F's
    local F=$1 dir=out/folds/$1
    mkdir -p "$dir"  # each step is skipped when its output exists; meta-training resumes
    [ -f "$dir/joint/model.safetensors" ] || "$SW" train data/fixtures-train "$RECIPES" "data/real-folds/$F-train" --out "$dir/joint" \
        --init-model extractor/default_model/joint --data-weights 1 1 1.5 --strip-markup \
        --steps "$JOINT_STEPS" --batch-size 8 --window 128 --lr 2e-4 --head-lr 2e-3 \
        --train-layers 2 --eval-fraction 0.05 --eval-every 0 --checkpoint-every 100 \
        --exclude-industries books --threads 1 --seed 0 --no-progress >"$dir/joint.log" 2>&1
    [ -f "$dir/meta/model.safetensors" ] || "$SW" meta-train --config configs/meta-relations.json --threads 1 --steps "$STEPS" \
        --data data/fixtures-train/labels.jsonl "$RECIPES/labels.jsonl" \
        "data/real-folds/$F-train/labels.jsonl" --init-model "$dir/joint" --out "$dir/meta" \
        --cache-dir out/cache --no-progress >>"$dir/meta.log" 2>&1
    ln -sfn "$(realpath "$dir/joint")" "$dir/meta/joint"  # the `joint` baseline of this fold
    for mode in stripped markup; do
        local flag=""; [ "$mode" = stripped ] && flag=--strip-markup
        [ -f "out/eval/fold-$F-$mode/report.json" ] && continue
        "$SW" evaluate --labels "data/real-folds/$F-eval/labels.jsonl" --shots "$SHOTS" \
            --repeats "$REPEATS" --seed 0 --model "$dir/meta" --methods "$METHODS" $flag --no-progress \
            --out "out/eval/fold-$F-$mode" >"out/eval/fold-$F-$mode.log" 2>&1
    done
}
pids=()
for F in $FOLDS; do fold "$F" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; done
for mode in markup stripped; do
    echo "== real stores, folds combined, $mode"
    "$PY" scripts/combine_folds.py --folds out/eval/fold-A-$mode out/eval/fold-B-$mode \
        --labels data/real-folds/A-eval/labels.jsonl data/real-folds/B-eval/labels.jsonl \
        --out "out/eval/folds-$mode"
done
"$SW" evaluate --labels data/recipe-folds/B-eval/labels.jsonl --shots 0,1,3 --repeats 1 \
    --seed 0 --model out/folds/B/meta --methods "$METHODS" --strip-markup --no-progress \
    --out out/eval/recipes-heldout >out/eval/recipes-heldout.log 2>&1
tail -n 30 out/eval/recipes-heldout.log
