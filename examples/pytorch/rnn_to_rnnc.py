#!/usr/bin/env python3
"""Train a character-level nn.RNN + nn.Linear in PyTorch, save it as safetensors with the
names `rnnc import` reads, and (optionally) print its outputs for comparison.

    python3 rnn_to_rnnc.py save MODEL.safetensors [--steps N] [--hidden H] [--seed S]
    python3 rnn_to_rnnc.py outputs MODEL.safetensors TEXT   # probabilities, one step a line

Then, in the rnnc tree:
    ./rnnc import MODEL.safetensors -o model.ckpt
    ./rnnc sample model.ckpt -n 200
    ./rnnc embed model.ckpt -o mymodel --name charnn

Needs only torch (Debian: python3-torch); the safetensors file is written by hand below
(an 8-byte little-endian header length, a JSON header, then the raw tensors), so the
`safetensors` package is not required.
"""
import json
import struct
import sys

import torch
from torch import nn


class CharRNN(nn.Module):
    """The model rnnc implements: h(t) = tanh(U x(t) + W h(t-1) + b), p(t) = softmax(V h(t) + c)."""

    def __init__(self, vocab, hidden):
        super().__init__()
        self.rnn = nn.RNN(vocab, hidden, nonlinearity="tanh")
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, onehot, h0=None):
        out, h = self.rnn(onehot, h0)
        return self.fc(out), h


def corpus():
    # The script's own text: no downloads.
    with open(__file__, "rb") as f:
        return f.read()


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        buf = raw[8 + n + begin:8 + n + end]
        assert info["dtype"] == "F32"
        out[name] = torch.frombuffer(bytearray(buf), dtype=torch.float32).reshape(info["shape"])
    return out, meta


def save(path, steps=300, hidden=32, seed=1):
    torch.manual_seed(seed)
    text = corpus()
    vocab = sorted(set(text))
    index = {s: i for i, s in enumerate(vocab)}
    ids = torch.tensor([index[s] for s in text])
    model = CharRNN(len(vocab), hidden)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.1)
    tau = 25
    for step in range(steps):
        p = (step * tau) % (len(ids) - tau - 1)
        x = nn.functional.one_hot(ids[p:p + tau], len(vocab)).float().unsqueeze(1)
        y = ids[p + 1:p + tau + 1]
        logits, _ = model(x)
        loss = nn.functional.cross_entropy(logits.squeeze(1), y, reduction="sum")
        opt.zero_grad()
        loss.backward()
        opt.step()
    state = {"rnn." + k: v for k, v in model.rnn.state_dict().items()}
    state.update({"fc." + k: v for k, v in model.fc.state_dict().items()})
    meta = {"rnnc.vocab": ",".join(str(s) for s in vocab), "rnnc.chars": "bytes", "rnnc.act": "tanh"}
    write_safetensors(path, state, meta)
    print(f"wrote {path}: vocab {len(vocab)}, hidden {hidden}, final loss {loss.item() / tau:.3f} per char")


def outputs(path, text):
    tensors, meta = read_safetensors(path)
    vocab = [int(s) for s in meta["rnnc.vocab"].split(",")]
    hidden, nvocab = tensors["rnn.weight_hh_l0"].shape[0], len(vocab)
    model = CharRNN(nvocab, hidden)
    model.rnn.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("rnn.")})
    model.fc.load_state_dict({k[3:]: v for k, v in tensors.items() if k.startswith("fc.")})
    index = {s: i for i, s in enumerate(vocab)}
    ids = torch.tensor([index[b] for b in text.encode()])
    with torch.no_grad():
        logits, _ = model(nn.functional.one_hot(ids, nvocab).float().unsqueeze(1))
        probs = torch.softmax(logits.squeeze(1).double(), dim=1)
    for row in probs:
        print(" ".join(f"{v:.9e}" for v in row.tolist()))


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "save":
        opts = dict(zip(args[2::2], args[3::2]))
        save(args[1], int(opts.get("--steps", 300)), int(opts.get("--hidden", 32)), int(opts.get("--seed", 1)))
    elif len(args) == 3 and args[0] == "outputs":
        outputs(args[1], args[2])
    else:
        sys.exit(__doc__)
