#!/usr/bin/python3
"""tests/bench/numpy_bench.py: the NumPy peer of `rnnc bench`.

    numpy_bench.py VOCAB HIDDEN TAU BATCH [REPS [SECONDS]]

Karpathy's min-char-rnn (tanh, softmax + negative log-likelihood, BPTT, gradients
averaged over the batch and clipped to [-5, 5], Adagrad lr 0.1), in float32 and batched
over BATCH columns; the one-hot input is a column lookup (free).  Times one step at a time
(time.perf_counter_ns, a monotonic clock) until both REPS (20) steps and SECONDS (1.0)
have passed.  The last line is "median_us=N min_us=N max_us=N gflops=N" with rnnc bench's
FLOP count (2 per multiply-add of the matrix products).  Run it with OPENBLAS_NUM_THREADS=1
(run.sh does) for one thread.
"""
import sys
import time

import numpy as np


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: numpy_bench.py VOCAB HIDDEN TAU BATCH [REPS [SECONDS]]")
    V, H, T, B = (int(a) for a in sys.argv[1:5])
    reps = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
    f32 = np.float32
    rng = np.random.default_rng(1)
    Wxh = (rng.standard_normal((H, V)) * 0.01).astype(f32)
    Whh = (rng.standard_normal((H, H)) * 0.01).astype(f32)
    Why = (rng.standard_normal((V, H)) * 0.01).astype(f32)
    bh = np.zeros((H, 1), f32)
    by = np.zeros((V, 1), f32)
    params = [Wxh, Whh, Why, bh, by]
    mems = [np.zeros_like(p) for p in params]
    xs = rng.integers(0, V, (T, B))
    ys = rng.integers(0, V, (T, B))
    hprev = np.zeros((H, B), f32)
    cols = np.arange(B)
    lr, eps, scale = f32(0.1), f32(1e-8), f32(1.0 / B)

    def step():
        hs = {-1: hprev}
        ps = {}
        loss = 0.0
        for t in range(T):
            hs[t] = np.tanh(Wxh[:, xs[t]] + Whh @ hs[t - 1] + bh)
            y = Why @ hs[t] + by
            y -= y.max(axis=0, keepdims=True)
            e = np.exp(y)
            s = e.sum(axis=0, keepdims=True)
            ps[t] = e / s
            loss -= float((y[ys[t], cols] - np.log(s[0])).sum())   # log-softmax: no log(0)
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hprev)
        for t in reversed(range(T)):
            dy = ps[t].copy()
            dy[ys[t], cols] -= 1
            dWhy += dy @ hs[t].T
            dby += dy.sum(axis=1, keepdims=True)
            dh = Why.T @ dy + dhnext
            dhraw = (1 - hs[t] * hs[t]) * dh
            dbh += dhraw.sum(axis=1, keepdims=True)
            np.add.at(dWxh, (slice(None), xs[t]), dhraw)
            dWhh += dhraw @ hs[t - 1].T
            dhnext = Whh.T @ dhraw
        for p, d, m in zip(params, [dWxh, dWhh, dWhy, dbh, dby], mems):
            d *= scale
            np.clip(d, -5, 5, out=d)
            m += d * d
            p -= lr * d / np.sqrt(m + eps)
        return loss

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
    flops = 2.0 * (3.0 * H * H + 3.0 * V * H) * T * B
    assert all(p.dtype == f32 for p in params + mems), "the parameters left float32"
    print("NumPy %s (min-char-rnn style, float32): vocab %d hidden %d tau %d batch %d"
          % (np.__version__, V, H, T, B))
    print("flops_per_step=%.0f; %d warm-up steps, %d timed steps in %.3f s; loss %.6g -> %.6g"
          % (flops, warm, n, (t_end - t_start) * 1e-9, first, last))
    print("median_us=%.3f min_us=%.3f max_us=%.3f gflops=%.4f"
          % (med * 1e6, times[0] * 1e6, times[-1] * 1e6, flops / med * 1e-9))


if __name__ == "__main__":
    main()
