#!/usr/bin/env python3
"""tests/lib/ckpt_craft.py IN OUT EDIT...: rewrite fields of the rnnc checkpoint IN and write
it to OUT with the total length and the CRC-32 recomputed (zlib.crc32), so the checksum is
valid and only the loader's checks of meaning can refuse the file.  The layout is the one
runtime/formats/ckpt.c documents (version 3, 2 or 1, written back as it was read; a spec
with cell=lstm carries the cell state c after h and fb in versions 2 and 3).
EDITs (applied in order):

  param=I:V  opt=I:V  h=I:V   element I of the weights / optimiser state / carried hidden
                               states (a real: nan, inf, -inf or a number)
  fb=I:V                      element I of the carried fed-back outputs fb(tau) (version 2
                               and 3, output recurrence)
  c=I:V                       element I of the LSTM's carried cell states c(tau) (cell=lstm)
  h0=I:V  h0opt=I:V           element I of a learned h(0) / its optimiser state
  vocab=I:S                   vocabulary symbol I (a number)
  pos=B:P  record=B:R         column B's position / record
  step=N seed=N rng=N datalen=N datahash=N reserved=N optim=N mode=N   integer fields
  sched=N records=N hasend=N endsym=N drawn=N   version 2's integer fields
  lr=V beta1=V beta2=V eps=V wd=V clip=V clipnorm=V gradscale=V smooth=V last=V   reals
  schedk=V schedend=V         the schedule's reals
  seqcol=TEXT                 the sequence column's name (\0 in TEXT is a NUL byte)
  imported=TEXT               version 3's imported file name (\0 a NUL byte, \n a newline)
  spec=TEXT                   the spec text (sizes are not adjusted; \0 in TEXT is a NUL byte)
  trailing=N                  append N zero bytes before the CRC

Exit status 0, or 2 with a message for a bad argument or a file that is not a checkpoint."""
import struct
import sys
import zlib

HP = ["lr", "beta1", "beta2", "eps", "wd", "clip", "clipnorm", "gradscale"]


def parse(data):
    if data[:8] != b"RNNCCKPT":
        sys.exit("ckpt_craft: not an rnnc checkpoint")
    c = {}
    o = 8
    c["version"], c["reserved"] = struct.unpack_from("<II", data, o)
    o += 16
    (sl,) = struct.unpack_from("<I", data, o)
    o += 4
    c["spec"] = data[o:o + sl].decode()
    o += sl
    c["mode"], vs = struct.unpack_from("<IQ", data, o)
    o += 12
    c["vocab"] = list(struct.unpack_from("<%dI" % vs, data, o))
    o += 4 * vs
    (c["optim"],) = struct.unpack_from("<I", data, o)
    o += 4
    c["hp"] = list(struct.unpack_from("<8d", data, o))
    o += 64
    (c["step"], c["seed"], c["rng"], c["smooth"], c["last"], c["datalen"],
     c["datahash"]) = struct.unpack_from("<QQQddQQ", data, o)
    o += 56
    kv = dict(t.split("=", 1) for t in c["spec"].split())
    batch, hidden = int(kv["batch"]), int(kv["hidden"])
    c["real"] = "d" if kv["dtype"] == "double" else "f"
    rs = 8 if c["real"] == "d" else 4
    c["pos"] = list(struct.unpack_from("<%dQ" % batch, data, o))
    o += 8 * batch
    c["learnh0"] = 0
    if c["version"] >= 2:
        c["sched"], c["schedk"], c["schedend"], c["records"], cl = struct.unpack_from("<IddII", data, o)
        o += 28
        c["seqcol"] = data[o:o + cl]
        o += cl
        c["hasend"], c["endsym"], c["drawn"] = struct.unpack_from("<IIQ", data, o)
        o += 16
        c["record"] = list(struct.unpack_from("<%dQ" % batch, data, o))
        o += 8 * batch
        (c["learnh0"],) = struct.unpack_from("<I", data, o)
        o += 4
    if c["version"] >= 3:
        (il,) = struct.unpack_from("<I", data, o)
        o += 4
        c["imported"] = data[o:o + il]
        o += il
    out = int(kv.get("vocab", kv.get("out", 0)))
    has_r = kv.get("recurrence", "hidden") in ("output", "both") and c["version"] >= 2
    hb = batch * hidden * rs
    fbb = batch * out * rs if has_r else 0
    cb = hb if kv.get("cell") == "lstm" and c["version"] >= 2 else 0
    h0b = 3 * hidden * rs if c["learnh0"] else 0
    rest = len(data) - 4 - o
    pb = (rest - hb - fbb - cb - h0b) // 3
    if pb * 3 + hb + fbb + cb + h0b != rest or pb % rs:
        sys.exit("ckpt_craft: sizes do not add up")
    for name, nb in (("param", pb), ("opt", 2 * pb), ("h", hb), ("fb", fbb), ("c", cb),
                     ("h0", h0b // 3), ("h0opt", 2 * h0b // 3)):
        c[name] = list(struct.unpack_from("<%d%s" % (nb // rs, c["real"]), data, o))
        o += nb
    c["trailing"] = 0
    return c


def build(c):
    spec = c["spec"].encode()
    b = bytearray(b"RNNCCKPT")
    b += struct.pack("<IIQ", c["version"], c["reserved"], 0)
    b += struct.pack("<I", len(spec)) + spec
    b += struct.pack("<IQ", c["mode"], len(c["vocab"]))
    b += struct.pack("<%dI" % len(c["vocab"]), *c["vocab"])
    b += struct.pack("<I", c["optim"]) + struct.pack("<8d", *c["hp"])
    b += struct.pack("<QQQddQQ", c["step"], c["seed"], c["rng"], c["smooth"], c["last"],
                     c["datalen"], c["datahash"])
    b += struct.pack("<%dQ" % len(c["pos"]), *c["pos"])
    if c["version"] >= 2:
        b += struct.pack("<IddII", c["sched"], c["schedk"], c["schedend"], c["records"], len(c["seqcol"]))
        b += c["seqcol"]
        b += struct.pack("<IIQ", c["hasend"], c["endsym"], c["drawn"])
        b += struct.pack("<%dQ" % len(c["record"]), *c["record"])
        b += struct.pack("<I", c["learnh0"])
    if c["version"] >= 3:
        b += struct.pack("<I", len(c["imported"])) + c["imported"]
    for name in ("param", "opt", "h", "fb", "c", "h0", "h0opt"):
        b += struct.pack("<%d%s" % (len(c[name]), c["real"]), *c[name])
    b += bytes(c["trailing"])
    struct.pack_into("<Q", b, 16, len(b) + 4)
    b += struct.pack("<I", zlib.crc32(bytes(b)) & 0xFFFFFFFF)
    return bytes(b)


def edit(c, e):
    key, _, val = e.partition("=")
    reals = ("param", "opt", "h", "fb", "c", "h0", "h0opt")
    if key in reals + ("vocab", "pos", "record"):
        i, _, v = val.partition(":")
        c[key][int(i)] = float(v) if key in reals else int(v)
    elif key in HP:
        c["hp"][HP.index(key)] = float(val)
    elif key in ("smooth", "last", "schedk", "schedend"):
        c[key] = float(val)
    elif key == "seqcol":
        c["seqcol"] = val.replace("\\0", "\0").encode()
    elif key == "imported":
        c["imported"] = val.replace("\\0", "\0").replace("\\n", "\n").encode()
    elif key == "spec":
        c["spec"] = val.replace("\\0", "\0")
    elif key in ("step", "seed", "rng", "datalen", "datahash", "reserved", "optim", "mode",
                 "trailing", "sched", "records", "hasend", "endsym", "drawn"):
        c[key] = int(val)
    else:
        sys.stderr.write("ckpt_craft: unknown edit '%s'\n" % e)
        sys.exit(2)


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    with open(sys.argv[1], "rb") as f:
        c = parse(f.read())
    for e in sys.argv[3:]:
        edit(c, e)
    with open(sys.argv[2], "wb") as f:
        f.write(build(c))


if __name__ == "__main__":
    main()
