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

# A scene whose truth holds no event to find (a rest scene: every row skipped)
# cannot be scored on its own (emg-score: "no ground-truth events"), yet every
# event predicted there is a false one.  Its predictions are appended, shifted
# 10 s past the end, to the predictions of the scene before it (the one after
# it for a first scene), so that they count in the pooled tables.
pool_merge_empty() {
  local skip=$1
  /usr/bin/python3 - "$pool_dir" "$skip" <<'PY'
import csv, os, sys
d, skip = sys.argv[1], set(sys.argv[2].split(","))
rows = list(csv.reader(open(os.path.join(d, "pairs.tsv")), delimiter="\t"))[1:]
def table(path):
    with open(path, newline="") as f:
        r = list(csv.reader(f, delimiter="\t"))
    return r[0], r[1:]
def has_events(path):
    head, body = table(path)
    lab = head.index("label")
    return any(r[lab] not in skip for r in body)
def end(path):
    head, body = table(path)
    on, du = head.index("onset"), head.index("duration")
    return max([float(r[on]) + float(r[du]) for r in body] or [0.0])
keep = [i for i, (t, p) in enumerate(rows) if has_events(t)]
extra = {i: [] for i in keep}
for i, (t, p) in enumerate(rows):
    if i not in extra and keep:
        host = max([k for k in keep if k < i] or [min(keep)])
        extra[host].append(p)
out = [("truth", "pred")]
for i in keep:
    t, p = rows[i]
    if extra[i]:
        head, body = table(p)
        on = head.index("onset")
        shift = max(end(t), end(p)) + 10
        for q in extra[i]:
            qh, qb = table(q)
            for r in qb:
                r = dict(zip(qh, r))
                r["onset"] = "%.6f" % (float(r["onset"]) + shift)
                body.append([r.get(c, "n/a") for c in head])
            shift = max([float(b[on]) + float(b[head.index("duration")]) for b in body] + [shift]) + 10
        p = os.path.join(d, "merged-%d.pred.tsv" % i)
        with open(p, "w", newline="") as f:
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            w.writerow(head)
            w.writerows(body)
    out.append((t, p))
with open(os.path.join(d, "pairs.scored.tsv"), "w") as f:
    f.writelines("%s\t%s\n" % r for r in out)
PY
}

pool_report() {
  local bin=$1 skip=$2
  pool_merge_empty "$skip"
  "$bin/emg-score" -q --skip "$skip" --pairs "$pool_dir/pairs.scored.tsv" -o "$pool_dir/scores.tsv" \
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
