#!/usr/bin/env python3
"""Train a character-level nn.LSTM or nn.GRU + nn.Linear in PyTorch, save it as safetensors with
the names `rnnc import` reads, and print a saved model's outputs (also one written by
`rnnc export`) for comparison.

    python3 gated_to_rnnc.py save lstm|gru MODEL.safetensors [--steps N] [--hidden H] [--seed S]
    python3 gated_to_rnnc.py outputs MODEL.safetensors TEXT   # probabilities, one step a line

Then, in the rnnc tree:
    ./rnnc import MODEL.safetensors -o model.ckpt      # the cell is read from the shapes
    ./rnnc sample model.ckpt -n 200
    ./rnnc embed model.ckpt -o mymodel --name charnn

The tensors are nn.LSTM's / nn.GRU's own (weight_ih_l0 [G H, V], weight_hh_l0 [G H, H],
bias_ih_l0 and bias_hh_l0 [G H], gates stacked i f g o / r z n) and nn.Linear's, under the
prefixes "rnn." and "fc.": rnnc uses PyTorch's formulation and gate order, so nothing is
reordered.  Needs only torch (Debian: python3-torch); the safetensors file is written by hand.
"""
import json
import struct
import sys

import torch
from torch import nn


class CharGated(nn.Module):
    """h(t) from nn.LSTM or nn.GRU, p(t) = softmax(V h(t) + c): the model rnnc --cell implements."""

    def __init__(self, cell, vocab, hidden):
        super().__init__()
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(vocab, hidden)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, onehot):
        out, _ = self.rnn(onehot)
        return self.fc(out)


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().tobytes()
        shape = list(tensors[name].shape)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
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
        dtype = {"F32": torch.float32, "F64": torch.float64}[info["dtype"]]
        buf = bytearray(raw[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=dtype).reshape(info["shape"]).double()
    return out, meta


def save(cell, path, steps, hidden, seed):
    torch.manual_seed(seed)
    with open(__file__, "rb") as f:
        text = f.read()
    vocab = sorted(set(text))
    index = {s: i for i, s in enumerate(vocab)}
    ids = torch.tensor([index[s] for s in text])
    model = CharGated(cell, len(vocab), hidden)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    tau = 25
    for step in range(steps):
        p = (step * tau) % (len(ids) - tau - 1)
        x = nn.functional.one_hot(ids[p:p + tau], len(vocab)).float().unsqueeze(1)
        loss = nn.functional.cross_entropy(model(x).squeeze(1), ids[p + 1:p + tau + 1], reduction="sum")
        opt.zero_grad()
        loss.backward()
        opt.step()
    state = {"rnn." + k: v for k, v in model.rnn.state_dict().items()}
    state.update({"fc." + k: v for k, v in model.fc.state_dict().items()})
    meta = {"rnnc.vocab": ",".join(str(s) for s in vocab), "rnnc.chars": "bytes"}
    write_safetensors(path, state, meta)
    print(f"wrote {path}: {cell}, vocab {len(vocab)}, hidden {hidden}, final loss {loss.item() / tau:.3f} per char")


def outputs(path, text):
    """Per step of TEXT (bytes of the vocabulary), the softmax probabilities, in double."""
    tensors, meta = read_safetensors(path)
    vocab = [int(s) for s in meta["rnnc.vocab"].split(",")]
    gh, hidden = tensors["rnn.weight_hh_l0"].shape
    cell = {4: "lstm", 3: "gru"}[gh // hidden]
    model = CharGated(cell, len(vocab), hidden).double()
    model.rnn.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("rnn.")})
    model.fc.load_state_dict({k[3:]: v for k, v in tensors.items() if k.startswith("fc.")})
    index = {s: i for i, s in enumerate(vocab)}
    ids = torch.tensor([index[b] for b in text.encode()])
    with torch.no_grad():
        probs = torch.softmax(model(nn.functional.one_hot(ids, len(vocab)).double().unsqueeze(1)).squeeze(1), dim=1)
    for row in probs:
        print(" ".join(f"{v:.9e}" for v in row.tolist()))


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "save" and args[1] in ("lstm", "gru"):
        opts = dict(zip(args[3::2], args[4::2]))
        save(args[1], args[2], int(opts.get("--steps", 200)), int(opts.get("--hidden", 32)),
             int(opts.get("--seed", 1)))
    elif len(args) == 3 and args[0] == "outputs":
        outputs(args[1], args[2])
    else:
        sys.exit(__doc__)
