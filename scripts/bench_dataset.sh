#!/usr/bin/env bash
# bench_dataset.sh: emg-dataset on 100 simulated recordings plus the real ones
# in datasets/ (issue 14): build, rebuild, append, then open with h5py.
#
#   scripts/bench_dataset.sh [-b BUILD/bin] [-n SCENES] [-d SECONDS] [-o DIR]
#
# Simulates SCENES recordings (default 100, 60 s each, 2 kHz, the built-in
# scenarios in turn, 4 sessions per simulated subject), labels every real
# recording of datasets/ with emg-label (their event tables), and writes a
# sample sheet for all.  Then times: the build (--rate 1000, 1 s windows),
# a rebuild (compared byte for byte), a build of all but the real ones
# followed by --append of the real ones; and checks with h5py that the layout
# is as documented and no subject is in two splits.  Prints wall-clock seconds,
# peak memory, rows and file size.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${EMGKIT_BIN:-$here/build/bin}
scenes=100
dur=60
dir=${TMPDIR:-/tmp}/emgkit-bench-dataset
while getopts "b:n:d:o:h" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    n) scenes=$OPTARG ;;
    d) dur=$OPTARG ;;
    o) dir=$OPTARG ;;
    h) sed -n 2,15p "$0"; exit 0 ;;
    *) exit 1 ;;
  esac
done
mkdir -p "$dir/sim" "$dir/real"
mapfile -t scenarios < <("$bin/emg-synth" --list | awk '{print $1}')

sim_sheet=$dir/sim.tsv
printf 'file\tevents\tsubject\tsession\n' > "$sim_sheet"
start=$(date +%s.%N)
for ((i = 0; i < scenes; i++)); do
  sc=${scenarios[i % ${#scenarios[@]}]}
  out=$dir/sim/scene$i.edf
  [ -s "$out" ] || "$bin/emg-synth" -q --scenario "$sc" --seed $((i + 1)) --duration "$dur" -o "$out"
  printf 'sim/scene%d.edf\tsim/scene%d.events.tsv\tsim%02d\t%d\n' "$i" "$i" $((i / 4)) $((i % 4 + 1)) \
    >> "$sim_sheet"
done
echo "simulated $scenes x ${dur} s in $(echo "$(date +%s.%N) - $start" | bc) s" >&2

# The real recordings: emg-label's events; the UCI text needs --resample (irregular grid).
real_sheet=$dir/real.tsv
printf 'file\tevents\tsubject\tsession\n' > "$real_sheet"
uci_sheet=$dir/uci.tsv
printf 'file\tevents\tsubject\tsession\n' > "$uci_sheet"
for f in "$here"/datasets/physionet_emgdb/*.hea "$here"/datasets/physionet_grabmyo/*.hea \
         "$here"/datasets/plux_opensignals/*.h5 "$here"/datasets/backyardbrains_wav/*.wav \
         "$here"/datasets/bitalino_txt/*.txt "$here"/datasets/sleepedf_excerpt/*.edf \
         "$here"/datasets/uci_gestures/S*.txt; do
  name=$(basename "${f%.*}")
  sheet=$real_sheet
  extra=()
  case $f in */uci_gestures/*) sheet=$uci_sheet; extra=(--resample) ;; esac
  "$bin/emg-label" -q "${extra[@]}" -o "$dir/real/$name.labels.tsv" "$f"
  printf '%s\treal/%s.labels.tsv\t%s\tn/a\n' "$f" "$name" "$name" >> "$sheet"
done
all_sheet=$dir/all.tsv
{ cat "$sim_sheet"; tail -n +2 "$real_sheet"; } > "$all_sheet"

timed() { # timed LABEL COMMAND...: wall seconds and peak MB on one line
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@"
  read -r wall kb < "$dir/time.txt"
  printf '%-34s %7.1f s  %6.0f MB peak\n' "$label" "$wall" "$((kb / 1024))"
}
opts=(--rate 1000 --max-channels 32)
rm -f "$dir"/data*.h5
timed "build (sims + real)" "$bin/emg-dataset" -q "${opts[@]}" -o "$dir/data.h5" --sample-sheet "$all_sheet"
timed "append UCI (--resample)" "$bin/emg-dataset" -q "${opts[@]}" --resample --append \
  -o "$dir/data.h5" --sample-sheet "$uci_sheet"
timed "rebuild" "$bin/emg-dataset" -q "${opts[@]}" -o "$dir/data2.h5" --sample-sheet "$all_sheet"
"$bin/emg-dataset" -q "${opts[@]}" --resample --append -o "$dir/data2.h5" --sample-sheet "$uci_sheet"
cmp -s "$dir/data.h5" "$dir/data2.h5" && echo "rebuild: byte-identical" || echo "rebuild: DIFFERS"
timed "build sims only" "$bin/emg-dataset" -q "${opts[@]}" -o "$dir/data3.h5" --sample-sheet "$sim_sheet"
timed "append real" "$bin/emg-dataset" -q "${opts[@]}" --append -o "$dir/data3.h5" --sample-sheet "$real_sheet"
echo "file size: $(du -h "$dir/data.h5" | cut -f1)"

/usr/bin/python3 - "$dir/data.h5" "$dir/data3.h5" <<'PY'
import sys, time
import h5py, pandas as pd
t = time.time()
f = h5py.File(sys.argv[1])
table = lambda g: pd.DataFrame({c: (g[c].asstr()[()] if g[c].dtype.kind == "O" else g[c][()])
                                for c in g.attrs["columns"].split(",")})
rows, feats, classes = table(f["rows"]), table(f["features"]), table(f["classes"])
n, C, L = f["samples"].shape
assert len(rows) == n == len(f["labels"]) and feats.row.max() == n - 1
leaks = (rows.groupby("subject").split.nunique() > 1).sum()
print("h5py: samples %s %s chunks %s, %d features rows, opened and read in %.1f s" %
      (f["samples"].shape, f["samples"].dtype, f["samples"].chunks, len(feats), time.time() - t))
print("subjects %d, in two splits: %d; rows per split %s" %
      (rows.subject.nunique(), leaks, rows.split.value_counts().to_dict()))
print("real recordings: %d rows from %d files" %
      ((~rows.file.str.contains("/sim/")).sum(), rows.file[~rows.file.str.contains("/sim/")].nunique()))
print(classes.to_string(index=False))
g = h5py.File(sys.argv[2])
print("sims + append real: %d rows (one build: %d)" % (g["samples"].shape[0], n - (rows.file.str.contains("uci_gestures")).sum()))
PY
