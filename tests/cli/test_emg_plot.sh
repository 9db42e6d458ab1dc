#!/usr/bin/env bash
# emg-plot: every kind of figure from the real recordings of datasets/, in PNG,
# SVG and PDF; the images checked (size, drawing in every part, event shading
# only where the events are, no text over other text or off the page: see
# tests/py/plot_check.py); SVG the same bytes on a second run; bad input and
# outputs as the standard says (one error line, exit codes, no temp file left).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CHECK="$EMGKIT_SRC/tests/py/plot_check.py"
S1=$DATA/backyardbrains_wav/S1_EMG_bicepTricep2.wav       # biceps + triceps, 49.2652 s
FATIGUE=$DATA/plux_opensignals/emg_fatigue.h5
GRABMYO=$DATA/physionet_grabmyo/session1_participant1_gesture11_trial1.hea

check() { # check DESCRIPTION -- plot_check.py ARGS...
  local what=$1
  shift 2
  if "$PY" "$CHECK" "$@" >"$TMP/check" 2>&1; then pass; else
    fail "$what: $(cat "$TMP/check")"
  fi
}

# Inputs: the labeller's events on S1, fatigue tables of four real recordings, a
# confusion matrix of the labeller against a simulated session's ground truth.
"$BIN/emg-label" -q "$S1" -o "$TMP/s1.labels.tsv" || fail "emg-label on S1"
"$BIN/emg-fatigue" -q "$FATIGUE" "$DATA/backyardbrains_wav/S8_EMG_bicep_sustained.wav" \
  "$DATA/plux_opensignals/emg_bursts.h5" "$DATA/bitalino_txt/emg_1.txt" -o "$TMP/fatigue.tsv" \
  || fail "emg-fatigue"
"$BIN/emg-synth" -q --scenario "$DATA/scenarios/calf-cramp-clonus.scn" --duration 60 \
  -o "$TMP/cc.edf" || fail "emg-synth"
"$BIN/emg-label" -q "$TMP/cc.edf" -o "$TMP/cc.labels.tsv" || fail "emg-label on cc.edf"
"$BIN/emg-score" -q --truth "$TMP/cc.events.tsv" --pred "$TMP/cc.labels.tsv" \
  --confusion "$TMP/confusion.tsv" -o "$TMP/score.tsv" || fail "emg-score"

kinds=(
  "signal|$S1 --events $TMP/s1.labels.tsv"
  "signal|$GRABMYO -c 1-16 --filter"
  "signal|$TMP/cc.edf"
  "spectrogram|$FATIGUE --max-freq 400"
  "trend|$FATIGUE"
  "trend|$DATA/plux_opensignals/emg_bursts.h5 --per-contraction"
  "gallery|$S1 --events $TMP/s1.labels.tsv"
  "forest|$TMP/fatigue.tsv"
  "counts|$TMP/cc.events.tsv $TMP/cc.labels.tsv"
  "confusion|$TMP/confusion.tsv"
)
i=0
pngs=() columns=() svgs=()
# Each kind as PNG and as SVG at screen and paper-column size (its text checked); the
# smallest size (640x480) for the kinds with most text at the margins; PDF and a second
# SVG (the same bytes) for one of each family (signal, spectral, table).  Every run costs
# a PLplot and fontconfig start-up, seconds under the sanitizers: no more than these.
for entry in "${kinds[@]}"; do
  kind=${entry%%|*}
  read -r -a args <<<"${entry#*|}"
  i=$((i + 1))
  out=$TMP/$i-$kind
  expect_exit 0 "$kind png" -- "$BIN/emg-plot" "$kind" -q "${args[@]}" --title "$kind" -o "$out.png"
  pngs+=("$out.png")
  sizes=(screen column)
  case $i in 1 | 2 | 7 | 8) sizes+=(640x480) ;; esac
  for size in "${sizes[@]}"; do
    expect_exit 0 "$kind svg $size" -- "$BIN/emg-plot" "$kind" -q "${args[@]}" --size "$size" \
      --title "A title for $kind" -o "$out.$size.svg"
    svgs+=("$out.$size.svg")
  done
  case $i in 1 | 4 | 8) ;; *) continue ;; esac
  expect_exit 0 "$kind column png" -- "$BIN/emg-plot" "$kind" -q "${args[@]}" --size column \
    -o "$out.column.png"
  columns+=("$out.column.png")
  "$BIN/emg-plot" "$kind" -q "${args[@]}" --size column --title "A title for $kind" -o "$out.again.svg"
  if cmp -s "$out.column.svg" "$out.again.svg"; then pass; else fail "$kind: SVG differs between runs"; fi
  expect_exit 0 "$kind pdf" -- "$BIN/emg-plot" "$kind" -q "${args[@]}" -o "$out.pdf"
  if [ "$(head -c 5 "$out.pdf")" = "%PDF-" ] && [ "$(stat -c %s "$out.pdf")" -gt 2000 ]; then pass; else
    fail "$kind: $out.pdf is not a PDF with content"
  fi
done

check "screen PNGs" -- png 1280 720 "${pngs[@]}"
check "column PNGs" -- png 1050 780 "${columns[@]}"
check "SVG text" -- svg-text "${svgs[@]}"

# Events shaded where they are, on their channel only: a cramp on channel 1
# over 10-20 s and a clonic run on every channel over 30-34 s.
printf 'onset\tduration\tchannel\tlabel\n10\t10\tHid channel 1\tcramp\n30\t4\tn/a\tclonic\n' \
  >"$TMP/known.tsv"
"$BIN/emg-plot" signal -q "$S1" --events "$TMP/known.tsv" -o "$TMP/known.png" || fail "known events"
# The palette's colours (plot_palette.c): cramp D55E00, clonic 0072B2.
check "cramp shading" -- shading "$TMP/known.png" 0 49.2652 D55E00 0 10 20
check "clonic shading" -- shading "$TMP/known.png" 0 49.2652 0072B2 0 30 34 1 30 34
# The zoomed range (-f/-t) maps the same event to its new place.
"$BIN/emg-plot" signal -q "$S1" -f 5 -t 25 --events "$TMP/known.tsv" -o "$TMP/zoom.png" || fail "zoom"
check "zoomed cramp shading" -- shading "$TMP/zoom.png" 5 25 D55E00 0 10 20
# The checker sees shading that is not where it claims (it can fail).
if "$PY" "$CHECK" shading "$TMP/known.png" 0 49.2652 D55E00 0 25 35 >/dev/null 2>&1; then
  fail "plot_check.py accepted shading at the wrong place"
else pass; fi

# An hour of 16 channels (100 Hz here, to stay quick under the sanitizers;
# scripts/bench_plot.sh times the 2 kHz case): drawn from a few thousand
# points per channel whatever the length.
"$PY" - "$TMP/hour16.wav" <<'EOF'
import sys, wave
import numpy as np
fs, ch = 100, 16
rng = np.random.default_rng(7)
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(ch); w.setsampwidth(2); w.setframerate(fs)
    for minute in range(60):
        t = (minute * 60 + np.arange(60 * fs)) / fs
        x = rng.standard_normal((60 * fs, ch)) * 2000 * (1.2 + np.sin(2 * np.pi * t / 600))[:, None]
        w.writeframes(x.clip(-32767, 32767).astype("<i2").tobytes())
EOF
expect_exit 0 "hour of 16 channels" -- "$BIN/emg-plot" signal -q "$TMP/hour16.wav" -o "$TMP/hour16.svg"
check "hour of 16 channels text" -- svg-text "$TMP/hour16.svg"
if [ "$(stat -c %s "$TMP/hour16.svg")" -lt 6000000 ]; then pass; else
  fail "an hour of 16 channels gave a $(stat -c %s "$TMP/hour16.svg")-byte SVG: not decimated"
fi

# Errors: one line naming the problem, the documented exit code, no output.
expect_exit 1 "unknown kind" -- "$BIN/emg-plot" histogram "$S1" -o "$TMP/x.png"
expect_one_error_line histogram
expect_exit 1 "no output" -- "$BIN/emg-plot" signal "$S1"
expect_exit 1 "unknown extension" -- "$BIN/emg-plot" signal -q "$S1" -o "$TMP/x.gif"
expect_one_error_line x.gif
expect_exit 1 "bad size" -- "$BIN/emg-plot" signal "$S1" --size 10x10 -o "$TMP/x.png"
expect_one_error_line size
expect_exit 1 "two recordings" -- "$BIN/emg-plot" signal "$S1" "$FATIGUE" -o "$TMP/x.png"
expect_exit 2 "missing input" -- "$BIN/emg-plot" signal "$TMP/nope.wav" -o "$TMP/x.png"
expect_one_error_line nope.wav
expect_exit 3 "corrupt input" -- "$BIN/emg-plot" signal "$DATA/malformed/S1_EMG_bicepTricep9.wav" \
  -o "$TMP/x.png"
expect_one_error_line S1_EMG_bicepTricep9.wav
printf 'onset\tduration\tlabel\nsoon\t1\tcramp\n' >"$TMP/bad.tsv"
expect_exit 3 "bad event table" -- "$BIN/emg-plot" signal -q "$S1" --events "$TMP/bad.tsv" -o "$TMP/x.png"
expect_one_error_line bad.tsv
expect_exit 3 "not a confusion matrix" -- "$BIN/emg-plot" confusion "$TMP/fatigue.tsv" -o "$TMP/x.png"
expect_one_error_line fatigue.tsv
expect_exit 3 "gallery without events" -- "$BIN/emg-plot" gallery "$FATIGUE" -q -o "$TMP/x.png"
expect_exit 4 "unwritable output" -- "$BIN/emg-plot" signal -q "$S1" -o "$TMP/no/such/dir/x.png"
expect_one_error_line x.png
expect_exit 1 "output over the events table" -- "$BIN/emg-plot" signal "$S1" --events "$TMP/known.tsv" \
  -o "$TMP/known.tsv"
if [ ! -e "$TMP/x.png" ] && [ ! -e "$TMP/x.gif" ]; then pass; else fail "a failed run left an output"; fi
if ls -a "$TMP" | grep -q '\.tmp-'; then fail "temporary files left: $(ls -a "$TMP" | grep '\.tmp-')"; else pass; fi
# An existing figure is replaced whole, atomically.
cp "$TMP/known.png" "$TMP/replace.png"
"$BIN/emg-plot" signal -q "$FATIGUE" -o "$TMP/replace.png" || fail "replace"
if ! cmp -s "$TMP/known.png" "$TMP/replace.png"; then pass; else fail "replace.png was not replaced"; fi
finish
