#!/usr/bin/env bash
# emg-dataset --append in place: the time to append one recording against the size
# of the existing dataset, the file's inode before and after, and the old rows'
# bytes (h5py, rows [0, N)) before and after.  Then interruption: an append killed
# (SIGKILL) at a random moment leaves a file that opens with its committed rows
# unchanged, and the next append refuses it (exit 3: rebuild) rather than build on it.
#   scripts/bench_dataset_append.sh [BUILD_DIR] [SIZES]   (SIZES: recordings of 600 s)
set -euo pipefail
BIN=${1:-build}/bin
SIZES=${2:-"1 8 32"}
PY=/usr/bin/python3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
max=0; for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
for s in $(seq 1 "$max"); do "$BIN/emg-synth" -q --seed "$s" --duration 600 --rate 1000 -o "$W/r$s.edf"; done
"$BIN/emg-synth" -q --seed 9999 --duration 60 --rate 1000 -o "$W/new.edf"
for k in 1 2 3 4 5 6 7 8; do "$BIN/emg-synth" -q --seed $((10000 + k)) --duration 300 --rate 1000 -o "$W/k$k.edf"; done
digest() { "$PY" - "$1" "$2" <<'PY'
import h5py, hashlib, sys
f = h5py.File(sys.argv[1], "r"); n = int(sys.argv[2]); h = hashlib.sha256()
h.update(f["samples"][:n].tobytes()); h.update(f["labels"][:n].tobytes())
for g in ("rows", "features"):
    m = n if g == "rows" else int((f["features/row"][:] < n).sum())
    for c in f[g].attrs["columns"].split(","):
        h.update(repr(f[g][c][:m].tolist()).encode())
print(h.hexdigest())
PY
}
rows() { "$PY" -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r')['labels']))" "$1"; }
printf 'existing_MB\trows\tappend_s\tinode_same\told_rows_same\n'
for n in $SIZES; do
  files=(); for s in $(seq 1 "$n"); do files+=("$W/r$s.edf"); done
  "$BIN/emg-dataset" -q -o "$W/d.h5" --features rms "${files[@]}"
  size=$(stat -c %s "$W/d.h5"); inode=$(stat -c %i "$W/d.h5"); before=$(rows "$W/d.h5")
  old=$(digest "$W/d.h5" "$before")
  sync
  t0=$(date +%s.%N)
  "$BIN/emg-dataset" -q --append -o "$W/d.h5" --features rms "$W/new.edf"
  t1=$(date +%s.%N)
  same_inode=$([ "$(stat -c %i "$W/d.h5")" = "$inode" ] && echo yes || echo no)
  same_rows=$([ "$(digest "$W/d.h5" "$before")" = "$old" ] && echo yes || echo no)
  printf '%.1f\t%s\t%.3f\t%s\t%s\n' "$(echo "$size / 1048576" | bc -l)" "$before" \
    "$(echo "$t1 - $t0" | bc -l)" "$same_inode" "$same_rows"
done
# Interruption: kill appends of 8 x 300 s at random moments.
echo
printf "trial\tkilled_after_s\topens\tcommitted_rows_same\tnext_append_exit\n"
files=(); for s in $(seq 1 "$max"); do files+=("$W/r$s.edf"); done
for trial in 1 2 3 4 5 6 7 8 9 10; do
  "$BIN/emg-dataset" -q -o "$W/k.h5" --features rms "$W/r1.edf" "$W/r2.edf"
  before=$(rows "$W/k.h5"); old=$(digest "$W/k.h5" "$before")
  delay=$(awk -v s="$trial" 'BEGIN { srand(s); printf "%.2f", 0.05 + rand() * 1.5 }')
  "$BIN/emg-dataset" -q --append -o "$W/k.h5" --features rms "$W"/k*.edf & pid=$!
  sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  opens=no; same=no; next=no
  if now=$(rows "$W/k.h5" 2>/dev/null); then opens=yes
    [ "$(digest "$W/k.h5" "$before" 2>/dev/null)" = "$old" ] && same=yes
    next=0; "$BIN/emg-dataset" -q --append -o "$W/k.h5" --features rms "$W/new.edf" 2>/dev/null || next=$?
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$trial" "$delay" "$opens" "$same" "$next"
done
