#!/usr/bin/env bash
# Figures on stores no model saw: two folds of ../shared/realpages by store (scripts/real_folds.py).
# Per fold F, the `joint` baseline is trained as `make model` trains the shipped one, from the
# fixtures-only joint model (which saw no real page) on the fold's training stores (fixture
# stores, the training fold of recipe sites, the OTHER fold's real stores), and the meta-trained
# model is meta-trained from it on the same stores; no model of fold F saw a page of F's stores
# (the shipped joint model trained on all of them, so it is not a starting point here). Both are
# evaluated on the fold's own stores, with markup and with markup stripped, against
# the wrapper and `pretrained`. Recipe sites of the held-out recipe fold (data/recipe-folds/B-eval)
# are evaluated with fold B's models (no recipe of that fold is in any training set).
# About 2.5 h on 2 cores. Outputs: out/folds/F/{joint,meta}, out/eval/fold-F-{markup,stripped},
# out/eval/folds-{markup,stripped} (both folds scored together), out/eval/recipes-heldout
# (FOLDS_OUT and EVAL_OUT move them).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SW=${SW:-.venv/bin/shopwright}
THREADS=1                     # per fold: the two folds train side by side
FOLDS_OUT=${FOLDS_OUT:-out/folds}  # models: $FOLDS_OUT/joint-fixtures, $FOLDS_OUT/F/{joint,meta}
EVAL_OUT=${EVAL_OUT:-out/eval}     # evaluations
STEPS=${STEPS:-1000}          # meta-training steps per fold
JOINT_STEPS=${JOINT_STEPS:-300}
SHOTS=${SHOTS:-0,1,5}
METHODS=${METHODS:-meta,wrapper,joint,pretrained,structured}  # --baselines adds 4 more (slow)
REPEATS=${REPEATS:-3}
FOLDS=${FOLDS:-"A B"}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
source scripts/joint_training.sh
mkdir -p "$FOLDS_OUT" "$EVAL_OUT"
[ -f data/fixtures-train/labels.jsonl ] || \
    "$PY" -m fixtures write --out data/fixtures-train --stores 160 --seed 1 --products 10
"$PY" scripts/real_folds.py --labels ../shared/realpages/labels.jsonl --out data/real-folds
"$PY" scripts/real_folds.py --labels ../shared/realtrain/recipes/labels.jsonl --out data/recipe-folds
RECIPES=data/recipe-folds/A-eval     # recipe sites for training; B-eval is never trained on
BASE=$FOLDS_OUT/joint-fixtures       # the starting point of both folds: generated stores only
[ -f "$BASE/model.safetensors" ] || THREADS=2 joint_fixtures "$BASE" >"$BASE.log" 2>&1

fold() {  # fold F: train on the other fold's real stores, evaluate on F's
    local F=$1 dir=$FOLDS_OUT/$1
    mkdir -p "$dir"  # each step is skipped when its output exists; meta-training resumes
    [ -f "$dir/joint/model.safetensors" ] || joint_real "$BASE" "$dir/joint" data/fixtures-train \
        "$RECIPES" "data/real-folds/$F-train" >"$dir/joint.log" 2>&1
    [ -f "$dir/meta/model.safetensors" ] || "$SW" meta-train --config configs/meta-relations.json --threads "$THREADS" --steps "$STEPS" \
        --data data/fixtures-train/labels.jsonl "$RECIPES/labels.jsonl" \
        "data/real-folds/$F-train/labels.jsonl" --init-model "$dir/joint" --out "$dir/meta" \
        --cache-dir out/cache --no-progress >>"$dir/meta.log" 2>&1
    ln -sfn "$(realpath "$dir/joint")" "$dir/meta/joint"  # the `joint` baseline of this fold
    for mode in stripped markup; do
        local flag=""; [ "$mode" = stripped ] && flag=--strip-markup
        [ -f "$EVAL_OUT/fold-$F-$mode/report.json" ] && continue
        "$SW" evaluate --labels "data/real-folds/$F-eval/labels.jsonl" --shots "$SHOTS" \
            --repeats "$REPEATS" --seed 0 --model "$dir/meta" --methods "$METHODS" $flag --no-progress \
            --out "$EVAL_OUT/fold-$F-$mode" >"$EVAL_OUT/fold-$F-$mode.log" 2>&1
    done
}
pids=()
for F in $FOLDS; do fold "$F" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; done
for mode in markup stripped; do
    echo "== real stores, folds combined, $mode"
    "$PY" scripts/combine_folds.py --folds "$EVAL_OUT/fold-A-$mode" "$EVAL_OUT/fold-B-$mode" \
        --labels data/real-folds/A-eval/labels.jsonl data/real-folds/B-eval/labels.jsonl \
        --out "$EVAL_OUT/folds-$mode"
done
"$SW" evaluate --labels data/recipe-folds/B-eval/labels.jsonl --shots 0,1,3 --repeats 1 \
    --seed 0 --model "$FOLDS_OUT/B/meta" --methods "$METHODS" --strip-markup --no-progress \
    --out "$EVAL_OUT/recipes-heldout" >"$EVAL_OUT/recipes-heldout.log" 2>&1
tail -n 30 "$EVAL_OUT/recipes-heldout.log"
