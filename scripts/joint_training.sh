# Sourced by build_model.sh and fold_models.sh: the two supervised stages of the `joint` model,
# one definition for the shipped model and for the fold models.
#   joint_fixtures OUT           supervised on the generated stores only (books left out)
#   joint_real INIT OUT DATA...  continued from INIT on DATA (fixtures, recipe sites, real stores),
#                                markup stripped, real data weighted 1 1 1.5
# Both need $PY and $THREADS.

joint_fixtures() {
    local out=$1
    "$PY" -m extractor.cli train data/fixtures-train --out "$out" \
        --steps 400 --batch-size 8 --window 128 --lr 2e-4 --head-lr 2e-3 --train-layers 2 \
        --eval-fraction 0.05 --eval-every 0 --checkpoint-every 100 --exclude-industries books \
        --hint-dropout "${HINT_DROPOUT:-0}" --threads "$THREADS" --seed 0 --no-progress
}

joint_real() {
    local init=$1 out=$2; shift 2
    "$PY" -m extractor.cli train "$@" \
        --init-model "$init" --out "$out" --data-weights 1 1 1.5 --strip-markup \
        --steps "${JOINT_STEPS:-300}" --batch-size 8 --window 128 --lr 2e-4 --head-lr 2e-3 \
        --train-layers 2 --eval-fraction 0.05 --eval-every 0 --checkpoint-every 100 \
        --exclude-industries books --threads "$THREADS" --seed 0 --no-progress
}
