#!/usr/bin/env bash
# emg-detect with its DEFAULT options (no --rest) on real recordings with
# reference contraction times (tests/data/*.truth.tsv, made by
# scripts/detect_truth.py from by-eye anchors on the 50 ms RMS envelope,
# independently of the detector).  Gates (issue 12):
#   emg_bursts.h5 (PLUX biceps): the 9 contractions found, at most 1 extra
#     segment, median |onset error| at most 60 ms;
#   S10_EMG_bicep_intermittent.wav: the 3 contractions, at most 1 extra;
#   S8_EMG_bicep_sustained.wav: the hold (1.3-44.6 s) in one segment, not
#     fragmented, at most 1 extra beside the 2 reference contractions.
. "$(dirname "$0")/lib.sh"
DET="$BIN/emg-detect"
TRUTHS="$EMGKIT_SRC/tests/data"
COLS='FNR == 1 { delete c; for (i = 1; i <= NF; i++) c[$i] = i; next }'

# score TRUTH PRED: "found extras median_abs_onset_error_ms"; each reference
# contraction is matched by the earliest unused segment overlapping it.
score() {
  awk -F'\t' "$COLS"' NR==FNR{n++; on[n]=$c["onset"]; off[n]=$c["onset"]+$c["duration"]; next}
    {m++; pon[m]=$c["onset"]; poff[m]=$c["onset"]+$c["duration"]}
    END{for(i=1;i<=n;i++){b=0; for(j=1;j<=m;j++){lo=(pon[j]>on[i]?pon[j]:on[i]); hi=(poff[j]<off[i]?poff[j]:off[i]); if(hi>lo && !u[j] && (!b || pon[j]<pon[b])) b=j}
          if(b){u[b]=1; f++; e=pon[b]-on[i]; err[f]=(e<0?-e:e)}}
        for(i=1;i<=f;i++) for(j=i+1;j<=f;j++) if(err[j]<err[i]){t=err[i];err[i]=err[j];err[j]=t}
        med=f?(f%2?err[(f+1)/2]:(err[f/2]+err[f/2+1])/2):1e9
        printf "%d %d %.0f\n", f, m-f, 1000*med}' "$1" "$2"
}

# gate NAME FILE N_TRUTH MAX_EXTRA [MAX_MEDIAN_MS]
gate() {
  local name=$1 file=$2 want=$3 max_extra=$4 max_med=${5:-}
  expect_exit 0 "$name" -- "$DET" -c 1 "$file"
  cp "$TMP/out" "$TMP/$name.tsv"
  read -r f x med <<<"$(score "$TRUTHS/$name.truth.tsv" "$TMP/$name.tsv")"
  echo "$name: found $f/$want, $x extra, median |onset error| $med ms"
  [ "$f" -eq "$want" ] && pass || fail "$name: found $f of $want contractions"
  [ "$x" -le "$max_extra" ] && pass || fail "$name: $x extra segments (at most $max_extra)"
  if [ -n "$max_med" ]; then
    [ "$med" -le "$max_med" ] && pass || fail "$name: median |onset error| $med ms > $max_med ms"
  fi
}

gate emg_bursts "$DATA/plux_opensignals/emg_bursts.h5" 9 1 60
gate S10_EMG_bicep_intermittent "$DATA/backyardbrains_wav/S10_EMG_bicep_intermittent.wav" 3 1
gate S8_EMG_bicep_sustained "$DATA/backyardbrains_wav/S8_EMG_bicep_sustained.wav" 2 1
# The hold is one segment: a single segment covers 10-44 s.
awk -F'\t' "$COLS"' $c["onset"] <= 10 && $c["onset"] + $c["duration"] >= 44 {ok=1} END {exit !ok}' \
  "$TMP/S8_EMG_bicep_sustained.tsv" && pass || fail "S8: the sustained hold is fragmented"

# No quiet stretch (12 blocks of 0.1 s, each 3 x louder than the last): one
# warning naming the file, the channel and --rest FROM:TO.
awk 'BEGIN { srand(1); for (k = 0; k < 12; k++) for (i = 0; i < 100; i++) {
  u = rand(); v = rand(); if (u < 1e-12) u = 1e-12
  printf "%.6g\n", 3 ^ k * sqrt(-2 * log(u)) * cos(6.283185307 * v) } }' >"$TMP/erratic.txt"
expect_exit 0 "no rest" -- "$DET" --fs 1000 "$TMP/erratic.txt"
[ "$(grep -c -- '--rest FROM:TO' "$TMP/err")" -eq 1 ] && grep -q "erratic.txt: channel ch1" "$TMP/err" \
  && pass || fail "one warning naming the file, the channel and --rest: $(cat "$TMP/err")"
finish
