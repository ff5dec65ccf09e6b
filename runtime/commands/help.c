/* help.c: the usage texts (see help.h).  The manual page (runtime/commands/man.sh) is made
 * from them, and tests/suites/help.sh checks that README and the page hold every option they
 * name and that every command accepts the options its help names. */
#define _POSIX_C_SOURCE 200809L
#include "help.h"

#include <string.h>

const char rnnc_help_head[] =
    "usage: rnnc COMMAND [ARGS]\n"
    "       rnnc help COMMAND, or rnnc COMMAND --help: that command's options,\n"
    "       defaults and examples\n"
    "\n";

const char rnnc_help_model[] =
    "model (gen, check, diff, train, bench, equations, import; or a SPEC file):\n"
    "  --vocab V | --in N --out K       one-hot input and softmax over V classes, or\n"
    "                                   dense N inputs and K outputs\n"
    "  --hidden H  --tau T              hidden size, unrolled length (train: 100 and\n"
    "                                   25)\n"
    "  --batch B                        independent sequences per call (default 1)\n"
    "  --cell rnn|gru|lstm              the vanilla cell, or PyTorch's nn.GRU /\n"
    "                                   nn.LSTM (default rnn)\n"
    "  --act tanh|relu|sigmoid          the rnn cell's hidden activation (default\n"
    "                                   tanh)\n"
    "  --loss nll|mse                   softmax + negative log-likelihood, or\n"
    "                                   squared error\n"
    "  --dtype float|double             (default float)\n"
    "  --name NAME                      C identifier prefix of every symbol (default\n"
    "                                   rnn)\n"
    "  --fast                           fast-math code: backends may differ in the\n"
    "                                   last bits\n"
    "  --recurrence hidden|output|both  W h(t-1) (figure 10.3), R fb(t-1) (figure\n"
    "                                   10.4), or both (default hidden)\n"
    "  --feedback teacher|free|scheduled  what an output recurrence feeds back: the\n"
    "                                   data, the model's own output, or per step\n"
    "                                   one of the two (default teacher)\n"
    "  --end none|eos|halt|length       how a record ends: an end symbol, a halting\n"
    "                                   unit, or a length output over 1..M with\n"
    "                                   --max-length M (default none)\n"
    "  --max-length M                   --end length: the lengths the length output\n"
    "                                   predicts\n"
    "  --memory full|sqrt|N             keep every step's h, or only every\n"
    "                                   ~sqrt(tau)-th (or N-th) and recompute the\n"
    "                                   segments (default full)\n"
    "  --segment S                      write out S steps and loop over the segments\n"
    "  --spec FILE                      read the keys from FILE, one 'key = value' a\n"
    "                                   line (# comments); also a positional SPEC\n";

static const char gen_text[] =
    "usage: rnnc gen [SPEC] [-o DIR] [model options]\n"
    "       rnnc gen --hand-header [-o DIR]\n"
    "\n"
    "Write the generated C of the model: DIR/NAME.h and DIR/NAME.c, the forward\n"
    "pass, BPTT and the optimiser update, each step citing its equation.  With\n"
    "--hand-header, DIR/rnnc_hand.h instead: the interface of a hand-written BPTT\n"
    "for rnnc diff.\n"
    "\n"
    "options:\n"
    "  -o DIR                           the output directory (default out; created)\n"
    "  --hand-header                    write only DIR/rnnc_hand.h (no spec)\n"
    "  the model options of rnnc --help (--vocab, --hidden, --tau, ... or SPEC)\n"
    "examples:\n"
    "  rnnc gen --vocab 65 --hidden 100 --tau 25 -o out\n"
    "  rnnc gen model.spec -o out\n"
    "  rnnc gen --hand-header -o .\n";

static const char check_text[] =
    "usage: rnnc check [SPEC] [OPTIONS] [model options]\n"
    "\n"
    "Draw random parameters and data, and compare the generated BPTT's gradients\n"
    "with central finite differences in double, one row per tensor; exit 0 only if\n"
    "every row passes (double: 1e-7 relative, float: 1e-3).\n"
    "\n"
    "options:\n"
    "  --backend tcc|cc                 the compiler of the generated code (default\n"
    "                                   tcc)\n"
    "  --seed S                         the random problem (default 1)\n"
    "  --max-entries N                  check at most N entries per tensor (default\n"
    "                                   2000)\n"
    "  --dump FILE.safetensors          also write the problem, every node and\n"
    "                                   gradient\n"
    "  the model options of rnnc --help (--vocab, --hidden, --tau, ... or SPEC)\n"
    "examples:\n"
    "  rnnc check --vocab 11 --hidden 7 --tau 5 --dtype double\n"
    "  rnnc check --vocab 11 --hidden 7 --tau 5 --backend cc --dump g.safetensors\n";

static const char diff_text[] =
    "usage: rnnc diff HAND.c [SPEC] [OPTIONS] [model options]\n"
    "\n"
    "Compile a hand-written rnnc_hand_bptt (its interface: rnnc gen --hand-header),\n"
    "run it on random data next to the generated BPTT, and name the first node, time\n"
    "step and equation where they part; exit 1 if it differs or fails.  The default\n"
    "spec is --vocab 5 --hidden 4 --tau 4 --dtype double.\n"
    "\n"
    "options:\n"
    "  --backend tcc|cc                 the compiler of the generated code (default\n"
    "                                   tcc)\n"
    "  --seed S                         the random problem (default 1)\n"
    "  the model options of rnnc --help (--vocab, --hidden, --tau, ... or SPEC)\n"
    "examples:\n"
    "  rnnc diff examples/hand/missing_dtanh.c\n"
    "  rnnc diff mine.c --recurrence output --feedback free\n";

static const char train_text[] =
    "usage: rnnc train [SPEC.spec] [OPTIONS] [model options] [DATA...]\n"
    "\n"
    "Train on text files (bytes, or UTF-8 characters), on a CSV file of numbers (a\n"
    "dense model with squared error), or on the built-in corpus when no DATA is\n"
    "given; - reads the data from standard input.  The model: the model options of\n"
    "rnnc --help (--hidden 100 --tau 25 by default; the data gives the vocabulary).\n"
    "\n"
    "optimiser (defaults as min-char-rnn):\n"
    "  --steps N                        total steps, a resumed run's included\n"
    "                                   (10000)\n"
    "  --optim sgd|momentum|adagrad|rmsprop|adam  (adagrad)\n"
    "  --lr X                           learning rate (0.1)\n"
    "  --beta1 X  --beta2 X             momentum, adam and rmsprop (0.9, 0.999)\n"
    "  --eps X                          (1e-8)\n"
    "  --weight-decay X                 (0)\n"
    "  --clip X                         clip each gradient entry to [-X, X]; 0: off\n"
    "                                   (5)\n"
    "  --clip-norm X                    scale the gradient to a norm of at most X;\n"
    "                                   0: off (0)\n"
    "  --seed S                         weights, batches and draws (1)\n"
    "running:\n"
    "  --backend tcc|cc|auto            auto: start on tcc, switch to cc when it is\n"
    "                                   compiled (auto)\n"
    "  --threads N|auto                 auto: one per batch part; even batches of 16\n"
    "                                   and more have two; the results are the same\n"
    "                                   for any N\n"
    "  --shards N                       the batch in N shares computed in turn,\n"
    "                                   their gradients added in share order: the\n"
    "                                   bits of mpirun -np N rnnc train (data\n"
    "                                   parallel; under mpirun rank 0 alone prints\n"
    "                                   progress, samples and the log)\n"
    "output:\n"
    "  --every N                        progress line and checkpoint every N steps\n"
    "                                   (100)\n"
    "  --save FILE                      the checkpoint to write\n"
    "  --resume FILE                    the checkpoint to continue from\n"
    "  --log FILE.csv                   rows of step,loss,bpc,lr,seconds (the\n"
    "                                   smoothed loss), with --valid valid_loss and\n"
    "                                   valid_bpc, then last_loss,mean_loss,mean_bpc\n"
    "                                   (the step's loss, the mean since the\n"
    "                                   previous row)\n"
    "  --log-every N                    a --log row every N steps (--every)\n"
    "  --sample-every N|Ts              a 200-symbol sample every N steps or T\n"
    "                                   seconds; 0: none (on a terminal 20s, else\n"
    "                                   1000)\n";

/* The second half of train's help (each string within what C99 compilers must take). */
static const char train_text2[] =
    "data:\n"
    "  --chars bytes|utf8               text as bytes or as UTF-8 characters (bytes)\n"
    "  --csv                            read the data as CSV, whatever the names\n"
    "                                   (standard input too)\n"
    "  --target COL[,COL]               CSV: the target columns (default: the next\n"
    "                                   row)\n"
    "  --valid FILE                     held-out data: its loss is logged and shown\n"
    "  --valid-every N                  the held-out loss every N steps (--every)\n"
    "scheduled sampling (--feedback scheduled; Bengio et al. 2015):\n"
    "  --schedule linear|exp|sigmoid    linear: eps_i = max(end, 1 - i/k), k >= 1\n"
    "                                   (default: the run's --steps); exp: eps_i =\n"
    "                                   max(end, k^i), 0 < k < 1 (default:\n"
    "                                   0.01^(1/steps)); sigmoid: eps_i = max(end,\n"
    "                                   k/(k + exp(i/k))), k >= 1 (default: k ln k =\n"
    "                                   steps/2)\n"
    "  --schedule-k K                   the schedule's k\n"
    "  --schedule-end E                 the floor of eps, in [0, 1] (0)\n"
    "records (book section 10.2.3; each record starts from h(0)):\n"
    "  --records lines|paragraphs       text: one record per line, or per block of\n"
    "                                   lines between blank lines\n"
    "  --sequence-column COL            CSV: rows with the same COL, in order, form\n"
    "                                   a record\n"
    "  --end-symbol C                   the boundary symbol (a character, \\n, \\xHH\n"
    "                                   or U+XXXX)\n"
    "  --learn-h0                       learn h(0) (kept in the checkpoint)\n"
    "  --max-record N                   refuse records longer than N steps\n"
    "examples:\n"
    "  rnnc train notes.txt\n"
    "  rnnc train --hidden 256 --tau 64 --batch 32 --optim adam --lr 0.002 b.txt\n"
    "  rnnc train --steps 50000 --save model.ckpt --log train.csv b1.txt b2.txt\n"
    "  rnnc train --steps 100000 --resume model.ckpt --save model.ckpt b1.txt\n"
    "  mpirun -np 4 rnnc train --batch 64 --save model.ckpt b1.txt\n"
    "  zcat notes.txt.gz | rnnc train --save notes.ckpt -\n";

static const char sample_text[] =
    "usage: rnnc sample CKPT [OPTIONS]\n"
    "\n"
    "Print text drawn from a checkpoint's model; a model of records prints whole\n"
    "records, one per line (paragraphs separated by a blank line).\n"
    "\n"
    "options:\n"
    "  -n N                             symbols to draw (500; records: a maximum\n"
    "                                   each)\n"
    "  --count N                        models of records: N whole records (1)\n"
    "  --temperature T                  > 0; below 1 sharper, above 1 flatter (1)\n"
    "  --top-k K                        draw from the K most likely symbols (0 =\n"
    "                                   all)\n"
    "  --prime TEXT                     feed TEXT first (and print it)\n"
    "  --seed S                         the draws (1)\n"
    "  --backend tcc|cc                 (tcc)\n"
    "examples:\n"
    "  rnnc sample model.ckpt -n 500 --temperature 0.8 --top-k 10 --prime \"Once\"\n"
    "  rnnc sample words.ckpt --count 6\n";

static const char eval_text[] =
    "usage: rnnc eval CKPT FILE... [OPTIONS]\n"
    "\n"
    "Run a checkpoint on held-out data (- reads it from standard input), in chunks\n"
    "of tau on one column with the state carried (records: each from h(0)), and\n"
    "print the loss, bits per symbol and perplexity (nll) or the mean squared error\n"
    "(mse), one line each.\n"
    "\n"
    "options:\n"
    "  --feedback teacher|free          an output recurrence teacher-forced (the\n"
    "                                   default) or free running\n"
    "  --per-record                     log p of each record, its end included\n"
    "  --backend tcc|cc                 (cc; both give the same bits)\n"
    "  --target COL[,COL]               a CSV trained with --target\n"
    "examples:\n"
    "  rnnc eval model.ckpt held-out.txt\n"
    "  rnnc eval fig104.ck test.txt --feedback free\n"
    "  rnnc eval w.ck held-out.txt --per-record\n";

static const char info_text[] =
    "usage: rnnc info CKPT\n"
    "\n"
    "Print what a checkpoint holds: spec, vocabulary, family, end, records, where an\n"
    "imported model came from, step, smoothed and last loss, optimiser, data, sizes.\n"
    "\n"
    "examples:\n"
    "  rnnc info model.ckpt\n";

static const char embed_text[] =
    "usage: rnnc embed CKPT [-o DIR] [--name NAME]\n"
    "\n"
    "Write an inference-only DIR/NAME.h and DIR/NAME.c with the trained weights: C99\n"
    "and C++, no allocation, no mutable globals (see README, \"Embedding\").\n"
    "\n"
    "options:\n"
    "  -o DIR                           the output directory (default out; created)\n"
    "  --name NAME                      the prefix of every symbol (default: the\n"
    "                                   spec's)\n"
    "examples:\n"
    "  rnnc embed model.ckpt -o mymodel --name charnn\n";

static const char export_text[] =
    "usage: rnnc export CKPT -o FILE.safetensors [OPTIONS]\n"
    "\n"
    "Write the weights with PyTorch's nn.RNN (nn.GRU, nn.LSTM) / nn.Linear names\n"
    "(and rnnc.* names for what PyTorch has no module for), the spec and vocabulary\n"
    "in the metadata.\n"
    "\n"
    "options:\n"
    "  -o FILE                          the safetensors file to write\n"
    "  --rnn-prefix P                   the nn.RNN's names (rnn.)\n"
    "  --linear-prefix P                the nn.Linear's names (fc.)\n"
    "examples:\n"
    "  rnnc export model.ckpt -o model.safetensors\n";

static const char import_text[] =
    "usage: rnnc import FILE.safetensors [-o CKPT] [OPTIONS] [model options]\n"
    "\n"
    "Make a checkpoint from PyTorch weights (nn.RNN, nn.GRU or nn.LSTM +\n"
    "nn.Linear; F32, F64, F16, BF16). The spec: the options given, then the file's\n"
    "metadata (rnnc.spec, rnnc.act), then the tensors' shapes (the cell from\n"
    "weight_ih_l0's rows: H, 3 H or 4 H); the output line says what was assumed.\n"
    "More layers, a reverse direction, unknown tensors or rnnc.* keys, and options\n"
    "that contradict the metadata are refused, naming them.\n"
    "\n"
    "options:\n"
    "  -o CKPT                          the checkpoint (default: FILE less its\n"
    "                                   extension, plus .ckpt)\n"
    "  --rnn-prefix P                   the nn.RNN's names (rnn.)\n"
    "  --linear-prefix P                the nn.Linear's names (fc.)\n"
    "  --force                          options win over the metadata (said on the\n"
    "                                   output)\n"
    "  --ignore-unknown                 leave out what rnnc has no place for, and\n"
    "                                   list it\n"
    "  the model options of rnnc --help (--act, --tau, --batch, --name, ...)\n"
    "examples:\n"
    "  rnnc import model.safetensors -o model.ckpt\n"
    "  rnnc import relu.safetensors --act relu --tau 64\n";

static const char plot_text[] =
    "usage: rnnc plot LOG.csv [LOG.csv...] -o FILE.svg [--bits]\n"
    "\n"
    "Draw --log files as one SVG chart: each log's smoothed loss, the mean since the\n"
    "previous row (thin) and the validation loss, one colour per log with a legend;\n"
    "a right axis of bits per symbol when the logs share it.\n"
    "\n"
    "options:\n"
    "  -o FILE.svg                      the chart (SVG only: other extensions are\n"
    "                                   refused)\n"
    "  --bits                           bits per symbol on the y axis (logs of any\n"
    "                                   tau)\n"
    "examples:\n"
    "  rnnc plot train.csv -o loss.svg\n"
    "  rnnc plot a.csv b.csv -o cmp.svg --bits\n";

static const char bench_text[] =
    "usage: rnnc bench [SPEC] [OPTIONS] [model options]\n"
    "\n"
    "Time the generated train_step (at least N calls and S seconds); the last line\n"
    "is median_us=N min_us=N max_us=N gflops=N (2 FLOPs per multiply-add of the\n"
    "matrix products, one-hot input free).  Default spec --vocab 65 --hidden 100\n"
    "--tau 25.\n"
    "\n"
    "options:\n"
    "  --backend tcc|cc                 (tcc)\n"
    "  --optim O                        (adagrad)\n"
    "  --reps N  --seconds S            at least N calls (20) and S seconds (1)\n"
    "  --seed S                         (1)\n"
    "  --threads N|auto                 (1)\n"
    "  --records                        every column a record of tau steps\n"
    "examples:\n"
    "  rnnc bench --vocab 65 --hidden 256 --tau 64 --batch 32 --backend cc\n"
    "  rnnc bench --batch 32 --backend cc --threads 2\n";

static const char equations_text[] =
    "usage: rnnc equations [SPEC] [OPTIONS] [model options]\n"
    "\n"
    "Print the equations of the unrolled graph, as the generated code cites them.\n"
    "\n"
    "options:\n"
    "  --format text|latex|markdown     (text)\n"
    "  --expand NODE                    a gradient written out as a hand derivation\n"
    "                                   does; NODE: h0..hT, W, U, V, b, c (and R,\n"
    "                                   fb0 with an output recurrence)\n"
    "examples:\n"
    "  rnnc equations --vocab 5 --hidden 4 --tau 3 --format latex\n"
    "  rnnc equations --vocab 5 --hidden 4 --tau 4 --expand h1\n";

static const char help_text[] =
    "usage: rnnc help [COMMAND]\n"
    "\n"
    "Print the usage of rnnc, or of COMMAND (as rnnc COMMAND --help does).\n"
    "\n"
    "examples:\n"
    "  rnnc help train\n";

static const char version_text[] =
    "usage: rnnc version (or rnnc --version, rnnc -V)\n"
    "\n"
    "Print rnnc's version.\n";

static const rnnc_cmd_help commands[] = {
    {"gen", "write the C of a model: DIR/NAME.h and DIR/NAME.c", gen_text, NULL},
    {"check", "finite-difference check of the generated BPTT", check_text, NULL},
    {"diff", "compare a hand-written BPTT with the generated one", diff_text, NULL},
    {"train", "train on text, a CSV file or the built-in corpus", train_text, train_text2},
    {"sample", "draw text (or whole records) from a checkpoint", sample_text, NULL},
    {"eval", "loss, bits per symbol and perplexity on held-out data", eval_text, NULL},
    {"info", "what a checkpoint holds", info_text, NULL},
    {"embed", "an inference-only NAME.h and NAME.c with the weights", embed_text, NULL},
    {"export", "the weights as safetensors with PyTorch's names", export_text, NULL},
    {"import", "a checkpoint from PyTorch's safetensors", import_text, NULL},
    {"plot", "--log files as an SVG chart", plot_text, NULL},
    {"bench", "time the generated training step", bench_text, NULL},
    {"equations", "the equations of the unrolled graph", equations_text, NULL},
    {"help", "this text, or a command's (rnnc help COMMAND)", help_text, NULL},
    {"version", "rnnc's version (also -V, --version)", version_text, NULL},
};

const rnnc_cmd_help *rnnc_help_commands(size_t *n)
{
    *n = sizeof commands / sizeof commands[0];
    return commands;
}

const rnnc_cmd_help *rnnc_help_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

size_t rnnc_edit_distance(const char *a, const char *b)
{
    size_t n = strnlen(a, 255), m = strnlen(b, 255);
    size_t rows[3][256], *two = rows[0], *prev = rows[1], *cur = rows[2];   /* rows i-2, i-1, i */
    for (size_t j = 0; j <= m; j++) prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && two[j - 2] + 1 < v)
                v = two[j - 2] + 1;
            cur[j] = v;
        }
        size_t *t = two;
        two = prev, prev = cur, cur = t;
    }
    return prev[m];
}

const char *rnnc_closest(const char *w, const char *const *words, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(w);
    for (size_t i = 0; i < n; i++) {
        size_t d = rnnc_edit_distance(w, words[i]);
        if (len >= 2 && strncmp(words[i], w, len) == 0) d = d < 1 ? d : 1;   /* a prefix */
        if (d < best_d) best_d = d, best = words[i];
    }
    return best && best_d <= 2 && best_d * 2 <= len ? best : NULL;
}
