#!/usr/bin/env bash
# eval_realsim.sh: measure emg-label on the BLIND scenes of scripts/realsim.py, which are
# assembled from real recordings (rest noise, contraction texture and needle potentials of
# datasets/) in the patterns of docs/spasm-criteria.md (docs/methods/realsim.md).
#
#   scripts/eval_realsim.sh [-b BUILD/bin] [-s "101 102 103"] [-t "TYPE ..."] [-o OUTDIR]
#                           [-g] [-n] [-r] [-- LABEL-OPTIONS]
#
# Generates every scene type for each seed (default: the blind seeds listed in
# scripts/realsim.frozen), checks each scene's SHA-256 content digest against the frozen
# one (a mismatch stops the run: the scenes are not the frozen test set; -n skips the
# check, e.g. for the tuning seeds 1-3), then labels each scene with the roles a user
# would give (TYPE-SEED.args; the context comes from the file's annotation), scores it
# with emg-score (same label, IoU >= 0.3; rest rows are not events to find), pools all
# scenes on one timeline and prints per-class precision/recall/F1, macro-F1 and the
# confusion matrix.  -g stops after generation and the digest check (no labelling).
# -r reuses scenes already in OUTDIR.  RULE: the blind seeds are scored once per labeller
# release; never change emg-label after looking at their results (tune on seeds 1-3).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${EMGKIT_BIN:-$here/build/bin}
frozen=$here/scripts/realsim.frozen
seeds=$(awk '$1=="blind"{$1=""; s=$0} END{print s}' "$frozen")   # the last blind line: the current blind set
types=""
out=${TMPDIR:-/tmp}/emgkit-eval-realsim
py=/usr/bin/python3
gen_only="" nocheck="" reuse=""
while getopts "b:s:t:o:gnrh" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    s) seeds=$OPTARG ;;
    t) types=$OPTARG ;;
    o) out=$OPTARG ;;
    g) gen_only=1 ;;
    n) nocheck=1 ;;
    r) reuse=1 ;;
    h) sed -n 2,20p "$0"; exit 0 ;;
    *) exit 1 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
mkdir -p "$out"
[ -n "$types" ] || types=$("$py" "$here/scripts/realsim.py" --list | awk '{print $1}')

# 1. Generate and check against the frozen digests.
: > "$out/digests.txt"
for seed in $seeds; do
  if [ -n "$reuse" ] && [ -s "$out/digests-$seed.txt" ]; then
    cat "$out/digests-$seed.txt" >> "$out/digests.txt"
    continue
  fi
  "$py" "$here/scripts/realsim.py" --seed "$seed" --type "$(echo $types | tr ' ' ,)" --digest -o "$out" \
    > "$out/digests-$seed.txt"
  cat "$out/digests-$seed.txt" >> "$out/digests.txt"
done
if [ -z "$nocheck" ]; then
  bad=$(awk 'NR==FNR { if ($1 ~ /^[0-9]+$/) want[$1" "$2]=$3; next }
             { k=$1" "$2; if (!(k in want)) print k": not frozen"; else if (want[k]!=$3) print k": digest differs" }' \
        "$frozen" "$out/digests.txt")
  if [ -n "$bad" ]; then
    echo "eval_realsim: the generated scenes are not the frozen set (numpy/scipy or the CPU differ from" >&2
    echo "the versions in $frozen, or realsim.py or datasets/ changed):" >&2
    echo "$bad" >&2
    exit 2
  fi
  echo "eval_realsim: $(wc -l < "$out/digests.txt") scenes match scripts/realsim.frozen"
fi
[ -n "$gen_only" ] && exit 0

# 2. Label, score, pool.
# shellcheck source=scripts/pool_scores.sh
. "$here/scripts/pool_scores.sh"
pool_init "$out"
for seed in $seeds; do
  for ty in $types; do
    base=$out/$ty-$seed
    # shellcheck disable=SC2046
    "$bin/emg-label" $(cat "$base.args") "$@" -o "$base.labels.tsv" "$base.h5" \
      2>"$base.label.log" || { echo "$ty seed $seed: emg-label failed: $(cat "$base.label.log")" >&2; continue; }
    if awk -F'\t' 'NR>1 && $4!="rest"{found=1} END{exit !found}' "$base.events.tsv"; then
      "$bin/emg-score" -q --skip rest --truth "$base.events.tsv" --pred "$base.labels.tsv" \
        -o "$base.score.tsv" --confusion "$base.confusion.tsv"
    fi
    pool_add "$ty-$seed" "$base.events.tsv" "$base.labels.tsv"
    printf '%-13s seed %-4s truth: %-28s pred: %s\n' "$ty" "$seed" \
      "$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $c["label"]!="rest"{n[$c["label"]]++}
                     END{for(k in n) printf "%s:%d ", k, n[k]}' "$base.events.tsv")" \
      "$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} {n[$c["label"]]++}
                     END{for(k in n) printf "%s:%d ", k, n[k]}' "$base.labels.tsv")"
  done
done
pool_report "$bin" rest
# Macro-F1 over the classes present in the truth or the predictions (pooled table).
awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
  $c["class"]!="all" && $c["class"]!="macro" && $c["class"]!="micro" && ($c["n_truth"]>0 || $c["n_pred"]>0) {s+=$c["f1"]; n++}
  END{if (n) printf "\nmacro-F1 over %d classes: %.3f\n", n, s/n}' "$out/pooled.score.tsv"
