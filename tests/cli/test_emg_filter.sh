#!/usr/bin/env bash
# emg-filter on the real recordings: usage errors, operation order, pipes,
# multi-rate files, provenance, mains auto-detection, and flat memory with
# zero-phase streaming.  Numerical agreement with SciPy is checked in
# tests/py/test_filter_scipy.py and the filter designs in tests/unit/test_filter.c.
. "$(dirname "$0")/lib.sh"

F="$BIN/emg-filter"
healthy="$DATA/physionet_emgdb/emg_healthy.hea"
grab="$DATA/physionet_grabmyo/session1_participant1_gesture11_trial1.hea"
psg="$DATA/sleepedf_excerpt/short_psg.edf"

# --- help and usage errors (exit 1, one line naming the problem)
expect_exit 0 "help" -- "$F" --help
grep -q "^Usage: emg-filter" "$TMP/out" && pass || fail "help goes to stdout"
grep -q -- "--default-chain" "$TMP/out" && pass || fail "help lists --default-chain"
expect_exit 1 "no operation" -- "$F" "$healthy" "$TMP/x.h5"
grep -q "no operation" "$TMP/err" && pass || fail "says no operation: $(cat "$TMP/err")"
expect_exit 1 "bad --mains" -- "$F" --mains 55 "$healthy" "$TMP/x.h5"
grep -q "50, 60, auto or none" "$TMP/err" && pass || fail "bad --mains message: $(cat "$TMP/err")"
expect_exit 1 "--notch is now --mains" -- "$F" --notch 50 "$healthy" "$TMP/x.h5"
expect_exit 1 "one input: no --inputs" -- "$F" --rectify --inputs /dev/null "$healthy" "$TMP/x.h5"
expect_one_error_line "takes one input"
expect_exit 1 "two inputs" -- "$F" --rectify "$healthy" "$grab" "$TMP/x.h5"
expect_exit 1 "OUT and -o" -- "$F" --rectify -o "$TMP/x.h5" "$healthy" "$TMP/y.h5"
expect_exit 1 "bad band" -- "$F" --bandpass 450:20 "$healthy" "$TMP/x.h5"
expect_exit 1 "band not LO:HI" -- "$F" --bandpass 20 "$healthy" "$TMP/x.h5"
expect_exit 1 "unknown envelope" -- "$F" --envelope hilbert "$healthy" "$TMP/x.h5"
expect_exit 1 "order out of range" -- "$F" --order 0 --lowpass 10 "$healthy" "$TMP/x.h5"
# A corner above Nyquist names the channel and its rate; nothing is left behind.
expect_exit 1 "corner above Nyquist" -- "$F" --lowpass 3000 "$healthy" "$TMP/above.h5"
grep -q "channel 1 'EMG' (4000 Hz)" "$TMP/err" && grep -q "3000" "$TMP/err" && pass ||
  fail "Nyquist message: $(cat "$TMP/err")"
[ ! -e "$TMP/above.h5" ] && pass || fail "failed run left an output"
# An existing recording is replaced only when named with -o (a glob's last file is no output).
"$BIN/emg-convert" "$healthy" "$TMP/exists.h5"
expect_exit 1 "OUT exists and holds a recording" -- "$F" --rectify "$healthy" "$TMP/exists.h5"
grep -q -- "-o .*exists.h5" "$TMP/err" && pass || fail "should suggest -o: $(cat "$TMP/err")"
expect_exit 0 "-o replaces it" -- "$F" --rectify "$healthy" -o "$TMP/exists.h5"
expect_exit 1 "output is the input" -- "$F" --rectify "$healthy" "$healthy"
expect_exit 2 "missing input" -- "$F" --rectify "$TMP/nope.hea" "$TMP/x.h5"
expect_exit 3 "malformed input" -- "$F" --rectify "$DATA/malformed/S3_EMG.wav" "$TMP/x.h5"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "S3_EMG.wav" "$TMP/err" && pass ||
  fail "malformed input: one line naming the file: $(cat "$TMP/err")"
# Binary output is refused on a terminal.
if script -qec "$F --rectify $healthy" /dev/null >"$TMP/tty.txt" 2>&1; then
  fail "pipe output to a terminal should be refused"
else
  grep -qi "terminal" "$TMP/tty.txt" && pass || fail "terminal refusal message: $(cat "$TMP/tty.txt")"
fi

# --- length, provenance, float output
expect_exit 0 "default chain" -- "$F" --default-chain --mains 50 "$healthy" "$TMP/chain.h5"
"$BIN/emg-info" --json "$TMP/chain.h5" >"$TMP/info.json"
/usr/bin/python3 - "$TMP/info.json" <<'PY' && pass || fail "output keeps length, gains provenance"
import json, sys
d = json.load(open(sys.argv[1]))[0]
ch = d["channels"][0]
assert ch["samples"] == 50860 and ch["fs"] == 4000, ch
assert any(p.startswith("emg-filter --default-chain --mains 50") for p in d["provenance"]), d["provenance"]
PY

# --- annotations pass through (they travel with the blocks, later when the
# zero-phase look-ahead holds samples back); a time range keeps its length.
"$BIN/emg-convert" "$healthy" "$TMP/annot.h5"
/usr/bin/python3 - "$TMP/annot.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    g = f["recording/annotations"]
    for k in ("onset", "duration", "channel", "text"):
        del g[k]
    g["onset"] = np.array([1.0, 7.5, 12.0])
    g["duration"] = np.array([0.5, 0.0, 0.2])
    g["channel"] = np.array([-1, 0, 0], dtype=np.int32)
    g.create_dataset("text", data=["rest", "contraction", "end"], dtype=h5py.string_dtype())
PY
expect_exit 0 "annotations" -- "$F" --default-chain --mains 50 "$TMP/annot.h5" "$TMP/annot-out.h5"
/usr/bin/python3 - "$TMP/annot-out.h5" <<'PY' && pass || fail "annotations kept"
import sys, h5py
g = h5py.File(sys.argv[1])["recording/annotations"]
texts = [t.decode() if isinstance(t, bytes) else t for t in g["text"][...]]
assert texts == ["rest", "contraction", "end"], texts
assert list(g["onset"][...]) == [1.0, 7.5, 12.0]
PY
expect_exit 0 "time range" -- "$F" -f 2 -t 7 --default-chain --mains 50 "$healthy" "$TMP/range.h5"
"$BIN/emg-info" "$TMP/range.h5" | awk -F'\t' 'NR == 2 { exit !($6 == 20000) }' && pass || fail "2-7 s at 4 kHz is 20000 samples"

# --- operations apply in command-line order: rectify-then-high-pass is not
# high-pass-then-rectify (the former has negative values, the latter none).
"$F" --rectify --highpass 20 "$healthy" --to tsv - >"$TMP/rh.tsv" 2>/dev/null
"$F" --highpass 20 --rectify "$healthy" --to tsv - >"$TMP/hr.tsv" 2>/dev/null
awk -F'\t' 'NR > 1 && $2 < 0 { neg = 1 } END { exit !neg }' "$TMP/rh.tsv" && pass || fail "rectify then high-pass should go negative"
awk -F'\t' 'NR > 1 && $2 < 0 { neg = 1 } END { exit neg }' "$TMP/hr.tsv" && pass || fail "high-pass then rectify must be >= 0"

# --- a pipeline of two emg-filter runs equals one run with both operations
"$F" --highpass 20 "$healthy" - | "$F" --mains 60 --envelope rms - "$TMP/piped.h5" && pass || fail "pipeline"
"$F" --highpass 20 --mains 60 --envelope rms "$healthy" "$TMP/direct.h5" && pass || fail "direct"
dump "$TMP/piped.h5" >"$TMP/piped.tsv"
dump "$TMP/direct.h5" >"$TMP/direct.tsv"
expect_close "$TMP/piped.tsv" "$TMP/direct.tsv" 1e-12 "pipeline vs one run"

# --- multi-rate EDF: every channel keeps its rate and length, and is filtered
# exactly as when selected alone.
expect_exit 0 "multi-rate" -- "$F" --highpass 0.3 --order 2 "$psg" "$TMP/psg.h5"
"$BIN/emg-info" "$TMP/psg.h5" >"$TMP/psg.info"
awk -F'\t' 'NR > 1 { n[$5 "/" $6]++ } END { exit !(n["100/30000"] == 3 && n["1/300"] == 4) }' "$TMP/psg.info" && pass ||
  fail "multi-rate lengths: $(cat "$TMP/psg.info")"
"$F" -c 5 --highpass 0.3 --order 2 "$psg" "$TMP/psg5.h5"
dump -c 5 "$TMP/psg.h5" >"$TMP/all5.tsv"
dump "$TMP/psg5.h5" >"$TMP/only5.tsv"
expect_close "$TMP/all5.tsv" "$TMP/only5.tsv" 0 "channel filtered alone vs with others"
# The default chain at 100 Hz is 20-45 Hz; at 1 Hz nothing applies, and the tool says so.
expect_exit 0 "default chain, multi-rate" -- "$F" --default-chain "$psg" "$TMP/psg-default.h5"
[ "$(grep -c "does not apply at this rate" "$TMP/err")" -eq 4 ] && pass || fail "1 Hz channels: warning expected: $(cat "$TMP/err")"

# --- threads over channels change nothing in the result
"$F" -j 1 --default-chain --mains 60 -c 1-6 "$grab" --to tsv - >"$TMP/j1.tsv" 2>/dev/null
"$F" -j 3 --default-chain --mains 60 -c 1-6 "$grab" --to tsv - >"$TMP/j3.tsv" 2>/dev/null
expect_close "$TMP/j1.tsv" "$TMP/j3.tsv" 0 "-j 3 vs -j 1"
# -j 2 reads ahead and writes on a thread: the same pipe stream (but for the
# provenance line), from a pipe stream too, and a truncated input still fails
# with one error line and no output
"$F" -j 1 --default-chain --mains 60 -c 1-6 "$grab" - 2>/dev/null | grep -av '^provenance' >"$TMP/j1.emg"
"$F" -j 2 --default-chain --mains 60 -c 1-6 "$grab" - 2>/dev/null | grep -av '^provenance' >"$TMP/j2.emg"
cmp -s "$TMP/j1.emg" "$TMP/j2.emg" && pass || fail "-j 2 pipe stream differs from -j 1"
"$BIN/emg-convert" -c 1-6 "$grab" - 2>/dev/null | "$F" -j 2 --highpass 20 - --to tsv - >"$TMP/j2-piped.tsv" 2>/dev/null
"$F" -j 1 --highpass 20 -c 1-6 "$grab" --to tsv - >"$TMP/j1-direct.tsv" 2>/dev/null
expect_close "$TMP/j1-direct.tsv" "$TMP/j2-piped.tsv" 0 "-j 2 from a pipe vs -j 1"
"$BIN/emg-convert" -c 1-6 "$grab" - 2>/dev/null | head -c 200000 >"$TMP/cut.emg"
expect_exit 3 "-j 2, truncated input" -- "$F" -j 2 --highpass 20 "$TMP/cut.emg" "$TMP/cut-out.h5"
expect_one_error_line "cut.emg"
[ ! -e "$TMP/cut-out.h5" ] && pass || fail "-j 2, truncated input: output left behind"

# --- mains: GRABMyo was notched at 60 Hz by its amplifier, so auto finds no
# mains there; with 50 Hz hum added (emg-filter itself cannot add it, so
# Python writes the file) auto finds 50 Hz and removes it.
# None of the real recordings has hum at 50 or 60 Hz: auto must not invent it.
for f in "$grab" "$healthy" "$DATA/physionet_emgdb/emg_myopathy.hea" \
         "$DATA/backyardbrains_wav/S8_EMG_bicep_sustained.wav" "$DATA/plux_opensignals/emg_fatigue.h5"; do
  "$F" -v --mains auto "$f" --to pipe /dev/null 2>"$TMP/auto.err"
  if grep -q "mains [56]0 Hz" "$TMP/auto.err"; then fail "$(basename "$f"): false mains detection: $(grep mains "$TMP/auto.err" | head -3)"; else pass; fi
done
/usr/bin/python3 - "$TMP/hum.wav" <<'PY'
import sys, numpy as np, scipy.io.wavfile as wf
fs = 2000; t = np.arange(20 * fs) / fs
rng = np.random.default_rng(1)
x = 0.05 * rng.standard_normal(t.size) + 0.1 * np.sin(2 * np.pi * 50 * t) + 0.03 * np.sin(2 * np.pi * 150 * t)
wf.write(sys.argv[1], fs, np.stack([x, x[::-1]], axis=1).astype(np.float32))
PY
expect_exit 0 "auto notch on hum" -- "$F" -v --mains auto "$TMP/hum.wav" "$TMP/hum.h5"
[ "$(grep -c "mains 50 Hz" "$TMP/err")" -eq 2 ] && pass || fail "hum: 50 Hz expected: $(cat "$TMP/err")"
# --mains none is also the default chain's: no notch at all
expect_exit 0 "default chain without notch" -- "$F" -v --default-chain --mains none "$TMP/hum.wav" "$TMP/nonotch.h5"
grep -q "bandpass" "$TMP/err" && ! grep -q "notch" "$TMP/err" && pass ||
  fail "--mains none: the chain should have no notch: $(cat "$TMP/err")"
/usr/bin/python3 - "$TMP/hum.h5" <<'PY' && pass || fail "auto notch removes the 50 Hz hum by > 40 dB"
import sys, h5py, numpy as np
y = h5py.File(sys.argv[1])["recording/channels/0"][...][4000:-4000]
t = np.arange(y.size) / 2000.0
amp = abs(np.dot(y, np.exp(-2j * np.pi * 50 * t))) * 2 / y.size
assert 20 * np.log10(amp / 0.1) < -40, amp
PY

# --- zero-phase streams: peak memory for 30 min is within a few MB of 3 min
# (by 3 min every buffer has reached its bound: segment + look-ahead)
/usr/bin/python3 - "$TMP" <<'PY'
import sys, numpy as np, scipy.io.wavfile as wf
fs = 2000
rng = np.random.default_rng(2)
for name, minutes in (("short", 3), ("long", 30)):
    x = (0.1 * rng.standard_normal((minutes * 60 * fs, 4))).astype(np.float32)
    wf.write("%s/%s.wav" % (sys.argv[1], name), fs, x)
PY
# (ASan's quarantine would hold freed blocks and mask what the tool uses.)
for n in short long; do
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
  /usr/bin/time -f %M -o "$TMP/$n.rss" "$F" --default-chain --mains 50 --envelope rms "$TMP/$n.wav" - >/dev/null 2>"$TMP/$n.err" || fail "$n run: $(cat "$TMP/$n.err")"
done
short=$(tail -1 "$TMP/short.rss"); long=$(tail -1 "$TMP/long.rss")
echo "peak RSS: 3 min $short kB, 30 min $long kB"
[ $((long - short)) -lt 8192 ] && pass || fail "memory grows with length: $short kB vs $long kB"
rm -f "$TMP/short.wav" "$TMP/long.wav"

finish
