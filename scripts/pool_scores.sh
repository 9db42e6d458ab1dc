# pool_scores.sh: pooled scoring of many labelled scenes (sourced by
# eval_label.sh, eval_altsim.sh and eval_realsim.sh), through emg-score's own
# dataset scoring (--pairs, --by-class, --calibration).
#
#   pool_init OUTDIR            start an empty pairs sheet in OUTDIR
#   pool_add SCENE TRUTH PRED   add one scene's truth and predicted tables
#   pool_report BIN SKIP        score every pair with BIN/emg-score (SKIP: truth
#                               labels that are not events to find) and print
#                               the pooled per-class scores with 95% bootstrap
#                               intervals over scenes, the confusion matrix and
#                               the calibration of the labeller's confidence
pool_init() {
  pool_dir=$1
  printf 'truth\tpred\n' > "$pool_dir/pairs.tsv"
}

pool_add() {
  local truth=$2 pred=$3
  case $truth in /*) ;; *) truth=$PWD/$truth ;; esac
  case $pred in /*) ;; *) pred=$PWD/$pred ;; esac
  printf '%s\t%s\n' "$truth" "$pred" >> "$pool_dir/pairs.tsv"
}

pool_report() {
  local bin=$1 skip=$2
  # A rest scene (no truth event) is scored too: its predictions are false events.
  "$bin/emg-score" -q --skip "$skip" --pairs "$pool_dir/pairs.tsv" -o "$pool_dir/scores.tsv" \
    --by-class "$pool_dir/pooled.score.tsv" --confusion "$pool_dir/pooled.confusion.tsv" \
    --calibration "$pool_dir/calibration.tsv"
  echo
  echo "Pooled over all scenes (class  n_truth  n_pred  tp  precision  recall  F1 [95% CI over scenes]):"
  awk -F'\t' 'function v(x) { return x == "n/a" ? "   n/a" : sprintf("%6.3f", x) }
    NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
    {printf "  %-14s %5s %5s %5s  %s %s %s [%s, %s]\n", $c["class"], $c["n_truth"], $c["n_pred"],
       $c["tp"], v($c["precision"]), v($c["recall"]), v($c["f1"]), $c["f1_low"], $c["f1_high"]}' \
    "$pool_dir/pooled.score.tsv"
  echo
  echo "Confusion (rows truth, columns predicted):"
  column -t "$pool_dir/pooled.confusion.tsv"
  echo
  echo "Confidence calibration (predictions per bin, fraction matched right):"
  column -t "$pool_dir/calibration.tsv"
}
