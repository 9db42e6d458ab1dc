#!/usr/bin/env bash
# emg-synth: built-in scenarios, scenario files, every output format, the
# ground-truth table beside the recording, EDF+ annotations, determinism by
# seed, provenance, and the error scheme.
. "$(dirname "$0")/lib.sh"
SYN="$BIN/emg-synth"
SRC=${EMGKIT_SRC:?}

# --- help, list, usage errors
expect_exit 0 "help" -- "$SYN" --help
grep -q "^Usage: emg-synth" "$TMP/out" && pass || fail "help goes to stdout"
expect_exit 0 "list" -- "$SYN" --list
cut -d' ' -f1 "$TMP/out" >"$TMP/names"
[ "$(wc -l <"$TMP/names")" -ge 18 ] && pass || fail "--list should name at least 18 scenarios"
for want in rest voluntary fatigue tremor orthostatic-tremor cramp nocturnal-cramp fasciculation tonic dystonic \
            ischemic clonic myoclonic ataxic tetanic strain session noisy; do
  grep -qx "$want" "$TMP/names" && pass || fail "--list lacks $want"
done
expect_exit 0 "show" -- "$SYN" --show clonic
grep -q "clonic 2-15" "$TMP/out" && pass || fail "--show prints the scenario text"
expect_exit 1 "no output" -- "$SYN" --scenario rest
expect_exit 1 "unknown scenario" -- "$SYN" --scenario nosuch -o "$TMP/x.edf"
expect_one_error_line "nosuch"
expect_exit 1 "bad mains" -- "$SYN" --mains 55 -o "$TMP/x.edf"
expect_exit 1 "mains auto (nothing to detect in a simulation)" -- "$SYN" --mains auto -o "$TMP/x.edf"
expect_exit 1 "mains 0 (the old spelling of none)" -- "$SYN" --mains 0 -o "$TMP/x.edf"
expect_exit 1 "-s is --step elsewhere, not --scenario" -- "$SYN" -s rest -o "$TMP/x.edf"
expect_one_error_line "'-s'"
expect_exit 1 "--fs is the input rate elsewhere, not the simulated one" -- "$SYN" --fs 1000 -o "$TMP/x.edf"
expect_exit 1 "bad extension" -- "$SYN" --scenario rest -o "$TMP/x.xyz"
expect_exit 1 "too few channels" -- "$SYN" --scenario session --n-channels 2 -o "$TMP/x.edf"
[ -z "$(ls -A "$TMP" | grep '^x\.')" ] && pass || fail "usage errors left files: $(ls -A "$TMP")"

# --- a scenario file with a mistake: exit 3, the message names file and line
printf 'fs 2000\nchannel agonist A\nrest 2\nclonic 3 rte=5\n' >"$TMP/bad.scn"
expect_exit 3 "scenario syntax error" -- "$SYN" --scenario "$TMP/bad.scn" -o "$TMP/bad.edf"
expect_one_error_line "bad.scn:4"
[ ! -e "$TMP/bad.edf" ] && [ ! -e "$TMP/bad.events.tsv" ] && pass || fail "failed run left output"
printf 'channel agonist A\nrest 2\nischemic 5\n' >"$TMP/noforce.scn"
expect_exit 3 "ischemic without a force channel" -- "$SYN" --scenario "$TMP/noforce.scn" -o "$TMP/nf.edf"
expect_one_error_line "noforce.scn:3"
expect_exit 2 "missing scenario file" -- "$SYN" --scenario "$TMP/none/x.scn" -o "$TMP/nf.edf"

# --- every built-in scenario runs, cut to 20 s
while read -r name; do
  expect_exit 0 "scenario $name" -- "$SYN" --scenario "$name" --duration 20 --seed 3 -o "$TMP/b_$name.emg"
  [ -s "$TMP/b_$name.events.tsv" ] && pass || fail "$name: no event table"
done <"$TMP/names"

# --- example scenario files in the repository
for f in "$SRC"/datasets/scenarios/*.scn; do
  [ -e "$f" ] || continue
  b=$(basename "$f" .scn)
  expect_exit 0 "scenario file $b" -- "$SYN" --scenario "$f" --duration 30 -o "$TMP/f_$b.emg"
done

# --- determinism: same seed, byte-identical recording and table; another seed differs.
# The provenance holds the command line, so both runs use the same one in two directories.
mkdir -p "$TMP/r1" "$TMP/r2" "$TMP/r3"
for ext in edf emg flac hea; do
  (cd "$TMP/r1" && "$SYN" --scenario session --seed 7 --duration 40 -o "a.$ext")
  (cd "$TMP/r2" && "$SYN" --scenario session --seed 7 --duration 40 -o "a.$ext")
  (cd "$TMP/r3" && "$SYN" --scenario session --seed 8 --duration 40 -o "a.$ext")
  cmp -s "$TMP/r1/a.$ext" "$TMP/r2/a.$ext" && pass || fail "$ext: same seed, different bytes"
  cmp -s "$TMP/r1/a.events.tsv" "$TMP/r2/a.events.tsv" && pass || fail "$ext: same seed, different events"
  cmp -s "$TMP/r1/a.$ext" "$TMP/r3/a.$ext" && fail "$ext: seeds 7 and 8 gave the same bytes" || pass
done
# WAV float files carry a PEAK chunk with a timestamp (libsndfile) and HDF5 objects
# their modification times: compare the samples.
for ext in wav h5; do
  (cd "$TMP/r1" && "$SYN" --scenario session --seed 7 --duration 40 -o "a.$ext")
  (cd "$TMP/r2" && "$SYN" --scenario session --seed 7 --duration 40 -o "a.$ext")
  dump "$TMP/r1/a.$ext" >"$TMP/r1/$ext.tsv"
  dump "$TMP/r2/a.$ext" >"$TMP/r2/$ext.tsv"
  cmp -s "$TMP/r1/$ext.tsv" "$TMP/r2/$ext.tsv" && pass || fail "$ext: same seed, different samples"
done
# ... and through a pipe
(cd "$TMP/r1" && "$SYN" --scenario cramp --seed 7 --duration 30 -o - --events p.events.tsv >p.emg)
(cd "$TMP/r2" && "$SYN" --scenario cramp --seed 7 --duration 30 -o - --events p.events.tsv >p.emg)
cmp -s "$TMP/r1/p.emg" "$TMP/r2/p.emg" && pass || fail "pipe output differs between runs"
[ -s "$TMP/r1/p.events.tsv" ] && pass || fail "--events with -o - writes the table"

# --- the event table: BIDS columns, the label vocabulary, numbers where they belong
"$SYN" --scenario session --seed 4 -o "$TMP/s.edf"
head -1 "$TMP/s.events.tsv" | grep -q "^onset	duration	channel	label	kind	context" && pass ||
  fail "event table header: $(head -1 "$TMP/s.events.tsv")"
bad=$(awk -F'\t' 'NR > 1 && $4 !~ /^(cramp|fasciculation|tonic|dystonic|ischemic|clonic|myoclonic|ataxic|tetanic|strain|voluntary|tremor|rest|prodrome|artefact)$/' "$TMP/s.events.tsv")
[ -z "$bad" ] && pass || fail "labels outside the vocabulary: $bad"
for label in cramp fasciculation tonic dystonic ischemic clonic myoclonic ataxic tetanic strain voluntary tremor rest; do
  cut -f4 "$TMP/s.events.tsv" | grep -qx "$label" && pass || fail "session lacks $label"
done
# clonic rows: 3.8-8 Hz, bursts 50-100 ms
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $4 == "clonic" { n++; if ($c["rate_hz"] < 3.8 || $c["rate_hz"] > 8 || $c["burst_min_ms"] < 50 || $c["burst_max_ms"] > 100) bad++ }
  END { exit !(n > 0 && bad == 0) }' "$TMP/s.events.tsv" && pass || fail "clonic rows outside the criteria"

# --- the burst table: every fasciculation potential lasts 3-24 ms (needle)
"$SYN" --scenario fasciculation --seed 6 -o "$TMP/fa.emg" --bursts "$TMP/fa.bursts.tsv"
head -1 "$TMP/fa.bursts.tsv" | grep -q "^onset	duration	channel	label	event" && pass || fail "bursts header"
awk -F'\t' 'NR > 1 && $4 == "fasciculation" { n++; if ($2 < 0.003 || $2 > 0.024) bad++ }
  END { exit !(n >= 5 && bad == 0) }' "$TMP/fa.bursts.tsv" && pass || fail "fasciculation potentials outside 3-24 ms"
# tetany: multiplets of at least 4 spikes
"$SYN" --scenario tetanic --seed 6 -o "$TMP/te.emg" --bursts "$TMP/te.bursts.tsv"
awk -F'\t' 'NR > 1 && $4 == "tetanic" { n++; if ($7 < 4) bad++ } END { exit !(n >= 30 && bad == 0) }' \
  "$TMP/te.bursts.tsv" && pass || fail "tetanic multiplets of fewer than 4 spikes"

# --- EDF+ carries the events as annotations; the EDF header names the seed
"$BIN/emg-info" --annotations "$TMP/s.edf" >"$TMP/ann.tsv"
n_events=$(($(wc -l <"$TMP/s.events.tsv") - 1))
n_labels=$(awk -F'\t' 'NR > 1 && $5 !~ /^context /' "$TMP/ann.tsv" | wc -l)
[ "$n_labels" -eq "$n_events" ] && pass || fail "EDF+ has $n_labels label annotations for $n_events events"
grep -q "cramp" "$TMP/ann.tsv" && pass || fail "EDF+ annotations lack the cramp"
grep -qa "seed 4" "$TMP/s.edf" && pass || fail "EDF header should name the seed"
"$SYN" --scenario clonic --seed 5 -o "$TMP/prov.h5"
"$BIN/emg-info" --json "$TMP/prov.h5" | grep -q "seed=5" && pass || fail "provenance lacks the seed"

# --- options: duration, rate, channel count, mains
"$SYN" --scenario cramp --duration 12.5 --rate 1000 --n-channels 6 --mains 60 --snr 20 -o "$TMP/o.tsv"
"$BIN/emg-info" "$TMP/o.tsv" >"$TMP/info.tsv"
[ "$(($(wc -l <"$TMP/info.tsv") - 1))" -eq 6 ] && pass || fail "--n-channels 6: $(cat "$TMP/info.tsv")"
awk -F'\t' 'NR == 2 { exit !($5 == 1000 && $6 == 12500) }' "$TMP/info.tsv" && pass ||
  fail "--rate 1000 --duration 12.5: $(sed -n 2p "$TMP/info.tsv")"

# event onsets and durations are times (to the microsecond): --precision, the
# digits of measurements, leaves them alone
"$SYN" --scenario session --seed 4 --duration 60 -o "$TMP/p6.emg"
"$SYN" --scenario session --seed 4 --duration 60 --precision 3 -o "$TMP/p3.emg"
cmp -s <(cut -f1,2 "$TMP/p6.events.tsv") <(cut -f1,2 "$TMP/p3.events.tsv") && pass ||
  fail "--precision 3 changed onsets or durations: $(diff <(cut -f1,2 "$TMP/p6.events.tsv") <(cut -f1,2 "$TMP/p3.events.tsv") | head -4)"
expect_exit 0 "--mains none" -- "$SYN" --scenario rest --duration 5 --mains none -o "$TMP/nomains.edf"
# -o names the output explicitly: an existing recording is replaced
expect_exit 0 "replace with -o" -- "$SYN" --scenario rest --duration 5 --seed 2 -o "$TMP/nomains.edf"

# --- every writable format
for ext in edf bdf wav flac h5 hea csv tsv; do
  expect_exit 0 "write .$ext" -- "$SYN" --scenario clonic --duration 10 -o "$TMP/fmt.$ext"
  expect_exit 0 "read back .$ext" -- "$BIN/emg-info" "$TMP/fmt.$ext"
done

# --- an output that cannot be written: exit 4, no table left behind
expect_exit 4 "unwritable output" -- "$SYN" --scenario rest -o "$TMP/no/such/dir/x.edf"
[ ! -e "$TMP/no/such/dir/x.events.tsv" ] && pass || fail "event table left behind"

finish
