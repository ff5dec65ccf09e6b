#!/usr/bin/python3
"""tests/bench/torch_bench.py: the PyTorch peer of `rnnc bench`.

    torch_bench.py VOCAB HIDDEN TAU BATCH [REPS [SECONDS [CELL]]]

nn.RNN (tanh), or with CELL gru / lstm nn.GRU / nn.LSTM, + nn.Linear, cross-entropy with reduction='sum', clip_grad_value_(5) and
Adagrad (lr 0.1) on one thread, fp32, one-hot inputs of batch BATCH (built once, outside
the timing), h(0) = 0.  Times zero_grad + forward + loss + backward + clip + step, one
step at a time (time.perf_counter_ns, a monotonic clock), until both REPS (20) steps and
SECONDS (1.0) have passed.  The last line is "median_us=N min_us=N max_us=N gflops=N" with
rnnc bench's FLOP count (2 per multiply-add of the matrix products; one-hot input free; the
gated cells' W is G H x H, G = 3 for the GRU and 4 for the LSTM).
"""
import sys
import time

import torch


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: torch_bench.py VOCAB HIDDEN TAU BATCH [REPS [SECONDS [CELL]]]")
    V, H, T, B = (int(a) for a in sys.argv[1:5])
    reps = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
    cell = sys.argv[7] if len(sys.argv) > 7 else "rnn"
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    torch.set_num_threads(1)
    torch.manual_seed(1)
    if cell == "rnn":
        rnn = torch.nn.RNN(V, H, nonlinearity="tanh")   # input (T, B, V)
    else:
        rnn = (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(V, H)
    fc = torch.nn.Linear(H, V)
    with torch.no_grad():                               # min-char-rnn's initialisation
        for p in list(rnn.parameters()) + list(fc.parameters()):
            if p.dim() == 2:
                p.normal_(0, 0.01)
            else:
                p.zero_()
    params = list(rnn.parameters()) + list(fc.parameters())
    opt = torch.optim.Adagrad(params, lr=0.1)
    g = torch.Generator().manual_seed(1)
    xs = torch.randint(0, V, (T, B), generator=g)
    ys = torch.randint(0, V, (T * B,), generator=g)
    x = torch.nn.functional.one_hot(xs, V).to(torch.float32)
    h0 = torch.zeros(1, B, H)
    state = (h0, torch.zeros(1, B, H)) if cell == "lstm" else h0

    def step():
        opt.zero_grad()
        out, _ = rnn(x, state)
        logits = fc(out.reshape(T * B, H))
        loss = torch.nn.functional.cross_entropy(logits, ys, reduction="sum")
        loss.backward()
        torch.nn.utils.clip_grad_value_(params, 5)
        opt.step()
        return loss.item()

    first = last = 0.0
    warm = 0
    w0 = time.perf_counter()
    while True:
        last = step()
        if warm == 0:
            first = last
        warm += 1
        if warm >= 3 or time.perf_counter() - w0 >= 0.2:
            break
    times = []
    t_start = t_end = time.perf_counter_ns()
    while len(times) < reps or (t_end - t_start) * 1e-9 < seconds:
        t0 = time.perf_counter_ns()
        last = step()
        t_end = time.perf_counter_ns()
        times.append((t_end - t0) * 1e-9)
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
    flops = 2.0 * (3.0 * gates * H * H + 3.0 * V * H) * T * B
    print("PyTorch %s (nn.%s + nn.Linear, Adagrad, 1 thread): vocab %d hidden %d tau %d batch %d"
          % (torch.__version__, {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[cell], V, H, T, B))
    print("flops_per_step=%.0f; %d warm-up steps, %d timed steps in %.3f s; loss %.6g -> %.6g"
          % (flops, warm, n, (t_end - t_start) * 1e-9, first, last))
    print("median_us=%.3f min_us=%.3f max_us=%.3f gflops=%.4f"
          % (med * 1e6, times[0] * 1e6, times[-1] * 1e6, flops / med * 1e-9))


if __name__ == "__main__":
    main()
