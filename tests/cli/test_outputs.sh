#!/usr/bin/env bash
# Outputs, temporary files and signals (docs/fault-handling.md): a tool that is
# killed, or whose disk fills, leaves neither a temporary file (beside the
# output or in $TMPDIR) nor a half-written output; overwriting keeps the old
# file's permissions and writes through a symbolic link.
. "$(dirname "$0")/lib.sh"

REC="$DATA/physionet_emgdb/emg_healthy.hea"
export TMPDIR="$TMP/tmpdir"
OUT="$TMP/out-dir"
mkdir -p "$TMPDIR" "$OUT"

# no_leftovers WHAT: nothing temporary in the output folder or in $TMPDIR.
no_leftovers() {
  local left
  left=$(ls -A "$OUT" "$TMPDIR" | grep -E '\.tmp-|emgkit-' || true)
  [ -z "$left" ] && pass || fail "$1 left temporary files: $left"
  rm -rf "${OUT:?}"/.[!.]* "${TMPDIR:?}"/* 2>/dev/null || true
}

# stderr_names_no_temporary: messages name the user's files, never ours.
stderr_names_no_temporary() {
  if grep -qE '\.tmp-[0-9]|emgkit-(out|stdin|channel)' "$TMP/err"; then
    fail "message names a temporary file: $(cat "$TMP/err")"
  else pass; fi
}

# killed_by SIG STATUS WHAT: exit status 128+signal.
killed_by() {
  [ "$2" -eq $((128 + $(kill -l "$1"))) ] && pass || fail "$3: exit $2, expected killed by SIG$1"
}

# --- signals while writing: HDF5, WFDB and CSV (EDF and FLAC spool first)
for ext in h5 hea csv edf flac; do
  for sig in INT TERM HUP; do
    rm -f "$OUT"/long.*
    # Background jobs of a script start with SIGINT ignored: give it back.
    env --default-signal=INT "$BIN/emg-synth" --duration 3000 -o "$OUT/long.$ext" 2>"$TMP/err" &
    pid=$!
    for _ in $(seq 50); do  # until the temporary output exists (at most 5 s)
      ls -A "$OUT" | grep -q "\.tmp-" && break
      sleep 0.1
    done
    kill -"$sig" "$pid"
    wait "$pid"
    killed_by "$sig" $? "emg-synth .$ext on SIG$sig"
    [ ! -e "$OUT/long.$ext" ] && pass || fail "SIG$sig left a .$ext output"
    no_leftovers "emg-synth .$ext on SIG$sig"
  done
done

# An existing output is untouched by a killed run.
echo "old" >"$OUT/keep.csv"
"$BIN/emg-synth" --duration 3000 -o "$OUT/keep.csv" 2>/dev/null &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
[ "$(cat "$OUT/keep.csv")" = old ] && pass || fail "a killed run changed the old output"
rm -f "$OUT"/keep.*
no_leftovers "killed over an existing output"

# A pipe that stays open: the input is spooled to $TMPDIR, then the tool is killed.
head -c 3000 "$DATA/sleepedf_excerpt/"*.edf 2>/dev/null | head -c 0  # (warm the cache)
edf=$(ls "$DATA/sleepedf_excerpt/"*.edf | head -n 1)
(cat "$edf"; sleep 5) | "$BIN/emg-convert" - "$OUT/spooled.h5" 2>/dev/null &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
killed_by TERM $? "emg-convert spooling stdin"
no_leftovers "killed while spooling standard input"

# A pipe stream stopped by SIGTERM while writing HDF5.
"$BIN/emg-convert" "$REC" "$TMP/rec.emg"
(cat "$TMP/rec.emg" | head -c 4000; sleep 5) | "$BIN/emg-convert" - "$OUT/piped.h5" 2>/dev/null &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
killed_by TERM $? "emg-convert from an open pipe"
[ ! -e "$OUT/piped.h5" ] && pass || fail "a killed pipe conversion left its output"
no_leftovers "killed while reading a pipe stream"

# Seekable formats to stdout are written to $TMPDIR first: a reader that goes
# away (SIGPIPE) leaves nothing there, nor does a normal run.
"$BIN/emg-synth" --duration 300 -o - --to h5 --events "$OUT/ev.tsv" | head -c 10 >/dev/null
killed_by PIPE "${PIPESTATUS[0]}" "emg-synth to a closed pipe"
rm -f "$OUT/ev.tsv"
no_leftovers "HDF5 to a closed pipe"
"$BIN/emg-convert" "$REC" - --to edf >/dev/null
no_leftovers "EDF to standard output"

# Standard input in another format is spooled; a reader that stops early
# (emg-info reads only the header) leaves nothing.
expect_exit 0 "emg-info on a spooled EDF" -- "$BIN/emg-info" - <"$edf"
no_leftovers "emg-info on standard input"
expect_exit 3 "corrupt EDF on standard input" -- "$BIN/emg-convert" - "$OUT/x.h5" \
  <"$DATA/malformed/bids_emg_Multimodal_short_header.edf"
expect_one_error_line "-:"
stderr_names_no_temporary
no_leftovers "a corrupt spooled input"

# --- overwriting keeps the old file's permissions, and its symbolic link
for ext in csv h5 edf; do
  "$BIN/emg-convert" "$REC" "$OUT/perm.$ext"
  chmod 600 "$OUT/perm.$ext"
  "$BIN/emg-convert" -t 1 "$REC" "$OUT/perm.$ext"
  [ "$(stat -c %a "$OUT/perm.$ext")" = 600 ] && pass || fail ".$ext: overwriting changed mode 600 to $(stat -c %a "$OUT/perm.$ext")"
  chmod 640 "$OUT/perm.$ext"
  "$BIN/emg-convert" -t 2 "$REC" "$OUT/perm.$ext"
  [ "$(stat -c %a "$OUT/perm.$ext")" = 640 ] && pass || fail ".$ext: overwriting changed mode 640"
done
"$BIN/emg-detect" "$REC" -o "$OUT/perm.tsv"
chmod 604 "$OUT/perm.tsv"
"$BIN/emg-detect" "$REC" -o "$OUT/perm.tsv"
[ "$(stat -c %a "$OUT/perm.tsv")" = 604 ] && pass || fail "text output (cli.c): mode 604 became $(stat -c %a "$OUT/perm.tsv")"
if [ "$(id -u)" -eq 0 ]; then
  chown 1234:5678 "$OUT/perm.csv"
  "$BIN/emg-convert" -t 1 "$REC" "$OUT/perm.csv"
  [ "$(stat -c %u:%g "$OUT/perm.csv")" = 1234:5678 ] && pass || fail "owner not kept: $(stat -c %u:%g "$OUT/perm.csv")"
fi
rm -f "$OUT"/perm.*

mkdir -p "$OUT/real"
for ext in csv h5 hea tsv; do
  rm -f "$OUT/real/target.$ext" "$OUT/link.$ext"
  ln -s real/target.$ext "$OUT/link.$ext"
  if [ $ext = tsv ]; then
    "$BIN/emg-detect" "$REC" -o "$OUT/link.$ext"
  else
    "$BIN/emg-convert" -t 1 "$REC" "$OUT/link.$ext"
  fi
  [ -L "$OUT/link.$ext" ] && pass || fail ".$ext: the symbolic link was replaced by a file"
  [ -s "$OUT/real/target.$ext" ] && pass || fail ".$ext: nothing written through the link"
  ls -A "$OUT/real" | grep -q '\.tmp-' && fail ".$ext: temporary file left beside the target" || pass
done
rm -rf "$OUT/real" "$OUT"/link.* "$OUT"/*.dat
no_leftovers "writing through links"

# --- a full disk: exit 4, one line naming the user's output, nothing left
FULL="$TMP/full"
mkdir -p "$FULL"
if mount -t tmpfs -o size=300k tmpfs "$FULL" 2>/dev/null; then
  check_full() {  # WHAT OUTPUT -- COMMAND...
    local what=$1 out=$2
    shift 3
    expect_exit 4 "$what on a full disk" -- "$@"
    expect_one_error_line "$out"
    stderr_names_no_temporary
    [ -z "$(ls -A "$FULL")" ] && pass || fail "$what on a full disk left: $(ls -A "$FULL")"
    rm -rf "${FULL:?}"/* "${FULL:?}"/.[!.]* 2>/dev/null || true
  }
  for ext in h5 hea csv edf wav; do
    check_full "emg-synth .$ext" "$FULL/big." -- "$BIN/emg-synth" --duration 100 -o "$FULL/big.$ext" --events "$TMP/ev.tsv"
  done
  for step in 0.002 0.003 0.004 0.005; do
    check_full "emg-features .h5 (step $step)" "$FULL/feat.h5" -- "$BIN/emg-features" -s $step -o "$FULL/feat.h5" "$REC"
  done
  check_full "emg-spectrum .h5" "$FULL/spec.h5" -- "$BIN/emg-spectrum" --stft -o "$FULL/spec.h5" "$REC"
  check_full "emg-features .tsv" "$FULL/f.tsv" -- "$BIN/emg-features" -s 0.002 -o "$FULL/f.tsv" "$REC"
  # $TMPDIR full: the stdin spool and the stdout copy name "-".
  export TMPDIR="$FULL"
  big=$(ls -S "$DATA"/backyardbrains_wav/*.wav | head -n 1)
  expect_exit 4 "stdin spool on a full \$TMPDIR" -- "$BIN/emg-info" - <"$big"
  expect_one_error_line "-:"
  stderr_names_no_temporary
  expect_exit 4 "stdout copy on a full \$TMPDIR" -- sh -c "'$BIN/emg-synth' --duration 100 -o - --to h5 --events '$TMP/ev.tsv' >/dev/null"
  expect_one_error_line "-:"
  stderr_names_no_temporary
  expect_exit 4 "window results on a full \$TMPDIR" -- "$BIN/emg-features" -s 0.001 -o "$OUT/w.tsv" "$REC"
  expect_one_error_line "emg_healthy.hea"
  stderr_names_no_temporary
  [ -z "$(ls -A "$FULL")" ] && pass || fail "full \$TMPDIR left: $(ls -A "$FULL")"
  export TMPDIR="$TMP/tmpdir"
  umount "$FULL"
else
  echo "skipped the full-disk checks: cannot mount a small tmpfs here (needs root)" >&2
fi

# --- a file-size limit (ulimit -f): like a full disk, exit 4 and nothing left;
# closing a dropped HDF5 output still fails there, and must not crash at exit.
LIMITED="$TMP/limited"
mkdir -p "$LIMITED"
for ext in h5 edf wav; do
  expect_exit 4 "emg-synth .$ext over ulimit -f" -- \
    sh -c "ulimit -f 200; exec '$BIN/emg-synth' --duration 100 -o '$LIMITED/big.$ext'"
  expect_one_error_line "big.$ext"
done
expect_exit 4 "emg-convert .h5 over ulimit -f" -- \
  sh -c "ulimit -f 200; exec '$BIN/emg-convert' '$REC' -o '$LIMITED/conv.h5'"
[ -z "$(ls -A "$LIMITED")" ] && pass || fail "ulimit -f left: $(ls -A "$LIMITED")"

finish
