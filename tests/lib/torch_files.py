#!/usr/bin/env python3
"""Safetensors files written from real PyTorch modules, for tests/suites/import.sh.

    python3 torch_files.py DIR            # write DIR/CASE.safetensors for every case below
    python3 torch_files.py outputs FILE TEXT [ACT]
        # the probabilities of FILE's model (nn.RNN with the nonlinearity ACT, else rnnc.act's,
        # else tanh, + nn.Linear) on TEXT, in double, one step a line

Each case is a module's state_dict() as PyTorch builds it (nn.RNN, nn.LSTM, nn.GRU,
nn.Linear, .half(), .bfloat16(), .double()), saved under the names `rnnc import` reads
("rnn." and "fc."); the safetensors file is written by hand (an 8-byte little-endian header
length, a JSON header, the raw little-endian tensors), so the `safetensors` package is not
needed.  Weights are random (seeded), not trained: the tests compare outputs, not quality.
"""
import json
import struct
import sys

import torch
from torch import nn

VOCAB = [ord(c) for c in sorted(set("the quick brown fox jumps over the lazy dog"))]
HIDDEN = 6

ST_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16"}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:          # numpy has no bfloat16: its bits as int16
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def state(rnn, fc, cast=None):
    out = {"rnn." + k: v for k, v in rnn.state_dict().items()}
    out.update({"fc." + k: v for k, v in fc.state_dict().items()})
    if cast is not None:
        out = {k: v.to(cast) for k, v in out.items()}
    return out


def vocab_meta(**more):
    meta = {"rnnc.vocab": ",".join(str(s) for s in VOCAB), "rnnc.chars": "bytes"}
    meta.update(more)
    return meta


def write_all(d):
    torch.manual_seed(5)
    V, H = len(VOCAB), HIDDEN
    fc = nn.Linear(H, V)
    cases = {
        # what rnnc imports: one layer, one direction, tanh (the default) or relu
        "plain": (state(nn.RNN(V, H), fc), vocab_meta()),
        "relu": (state(nn.RNN(V, H, nonlinearity="relu"), fc), vocab_meta(**{"rnnc.act": "relu"})),
        "relu_nometa": (state(nn.RNN(V, H, nonlinearity="relu"), fc), vocab_meta()),
        "no_bias": (state(nn.RNN(V, H, bias=False), nn.Linear(H, V, bias=False)), vocab_meta()),
        # the gated cells (rnnc's --cell lstm, --cell gru)
        "lstm": (state(nn.LSTM(V, H), fc), vocab_meta()),
        "gru": (state(nn.GRU(V, H), fc), vocab_meta()),
        # what it must refuse (or import only part of, with --ignore-unknown)
        "two_layers": (state(nn.RNN(V, H, num_layers=2), fc), vocab_meta()),
        "bidirectional": (state(nn.RNN(V, H, bidirectional=True), nn.Linear(2 * H, V)), vocab_meta()),
        "two_layers_lstm": (state(nn.LSTM(V, H, num_layers=2), fc), vocab_meta()),
        "extra_tensor": (dict(state(nn.RNN(V, H), fc), **{"emb.weight": torch.zeros(3, 2)}), vocab_meta()),
        "unknown_meta": (state(nn.RNN(V, H), fc), vocab_meta(**{"rnnc.tokenizer": "bpe"})),
        "act_conflict": (state(nn.RNN(V, H), fc),
                         vocab_meta(**{"rnnc.act": "relu", "rnnc.spec": "vocab=%d hidden=%d tau=8 batch=1 act=tanh "
                                       "loss=nll dtype=float name=rnn" % (V, H)})),
        # no vocabulary: a dense model with squared error
        "no_vocab": (state(nn.RNN(3, H), nn.Linear(H, 2)), {}),
        # precisions
        "float16": (state(nn.RNN(V, H), fc, torch.float16), vocab_meta()),
        "bfloat16": (state(nn.RNN(V, H), fc, torch.bfloat16), vocab_meta()),
        "float64": (state(nn.RNN(V, H), fc, torch.float64), vocab_meta()),
    }
    for name, (tensors, meta) in cases.items():
        write_safetensors(f"{d}/{name}.safetensors", tensors, meta)
    print(" ".join(sorted(cases)))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    kinds = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16}
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        buf = bytearray(raw[8 + n + begin:8 + n + end])
        dt = kinds[info["dtype"]]
        if dt == torch.bfloat16:
            t = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(buf, dtype=dt)
        out[name] = t.reshape(info["shape"]).double()
    return out, meta


def outputs(path, text, act=None):
    tensors, meta = read_safetensors(path)
    vocab = [int(s) for s in meta["rnnc.vocab"].split(",")]
    w = tensors["rnn.weight_ih_l0"]
    H, V = tensors["fc.weight"].shape[1], len(vocab)
    bias = "rnn.bias_ih_l0" in tensors
    # the cell from the gates stacked in weight_ih_l0: H rows nn.RNN, 3 H nn.GRU, 4 H nn.LSTM
    if w.shape[0] == 4 * H:
        rnn = nn.LSTM(V, H, bias=bias).double()
    elif w.shape[0] == 3 * H:
        rnn = nn.GRU(V, H, bias=bias).double()
    else:
        rnn = nn.RNN(V, H, nonlinearity=act or meta.get("rnnc.act", "tanh"), bias=bias).double()
    fc = nn.Linear(H, V, bias="fc.bias" in tensors).double()
    rnn.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("rnn.")})
    fc.load_state_dict({k[3:]: v for k, v in tensors.items() if k.startswith("fc.")})
    index = {s: i for i, s in enumerate(vocab)}
    ids = torch.tensor([index[b] for b in text.encode()])
    with torch.no_grad():
        out, _ = rnn(nn.functional.one_hot(ids, V).double().unsqueeze(1))
        probs = torch.softmax(fc(out).squeeze(1), dim=1)
    for row in probs:
        print(" ".join(f"{v:.9e}" for v in row.tolist()))


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 1:
        write_all(a[0])
    elif len(a) in (3, 4) and a[0] == "outputs":
        outputs(*a[1:])
    else:
        sys.exit(__doc__)
