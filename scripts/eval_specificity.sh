#!/usr/bin/env bash
# eval_specificity.sh: specificity of emg-label on real recordings (issue 17).
#   scripts/eval_specificity.sh [run|manifest] [-b BUILD/bin] [-o OUTDIR] [-j N]
# Rest stretches of every real recording in datasets/ (frozen manifest
# tests/data/specificity_stretches.tsv) labelled in the rest and sleep contexts,
# voluntary stretches in the movement context, long real rest assembled from the
# rest stretches, and the two cases named in issue 17.  See eval_specificity.py.
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] || set -- run "$@"
exec /usr/bin/python3 "$here/eval_specificity.py" "$@"
