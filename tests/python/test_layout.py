"""test_layout.py: the ctypes structs of python/emgkit/_capi.py against C.

A C program generated from _capi.STRUCTS prints sizeof of every struct and
offsetof of every field as the compiler lays them out from the installed
headers; each must equal what ctypes computes.  (The labeller's thresholds
are placed by the library's own offsets, emg_label_params(), so only the
fields after them are named here.)  Needs EMGKIT_CC and EMGKIT_INCLUDE
(set by ctest)."""
import ctypes
import os
import subprocess

from emgkit import _capi

C_NAMES = {"from_": "from", "def_": "def"}


def layout_program():
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "emgkit/emgkit.h"',
             'int main(void)', '{']
    for cname, struct in _capi.STRUCTS.items():
        lines.append('    printf("%s sizeof %%zu\\n", sizeof(%s));' % (cname, cname))
        names = [f[0] for f in struct._fields_]
        if struct is _capi.LabelOptions:
            names = names[names.index("band_low"):]
        for name in names:
            lines.append('    printf("%s %s %%zu\\n", offsetof(%s, %s));'
                         % (cname, name, cname, C_NAMES.get(name, name)))
    lines += ['    return 0;', '}']
    return "\n".join(lines) + "\n"


def expected():
    rows = []
    for cname, struct in _capi.STRUCTS.items():
        rows.append("%s sizeof %d" % (cname, ctypes.sizeof(struct)))
        names = [f[0] for f in struct._fields_]
        if struct is _capi.LabelOptions:
            names = names[names.index("band_low"):]
        rows += ["%s %s %d" % (cname, n, getattr(struct, n).offset) for n in names]
    return rows


def test_ctypes_layout_matches_c(tmp_path):
    src, exe = tmp_path / "layout.c", tmp_path / "layout"
    src.write_text(layout_program())
    include = os.environ["EMGKIT_INCLUDE"].split(os.pathsep)
    subprocess.run([os.environ.get("EMGKIT_CC", "cc"), *("-I" + d for d in include), str(src),
                    "-o", str(exe)], check=True)
    got = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split("\n")
    assert [line for line in got if line] == expected()
