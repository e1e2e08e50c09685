"""PyTorch CPU baseline for Rudder's engine benchmark (the TS bench calls this and prints ratios).

    /usr/bin/python3 bench/torch_bench.py --make-model bench/out/gpt2-small-random
    /usr/bin/python3 bench/torch_bench.py --model bench/out/gpt2-small-random [--model DIR2 ...] --json

`--make-model DIR` writes a seeded random-weight GPT-2-small-shaped HF checkpoint (124M
parameters, F32, ~500 MB) unless DIR/config.json already exists; with `--bf16`, the same weights
rounded to bfloat16 and stored as BF16 (as most checkpoints on the Hub now are, ~250 MB).

`--json` prints one JSON object on stdout (progress goes to stderr):

    {"models": {"<dir as given>": {
        "forward64_ms": float,            # median wall time of one forward over a 64-token
                                          # prompt, batch 1, logits of the LAST position only
        "decode_tok_s": float,            # greedy tokens/s of 32 decode steps with a KV cache
                                          # after a 64-token prompt (prompt pass not counted)
        "forward64_full_cache_ms": float, # the same 64-token forward while recording every
                                          # hook point's activation (per-head hook_result too)
        "params": int}},
     "torch": str, "threads": 2, "load_avg_1m": float}   # load average when it finished

Timings: torch.set_num_threads(2), torch.no_grad(), warm-up runs first, then the median of
several runs; the model is training/hf_models.py's eager implementation (no fused attention).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "training"))
from hf_models import Hooks, KVCache, from_config, load_pretrained, save_pretrained  # noqa: E402

GPT2_SMALL = {
    "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257,
    "n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": None,
    "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "initializer_range": 0.02,
    "tie_word_embeddings": True, "bos_token_id": 50256, "eos_token_id": 50256,
    "torch_dtype": "float32",
}
PROMPT, DECODE, RUNS, WARMUP = 64, 32, 7, 2


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def make_model(folder: str, dtype=torch.float32):
    if os.path.exists(os.path.join(folder, "config.json")):
        log(f"{folder} exists; keeping it")
        return
    model = from_config(GPT2_SMALL, seed=0)
    files = save_pretrained(model, folder, dtype=dtype)
    log(f"wrote {folder}: {files}, {sum(p.numel() for p in model.parameters()):,} parameters")


def median_ms(fn, runs=RUNS, warmup=WARMUP) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


@torch.no_grad()
def measure(folder: str) -> dict:
    model = load_pretrained(folder)
    vocab = model.spec.vocab_size
    ids = torch.randint(0, vocab, (1, PROMPT), generator=torch.Generator().manual_seed(0))

    forward = median_ms(lambda: model(ids, last_only=True))
    full_cache = median_ms(lambda: model(ids, hooks=Hooks(cache="all"), last_only=True))

    def decode_seconds() -> float:
        kv = KVCache(model.spec.n_layers)
        nxt = model(ids, kv=kv, last_only=True)[0, -1].argmax().view(1, 1)
        t0 = time.perf_counter()
        for _ in range(DECODE):
            nxt = model(nxt, kv=kv, last_only=True)[0, -1].argmax().view(1, 1)
        return time.perf_counter() - t0

    decode_seconds()  # warm-up
    decode = statistics.median(decode_seconds() for _ in range(3))
    return {
        "forward64_ms": round(forward, 2),
        "decode_tok_s": round(DECODE / decode, 2),
        "forward64_full_cache_ms": round(full_cache, 2),
        "params": sum(p.numel() for p in model.parameters()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--make-model", metavar="DIR")
    ap.add_argument("--bf16", action="store_true", help="--make-model stores bfloat16 weights")
    ap.add_argument("--model", metavar="DIR", action="append", default=[])
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    if args.make_model:
        make_model(args.make_model, torch.bfloat16 if args.bf16 else torch.float32)
    results = {}
    for folder in args.model:
        log(f"measuring {folder} ...")
        results[folder] = measure(folder)
        log(f"  {results[folder]}")
    if args.json:
        load = os.getloadavg()[0]  # other processes on a shared machine skew every figure
        print(json.dumps({"models": results, "torch": torch.__version__, "threads": 2,
                          "load_avg_1m": round(load, 2)}))
    elif not args.make_model and not args.model:
        ap.print_help()


if __name__ == "__main__":
    main()
