#!/bin/bash
# CLI tests for emg-features, emg-fatigue and emg-spectrum on the real recordings.
# Env: EMGKIT_BIN, EMGKIT_DATASETS, EMGKIT_TEST_TMP (set by CTest).
set -u
BIN=${EMGKIT_BIN:?}
DATA=${EMGKIT_DATASETS:?}
TMP=${EMGKIT_TEST_TMP:-/tmp/emgkit-test-features}
# start clean: a table left by an earlier run must not pass a check for one this run failed to write
rm -rf "$TMP" && mkdir -p "$TMP"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# awk prelude: every table starts with a file column; columns are looked up by name (c["mdf"], ...)
COLS='FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'

S8=$DATA/backyardbrains_wav/S8_EMG_bicep_sustained.wav
PLUX=$DATA/plux_opensignals/emg_fatigue.h5
BURSTS=$DATA/plux_opensignals/emg_bursts.h5
GRAB=$DATA/physionet_grabmyo/session1_participant1_gesture11_trial1.hea

# --help and usage errors
check "emg-features --help exits 0" sh -c "'$BIN/emg-features' --help >/dev/null"
"$BIN/emg-features" --features nosuch "$PLUX" >/dev/null 2>"$TMP/err"; rc=$?
check "unknown feature is a usage error (exit 1)" test "$rc" -eq 1
check "message names the feature" grep -q "nosuch" "$TMP/err"
"$BIN/emg-features" --welch 256:256 "$PLUX" >/dev/null 2>&1; rc=$?
check "overlap >= segment is a usage error" test "$rc" -eq 1
"$BIN/emg-features" "$DATA/malformed/S1_EMG_bicepTricep9.wav" >/dev/null 2>&1; rc=$?
check "unreadable input exits 2 or 3" test "$rc" -eq 2 -o "$rc" -eq 3
check "--list names fi_nsm5" sh -c "'$BIN/emg-features' --list | grep -q '^fi_nsm5'"

# emg-features: table shape on the PLUX recording (126.9 s at 1 kHz: 252 windows of 1 s every 0.5 s)
"$BIN/emg-features" -o "$TMP/plux.tsv" "$PLUX" 2>/dev/null
check "emg-features -o writes OUT.tsv" test -s "$TMP/plux.tsv"
check "header starts file onset duration channel" sh -c "head -1 '$TMP/plux.tsv' | grep -q '^file	onset	duration	channel	rms	mav'"
check "file column is the input as given" awk -F'\t' -v f="$PLUX" 'NR > 1 && $1 != f { bad = 1 } END { exit bad }' "$TMP/plux.tsv"
check "header ends with flags" sh -c "head -1 '$TMP/plux.tsv' | grep -q '	snr_db	flags$'"
rows=$(($(wc -l <"$TMP/plux.tsv") - 1))
check "252 windows (got $rows)" test "$rows" -eq 252
check "clipped windows flagged" awk -F'\t' "$COLS"' $c["flags"] ~ /clipped/ { n++ } END { exit !n }' "$TMP/plux.tsv"
# the 12-bit PLUX file clips at its ADC rails; the first window is rest
check "first window is rest" awk -F'\t' "$COLS"' FNR == 2 { exit !($c["flags"] ~ /rest/) }' "$TMP/plux.tsv"
# MDF in the physiological range for biceps (40-120 Hz) in active windows
awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)c[$i]=i; next} $NF=="ok"{ if ($c["mdf"]<40 || $c["mdf"]>120) bad++ ; n++ } END{exit !(n>150 && bad==0)}' "$TMP/plux.tsv"
check "active-window MDF within 40-120 Hz" test $? -eq 0

# HDF5 output: same numbers as the TSV
"$BIN/emg-features" --features rms,mdf -o "$TMP/feat.h5" "$PLUX" 2>/dev/null
check "HDF5 output written" test -s "$TMP/feat.h5"
"$BIN/emg-features" --features rms,mdf --precision 17 -o "$TMP/feat_h5ref.tsv" "$PLUX" 2>/dev/null
/usr/bin/python3 - "$TMP/feat.h5" "$TMP/feat_h5ref.tsv" "$PLUX" <<'PYEOF'
import sys, h5py, numpy as np
g = h5py.File(sys.argv[1], "r")["features"]
t = np.genfromtxt(sys.argv[2], delimiter="\t", names=True, dtype=None, encoding=None)
assert g.attrs["columns"] == "onset,duration,channel,rms,mdf,flags"
assert len(g["mdf"]) == len(t) == 252
# numpy's genfromtxt spells the leading "file" column "file_" (a reserved name)
assert t.dtype.names[0] in ("file", "file_") and (t[t.dtype.names[0]] == sys.argv[3]).all()
assert np.allclose(g["onset"][:], t["onset"], rtol=0, atol=1e-6)
assert np.allclose(g["mdf"][:], t["mdf"], rtol=1e-8) and np.allclose(g["rms"][:], t["rms"], rtol=1e-8)
assert (g["channel"][:] == 0).all() and g["channel_names"][0].decode() == "CH2"
PYEOF
check "HDF5 table equals the TSV" test $? -eq 0
check "no temporary file left" sh -c "! ls -a '$TMP' | grep -q '^\.feat.h5'"

# multi-rate EDF: the 1 Hz channels are left out with a warning, the 100 Hz ones analysed
"$BIN/emg-features" --features rms,mdf "$DATA/sleepedf_excerpt/short_psg.edf" >"$TMP/sleep.tsv" 2>"$TMP/sleep.err"
check "multi-rate EDF: exit 0" test $? -eq 0
check "multi-rate EDF: warns about the 1 Hz channels" grep -q "EMG submental left out" "$TMP/sleep.err"
check "multi-rate EDF: 3 channels x 599 windows" test "$(($(wc -l <"$TMP/sleep.tsv") - 1))" -eq 1797

# -j2 gives the same table as -j1 (32 GRABMyo channels)
"$BIN/emg-features" -j1 --features rms,wl,zc,mdf,mnf "$GRAB" >"$TMP/grab1.tsv" 2>/dev/null
"$BIN/emg-features" -j2 --features rms,wl,zc,mdf,mnf "$GRAB" >"$TMP/grab2.tsv" 2>/dev/null
check "-j2 output identical to -j1" cmp -s "$TMP/grab1.tsv" "$TMP/grab2.tsv"
check "32 channels x 9 windows" test "$(($(wc -l <"$TMP/grab1.tsv") - 1))" -eq 288

# stdin (pipe format) gives the same as the file
if "$BIN/emg-convert" "$PLUX" - 2>/dev/null | "$BIN/emg-features" --features rms,mdf - >"$TMP/pipe.tsv" 2>/dev/null; then
    "$BIN/emg-features" --features rms,mdf "$PLUX" >"$TMP/file.tsv" 2>/dev/null
    # the file column names the input as given: '-' for standard input, the path otherwise
    check "pipe input: file column is -" awk -F'\t' 'NR > 1 && $1 != "-" { bad = 1 } END { exit bad || NR < 2 }' "$TMP/pipe.tsv"
    check "pipe input equals file input" cmp -s <(cut -f2- "$TMP/pipe.tsv") <(cut -f2- "$TMP/file.tsv")
fi

# emg-fatigue: falling MDF with a CI that excludes zero (issue 3)
for f in "$S8" "$PLUX"; do
    name=$(basename "$f")
    "$BIN/emg-fatigue" "$f" >"$TMP/fat.tsv" 2>/dev/null
    check "$name: emg-fatigue exit 0" test $? -eq 0
    check "$name: header" sh -c "head -1 '$TMP/fat.tsv' | grep -q '^file	channel	contraction	onset	duration	feature	method	intercept	slope	ci_low	ci_high	r2	p_value	n_windows	change_pct_per_min'"
    # Every channel's MDF falls; the interval (n_eff inference: windows overlap) is below
    # zero for the channel with most active windows (S8's channel 1 has 14 windows, 7 s,
    # n_eff ~8: too few to tell; docs/methods/fatigue.md).
    awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)c[$i]=i; next}
        $c["feature"]=="mdf" { n++; if ($c["slope"]<0) good++
            if ($c["n_windows"]>most) { most=$c["n_windows"]; sig=($c["ci_high"]<0 && $c["p_value"]<0.01 && $c["inference"]=="n_eff") } }
        END { exit !(n>=1 && good==n && most>=10 && sig) }' "$TMP/fat.tsv"
    check "$name: every channel's MDF falls, 95% CI below zero on the main channel" test $? -eq 0
    awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)c[$i]=i; next}
        $c["feature"]=="fi_nsm5" { n++; if ($c["ci_low"]>0) good++ } END { exit !(n>=1 && good==n) }' "$TMP/fat.tsv"
    check "$name: FInsm5 rises" test $? -eq 0
    "$BIN/emg-fatigue" --robust "$f" >"$TMP/fat_ts.tsv" 2>/dev/null
    awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)c[$i]=i; next}
        $c["feature"]=="mdf" && $c["method"]=="theil-sen" && $c["n_windows"]>most { most=$c["n_windows"]; sig=($c["ci_high"]<0) }
        END { exit !(most>=10 && sig) }' "$TMP/fat_ts.tsv"
    check "$name: Theil-Sen MDF CI below zero on the main channel" test $? -eq 0
done
# PLUX: MDF falls from ~73 to ~57 Hz (datasets/README: ~70 to ~55) and JASA says fatigue
"$BIN/emg-fatigue" --jasa "$PLUX" >"$TMP/jasa.tsv" 2>/dev/null
awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)c[$i]=i; next} $c["feature"]=="mdf"{ f=$c["first_mean"]; l=$c["last_mean"]; j=$c["jasa"] }
    END { exit !(f>65 && f<80 && l>50 && l<62 && j=="fatigue") }' "$TMP/jasa.tsv"
check "PLUX: MDF first ~73 Hz, last ~57 Hz, JASA fatigue" test $? -eq 0

# per-contraction and given segments on the burst recording
"$BIN/emg-fatigue" --per-contraction --min-contraction 0.5 --max-gap 0.2 -w 0.5 -s 0.25 \
    --features rms,mdf "$BURSTS" >"$TMP/pc.tsv" 2>/dev/null
n=$(awk -F'\t' "$COLS"' $c["feature"]=="mdf"' "$TMP/pc.tsv" | wc -l)
check "per-contraction: several contractions ($n)" test "$n" -ge 5
printf 'onset\tduration\tlabel\n1\t10\tfirst\n15\t10\tsecond\n' >"$TMP/segs.tsv"
"$BIN/emg-fatigue" --segments "$TMP/segs.tsv" --features mdf "$PLUX" >"$TMP/seg.tsv" 2>/dev/null
check "--segments: one row per segment" test "$(awk -F'\t' 'NR>1' "$TMP/seg.tsv" | wc -l)" -eq 2
contr=$(awk -F'\t' "$COLS"' { printf "%s ", $c["contraction"] }' "$TMP/seg.tsv")
check "--segments: contraction numbers ($contr)" test "$contr" = "1 2 "
printf 'onset\tduration\tchannel\n1\t10\tCH2\n15\t10\tother\n30\t10\tn/a\n' >"$TMP/segs_ch.tsv"
"$BIN/emg-fatigue" --segments "$TMP/segs_ch.tsv" --features mdf "$PLUX" >"$TMP/seg_ch.tsv" 2>/dev/null
contr=$(awk -F'\t' "$COLS"' { printf "%s ", $c["contraction"] }' "$TMP/seg_ch.tsv")
check "--segments: rows for other channels skipped ($contr)" test "$contr" = "1 3 "

# emg-spectrum: PSD integrates to the variance of the signal (Parseval, rectangular periodogram)
if [ -x "$BIN/emg-spectrum" ]; then
    "$BIN/emg-spectrum" --no-filter "$PLUX" >"$TMP/psd.tsv" 2>/dev/null
    check "emg-spectrum PSD table" sh -c "head -1 '$TMP/psd.tsv' | grep -q '^file	channel	frequency	psd$'"
    check "emg-spectrum 129 bins" test "$(($(wc -l <"$TMP/psd.tsv") - 1))" -eq 129
    "$BIN/emg-spectrum" --stft --welch 256:128 "$PLUX" >"$TMP/stft.tsv" 2>/dev/null
    check "emg-spectrum --stft table" sh -c "head -1 '$TMP/stft.tsv' | grep -q '^file	channel	time	frequency	psd$'"
    "$BIN/emg-spectrum" -o "$TMP/psd.h5" "$PLUX" 2>/dev/null
    /usr/bin/python3 -c "import h5py,sys; g=h5py.File(sys.argv[1])['spectrum']; assert len(g['psd'])==129 and g.attrs['columns']=='channel,frequency,psd'" "$TMP/psd.h5"
    check "emg-spectrum HDF5 output" test $? -eq 0
fi

echo "$fails failure(s)"
exit $((fails > 0))
