#!/usr/bin/env bash
# Rebuild the shipped model from scratch, in one command (`make model`):
#   fixture stores -> supervised "joint" model (generated stores, then every training store) ->
#   meta-training from it with relations to the support -> export to extractor/default_model
#   (meta-trained) and extractor/default_model/joint (the baseline).
# Progress goes to out/build/build.log; each stage's own log sits next to it.
# Settings: configs/meta-relations.json (meta-training) and the supervised flags below; everything seeded.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
WORK=out/build
SHIP=${SHIP:-extractor/default_model}
THREADS=${THREADS:-1}              # 1 was faster than 2 on a loaded 2-core machine
HINT_DROPOUT=${HINT_DROPOUT:-0}    # share of class/id hint words dropped per token (joint training)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
source scripts/joint_training.sh

mkdir -p "$WORK"
LOG=$WORK/build.log
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*" | tee -a "$LOG"; }
declare -A SECONDS_OF
stage() {  # stage NAME COMMAND...: run, log to $WORK/NAME.log, time it
    local name=$1; shift
    log "start $name: $*"
    local t0=$SECONDS
    "$@" >"$WORK/$name.log" 2>&1 || { log "FAILED $name (see $WORK/$name.log)"; exit 1; }
    SECONDS_OF[$name]=$((SECONDS - t0))
    log "done $name in ${SECONDS_OF[$name]} s"
}

: >"$LOG"
log "building the shipped model on $(nproc) CPUs, torch threads $THREADS"
# Training data: generated stores (seed 1; the books industry is left out), the training fold of
# the recipe sites (data/recipe-folds/A-eval; fold B is never trained on, its figures are
# reported) and every real store of ../shared/realpages (figures on real stores come from the
# fold models of scripts/fold_models.sh, which never saw the stores they are scored on).
stage fixtures_train "$PY" -m fixtures write --out data/fixtures-train --stores 160 --seed 1 --products 10
stage fixtures_eval "$PY" -m fixtures write --out data/fixtures-eval --stores 30 --seed 2 --products 8
stage folds bash -c "$PY scripts/real_folds.py --labels ../shared/realtrain/recipes/labels.jsonl \
    --out data/recipe-folds"
REAL=../shared/realpages
# 1. the joint model: supervised on the generated stores, then on every training store
stage joint joint_fixtures "$WORK/joint-fixtures"
stage joint_real joint_real "$WORK/joint-fixtures" "$WORK/joint" data/fixtures-train \
    data/recipe-folds/A-eval "$REAL"
# 2. meta-training from it on the same stores: relations to the support, zero-shot episodes
stage meta "$PY" -m extractor.cli meta-train --config configs/meta-relations.json \
    --data data/fixtures-train/labels.jsonl data/recipe-folds/A-eval/labels.jsonl "$REAL/labels.jsonl" \
    --init-model "$WORK/joint" --out "$WORK/meta" --threads "$THREADS" --cache-dir out/cache --no-progress
cat >"$WORK/build.json" <<JSON
{"command": "scripts/build_model.sh", "machine": "$(nproc) CPUs, $(uname -m)",
 "torch_threads": $THREADS,
 "stage_seconds": {"fixtures": $((SECONDS_OF[fixtures_train] + SECONDS_OF[fixtures_eval])),
                   "joint": $((SECONDS_OF[joint] + SECONDS_OF[joint_real])), "meta": ${SECONDS_OF[meta]}},
 "data": {"train": "python -m fixtures write --stores 160 --seed 1 --products 10 (books left out); recipe sites of data/recipe-folds/A-eval; ../shared/realpages",
          "eval": "python -m fixtures write --stores 30 --seed 2 --products 8; recipe sites of data/recipe-folds/B-eval; real stores by fold (scripts/fold_models.sh)"}}
JSON
# --adapt-steps 0: `shopwright adapt` builds the head from the support and takes no SGD step
# (the generation algorithm trains exactly that).
stage export "$PY" -m metatrain.export --meta "$WORK/meta" --joint "$WORK/joint" --out "$SHIP" \
    --adapt-steps 0 \
    --build "$WORK/build.json"
log "shipped model in $SHIP ($(du -sh "$SHIP" | cut -f1))"
