# pool_scores.sh: pooled scoring of many labelled scenes (sourced by
# eval_label.sh and eval_altsim.sh).
#
#   pool_init OUTDIR            start empty pooled tables in OUTDIR
#   pool_add SCENE TRUTH PRED   append one scene's tables, on its own stretch of
#                               a common timeline (scenes 10000 s apart) and
#                               with its channels prefixed by SCENE, so that
#                               events of different scenes never match
#   pool_report BIN SKIP        score the pooled tables with BIN/emg-score
#                               (SKIP: truth labels that are not events to
#                               find) and print per-class scores and the
#                               confusion matrix
pool_init() {
  pool_dir=$1
  pool_offset=0
  : > "$pool_dir/all.truth.tsv"
  : > "$pool_dir/all.pred.tsv"
}

pool_add() {
  local scene=$1 truth=$2 pred=$3 pair
  for pair in "$truth:$pool_dir/all.truth.tsv" "$pred:$pool_dir/all.pred.tsv"; do
    # columns by name: emg-label's table starts with a file column, emg-synth's truth has none
    # (onsets printed to the microsecond: awk's default %.6g would round 10005.319 to 10005.3)
    awk -F'\t' -v OFS='\t' -v off="$pool_offset" -v sc="$scene" \
      'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
       {print sprintf("%.6f", $c["onset"]+off), $c["duration"], sc":"$c["channel"], $c["label"]}' "${pair%%:*}" >> "${pair#*:}"
  done
  pool_offset=$((pool_offset + 10000))
}

pool_report() {
  local bin=$1 skip=$2 f
  for f in "$pool_dir/all.truth.tsv" "$pool_dir/all.pred.tsv"; do
    { printf 'onset\tduration\tchannel\tlabel\n'; cat "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
  done
  echo
  echo "Pooled over all scenes (class  n_truth  n_pred  tp  precision  recall  F1  onset_err_ms):"
  "$bin/emg-score" --skip "$skip" --truth "$pool_dir/all.truth.tsv" \
    --pred "$pool_dir/all.pred.tsv" -o "$pool_dir/pooled.score.tsv" \
    --confusion "$pool_dir/pooled.confusion.tsv"
  awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
    {printf "  %-14s %5s %5s %5s  %6.3f %6.3f %6.3f  %s\n", $c["class"], $c["n_truth"], $c["n_pred"], $c["tp"],
       $c["precision"], $c["recall"], $c["f1"], $c["onset_error_median_ms"]}' \
    "$pool_dir/pooled.score.tsv"
  echo
  echo "Confusion (rows truth, columns predicted):"
  column -t "$pool_dir/pooled.confusion.tsv"
}
