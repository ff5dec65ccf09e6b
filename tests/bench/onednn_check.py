#!/usr/bin/python3
"""tests/bench/onednn_check.py: between `rnnc check --dump` and `onednn --check` (onednn.c).

    onednn_check.py split DUMP.safetensors DIR
        Writes the problem of the dump (a float, one-hot, tanh, nll model) as raw little-endian
        files DIR/{x,y}.bin (int32 [tau, B]) and DIR/{U,W,V,b,c,h0}.bin (float32, row-major as
        in the dump), and prints "VOCAB HIDDEN TAU BATCH" for onednn's command line.
    onednn_check.py compare DUMP.safetensors DIR RTOL
        Compares DIR/grad_{U,W,V,b,c,h0}.bin (float32) and DIR/loss.bin (float64), written by
        onednn --check, with the dump's gradients and loss.  Per tensor the error is
        max |onednn - rnnc| / max(1e-3, max |rnnc|) (normwise, as tests/test_dump.c); prints
        every tensor's error on one line and exits 0 when all are <= RTOL, else 1.

A safetensors file is an 8-byte little-endian header length, a JSON header (name -> dtype,
shape, data_offsets into the data that follows; "__metadata__": strings) and the raw data;
it is parsed here with json and numpy alone.  Bad input: a message on stderr and exit 2.
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32}
PROBLEM = ("x", "y", "U", "W", "V", "b", "c", "h0")
GRADS = ("grad_U", "grad_W", "grad_V", "grad_b", "grad_c", "grad_h0")
FLOOR = 1e-3


def fail(msg):
    sys.stderr.write("onednn_check.py: %s\n" % msg)
    sys.exit(2)


def read_safetensors(path):
    """(tensors by name as numpy arrays, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail("%s: too short for a safetensors file" % path)
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        fail("%s: header length %d beyond the file" % (path, n))
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        if t["dtype"] not in DTYPES:
            fail("%s: tensor %s has dtype %s" % (path, name, t["dtype"]))
        lo, hi = t["data_offsets"]
        arr = np.frombuffer(data[lo:hi], dtype=np.dtype(DTYPES[t["dtype"]]).newbyteorder("<"))
        tensors[name] = arr.reshape(t["shape"])
    return tensors, meta


def split(dump, out):
    tensors, meta = read_safetensors(dump)
    spec = meta.get("spec", "").split()
    for want in ("act=tanh", "loss=nll", "dtype=float"):
        if want not in spec:
            fail("%s: spec '%s' is not a float tanh nll model" % (dump, meta.get("spec", "")))
    if meta.get("layout") != "row-major":
        fail("%s: layout '%s', expected row-major" % (dump, meta.get("layout")))
    for name in PROBLEM:
        if name not in tensors:
            fail("%s: no tensor %s" % (dump, name))
        want = np.int32 if name in ("x", "y") else np.float32
        if tensors[name].dtype != want:
            fail("%s: %s is %s, expected %s" % (dump, name, tensors[name].dtype, np.dtype(want)))
        tensors[name].astype(np.dtype(want).newbyteorder("<")).tofile(os.path.join(out, name + ".bin"))
    hidden, vocab = tensors["U"].shape
    tau, batch = tensors["x"].shape
    if tensors["V"].shape != (vocab, hidden):
        fail("%s: V is %s, expected [%d, %d] (a one-hot model with vocab outputs)" % (dump, tensors["V"].shape, vocab, hidden))
    print(vocab, hidden, tau, batch)


def compare(dump, out, rtol):
    tensors, _ = read_safetensors(dump)
    errors, ok = [], True
    for name in GRADS + ("loss",):
        ref = tensors[name].astype(np.float64).ravel()
        path = os.path.join(out, name + ".bin")
        got = np.fromfile(path, dtype="<f8" if name == "loss" else "<f4").astype(np.float64)
        if got.size != ref.size:
            fail("%s: %d values, expected %d" % (path, got.size, ref.size))
        err = float(np.max(np.abs(got - ref)) / max(FLOOR, float(np.max(np.abs(ref)))))
        ok = ok and err <= rtol      # a NaN fails too
        errors.append("%s %.2e" % (name, err))
    print("%s (max |onednn - rnnc| / max(%g, max |rnnc|); tolerance %g)" % (", ".join(errors), FLOOR, rtol))
    return 0 if ok else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    fail("usage: onednn_check.py split DUMP DIR | compare DUMP DIR RTOL")


if __name__ == "__main__":
    sys.exit(main())
