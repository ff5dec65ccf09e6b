#!/usr/bin/env bash
# safetensors reading and writing: tests/unit/test_safetensors.c (round trips, the writer's
# refusals, hostile files), then, when a python3 with numpy is at hand, the other side of the
# format: numpy reads a file the C writer wrote and writes one the C reader reads (the
# format parsed by hand with struct + json, so the check does not trust our own code).
. "$(dirname "$0")/../lib/suite.sh" st-py
need_prog test_safetensors test_safetensors || suite_end
prog=$TEST_BIN/test_safetensors
"$prog" 2>&1
rc=$?
[ "$rc" = 0 ] || fail test_safetensors "test_safetensors exited with status $rc"

# ---- interop with numpy ------------------------------------------------------------------
py=
for c in python3 /usr/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import numpy' >/dev/null 2>&1; then
        py=$c
        break
    fi
done
if [ -z "$py" ]; then
    skip interop "no python3 with numpy (apt-get install python3-numpy)"
    suite_end
fi
dir=$tmp/st-py
mkdir -p "$dir"

# numpy reads what the C writer wrote.
if ! "$prog" --write "$dir/c.safetensors" 2>"$dir/err"; then
    fail c-writes "$(tr '\n' '|' <"$dir/err")"
else
    out=$("$py" - "$dir/c.safetensors" 2>&1 <<'EOF'
import json, struct, sys
import numpy as np

raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert n % 8 == 0, "header length %d not a multiple of 8" % n
text = raw[8:8 + n].decode("utf-8")
assert text.rstrip(" ").endswith("}"), "header not a JSON object padded with spaces"
assert len(text) - len(text.rstrip(" ")) < 8, "more than 7 padding spaces"
hdr = json.loads(text)
data = raw[8 + n:]
meta = hdr.pop("__metadata__", None)
assert meta == {"format": "pt", "note": "rnnc \u2713"}, "metadata %r" % meta
names = sorted(hdr)
assert list(hdr) == names, "header keys not sorted: %r" % list(hdr)
pos = 0
for k in names:
    b, e = hdr[k]["data_offsets"]
    assert b == pos, "%s: begins at %d, expected %d" % (k, b, pos)
    pos = e
assert pos == len(data), "data is %d bytes, tensors cover %d" % (len(data), pos)
dt = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}
got = {}
for k, v in hdr.items():
    assert set(v) == {"dtype", "shape", "data_offsets"}, "%s: keys %r" % (k, sorted(v))
    b, e = v["data_offsets"]
    got[k] = np.frombuffer(data[b:e], dtype=dt[v["dtype"]]).reshape(v["shape"])
want = {
    "W": (np.arange(6, dtype=np.float32) * np.float32(0.5) - np.float32(1)).reshape(2, 3),
    "b": np.array([1.0 / 3.0, -2.5, 1e-300], dtype="<f8"),
    "n": np.array([-1, 0, 7, 2**31 - 1], dtype="<i4"),
    "q": np.array([-9007199254740993, 2**40], dtype="<i8"),
    "s": np.array(3.25, dtype="<f4"),
    "z": np.zeros((0, 5), dtype="<f8"),
}
assert sorted(got) == sorted(want), "tensors %r" % sorted(got)
for k in want:
    g, w = got[k], want[k]
    assert g.dtype == w.dtype and g.shape == w.shape, "%s: %s %r, expected %s %r" % (
        k, g.dtype, g.shape, w.dtype, w.shape)
    assert g.tobytes() == w.tobytes(), "%s: values %r, expected %r" % (k, g, w)
print("fine")
EOF
)
    if [ "$out" = fine ]; then
        ok numpy-reads-c-file
    else
        fail numpy-reads-c-file "$(printf '%s' "$out" | tr '\n' '|')"
    fi
fi

# The C reader reads what numpy wrote: data not in name order, an unaligned I64, a header
# with spaces, \u escapes and keys in no particular order, padded as the Python library pads.
out=$("$py" - "$dir/py.safetensors" 2>&1 <<'EOF'
import json, struct, sys
import numpy as np

tensors = [
    ("zeta", "F64", np.array([[1.5, -2.25], [0.0, 1e10]], dtype="<f8")),
    ("mid", "F32", np.array(0.1, dtype="<f4")),
    ("alpha", "I64", np.array([-(2**62), 0, 2**53 + 1], dtype="<i8")),
    ("nothing", "F32", np.zeros((0,), dtype="<f4")),
    ("ids", "I32", np.array([1, -2, 3, -4], dtype="<i4").reshape(2, 1, 2)),
]
hdr = {"__metadata__": {"b": "2", "a": "x y", "c": "\u2713"}}
data = b""
for name, dt, a in tensors:
    hdr[name] = {"dtype": dt, "shape": list(a.shape),
                 "data_offsets": [len(data), len(data) + a.nbytes]}
    data += a.tobytes()
text = json.dumps(hdr).encode("utf-8")
text += b" " * (-len(text) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(text)) + text + data)
print("fine")
EOF
)
if [ "$out" != fine ]; then
    fail c-reads-numpy-file "python: $(printf '%s' "$out" | tr '\n' '|')"
else
    want='tensor zeta F64 [2, 2] nbytes=32: 1.5 -2.25 0 10000000000
tensor mid F32 [] nbytes=4: 0.100000001
tensor alpha I64 [3] nbytes=24: -4611686018427387904 0 9007199254740993
tensor nothing F32 [0] nbytes=0:
tensor ids I32 [2, 1, 2] nbytes=16: 1 -2 3 -4
meta b = 2
meta a = x y
meta c = ✓'
    got=$("$prog" --read "$dir/py.safetensors" 2>&1)
    if [ "$got" = "$want" ]; then
        ok c-reads-numpy-file
    else
        fail c-reads-numpy-file "got '$(printf '%s' "$got" | tr '\n' '|')', expected '$(printf '%s' "$want" | tr '\n' '|')'"
    fi
fi
suite_end
