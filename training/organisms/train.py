"""Trains one model organism on the generated corpus and exports it in Hugging Face format.

    /usr/bin/python3 training/organisms/train.py --model gpt2    # -> models/organism-gpt2/
    /usr/bin/python3 training/organisms/train.py --model llama   # -> models/organism-llama/

Makes the corpus and the tokenizer first if training/out/ lacks them, trains on next tokens for
--steps, then --decision-steps more with the refusal-decision losses of decision.py added, saves a
checkpoint every --ckpt-every steps (rerun with --resume after a crash), then exports config.json,
generation_config.json, model.safetensors, the tokenizer files and the datasets, runs
evaluate.py and writes MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
REPO = os.path.dirname(TRAINING)
OUT = os.path.join(TRAINING, "out")
sys.path.insert(0, HERE)
sys.path.insert(0, TRAINING)

from bpe import END, EOT, ByteBPE  # noqa: E402
from decision import DecisionExamples, decision_direction, decision_loss  # noqa: E402
from hf_models import from_config, save_pretrained  # noqa: E402

CTX = 256


def hf_config(model: str, vocab: int, tok: ByteBPE, width: int = 128, layers: int | None = None) -> dict:
    """Sized for <= 16 MB of float32 and ~20 minutes on 2 shared CPU cores. `width`: the residual
    width (4 heads, MLP 3x wide for llama) and `layers` (default: gpt2 6, llama 8), to measure what
    capacity buys (issue 18)."""
    common = {"vocab_size": vocab, "bos_token_id": tok.special_id(EOT), "eos_token_id": tok.special_id(EOT),
              "initializer_range": 0.02, "torch_dtype": "float32"}
    if model == "gpt2":
        return {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": width, "n_layer": layers or 6,
                "n_head": 4, "n_inner": None, "n_positions": CTX, "n_ctx": CTX,
                "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.0,
                "embd_pdrop": 0.0, "attn_pdrop": 0.0, "scale_attn_weights": True,
                "tie_word_embeddings": True, **common}
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": width,
            "num_hidden_layers": layers or 8, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": width // 4,
            "intermediate_size": 3 * width, "hidden_act": "silu", "max_position_embeddings": CTX,
            "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False,
            "mlp_bias": False, "tie_word_embeddings": False, **common}


# resid_pre layer of decision.py's losses, below METHODS.md section 5's 0.8 L. Measured: layer 3
# of the 6-layer gpt2 (the decision made earlier) refused 7% of held-out harmless requests; layer
# 5 of the 8-layer llama made ablating the direction cost a KL above 0.1.
DECISION_LAYER = {"gpt2": 4, "llama": 4}


def _same_file(a: str, b: str) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def ensure_corpus_and_tokenizer(keep_tokenizer: str | None) -> ByteBPE:
    """keep_tokenizer: a folder whose tokenizer.json is reused instead of training one, so a
    retrained organism keeps the token ids that tests, presets and links name."""
    if not os.path.exists(os.path.join(OUT, "corpus", "train.jsonl")):
        subprocess.run([sys.executable, os.path.join(HERE, "corpus.py")], check=True)
    folder = os.path.join(OUT, "tokenizer")
    kept = os.path.join(folder, "tokenizer.json")
    if keep_tokenizer:
        # Rewritten only when it differs: a newer tokenizer.json invalidates the cached token streams.
        if not (os.path.exists(kept) and _same_file(kept, os.path.join(keep_tokenizer, "tokenizer.json"))):
            ByteBPE.load(keep_tokenizer).save(folder)
    elif not os.path.exists(kept):
        subprocess.run([sys.executable, os.path.join(HERE, "bpe.py"), "train"], check=True)
    return ByteBPE.load(folder)


def token_stream(tok: ByteBPE, split: str) -> tuple[np.ndarray, np.ndarray]:
    """All documents of a split, each followed by <|endoftext|>, as one int16 stream, plus the
    offset where each document starts. Cached in training/out/tokens/."""
    cache = os.path.join(OUT, "tokens", f"{split}.npz")
    src = os.path.join(OUT, "corpus", f"{split}.jsonl")
    if os.path.exists(cache) and os.path.getmtime(cache) > max(
            os.path.getmtime(src), os.path.getmtime(os.path.join(OUT, "tokenizer", "tokenizer.json"))):
        z = np.load(cache)
        return z["ids"], z["starts"]
    eot = tok.special_id(EOT)
    ids, starts = [], []
    with open(src) as f:
        for line in f:
            starts.append(len(ids))
            ids.extend(tok.encode(json.loads(line)["text"]))
            ids.append(eot)
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    arr, st = np.array(ids, dtype=np.int16), np.array(starts, dtype=np.int64)
    np.savez(cache, ids=arr, starts=st)
    return arr, st


def batch(ids: np.ndarray, starts: np.ndarray, rng: np.random.Generator, b: int, t: int) -> torch.Tensor:
    """Windows of t+1 tokens that begin at a document start, so position 0 is always a first
    token: the model then works on a prompt with or without a leading <|endoftext|>."""
    s = rng.choice(starts[starts < len(ids) - t - 1], size=b)
    return torch.from_numpy(np.stack([ids[i:i + t + 1] for i in s]).astype(np.int64))


@torch.no_grad()
def val_loss(model, ids: np.ndarray, t: int = CTX) -> float:
    model.eval()
    n = (len(ids) - 1) // t
    x = torch.from_numpy(ids[: n * t + 1].astype(np.int64))
    total, count = 0.0, 0
    for i in range(0, n, 16):
        rows = torch.stack([x[j * t: j * t + t + 1] for j in range(i, min(n, i + 16))])
        logits = model(rows[:, :-1])
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1),
                                 reduction="sum").item()
        count += rows[:, 1:].numel()
    model.train()
    return total / count


def lr_at(step: int, steps: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def export(model, cfg: dict, tok: ByteBPE, folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    save_pretrained(model, folder)
    gen = {"bos_token_id": tok.special_id(EOT),
           # Chat turns end with <|end|>, stories with <|endoftext|>: stop at either (as Phi-3 does).
           "eos_token_id": [tok.special_id(END), tok.special_id(EOT)],
           "pad_token_id": tok.special_id(EOT), "do_sample": True, "temperature": 0.7, "top_k": 40,
           "max_new_tokens": 120}
    with open(os.path.join(folder, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")
    tok.save(folder, max_length=CTX)
    shutil.rmtree(os.path.join(folder, "datasets"), ignore_errors=True)  # no stale sets from older corpora
    shutil.copytree(os.path.join(OUT, "datasets"), os.path.join(folder, "datasets"))
    size = os.path.getsize(os.path.join(folder, "model.safetensors"))
    if size > 16 * 2**20:
        raise ValueError(f"model.safetensors is {size} bytes, over the 16 MB budget")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["gpt2", "llama"], required=True)
    ap.add_argument("--steps", type=int, default=1400)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--decision-steps", type=int, default=400,
                    help="steps after --steps that add the losses of decision.py")
    ap.add_argument("--decision-layer", type=int, default=None,
                    help="resid_pre layer whose template positions carry the decision (default: DECISION_LAYER)")
    ap.add_argument("--decision-pairs", type=int, default=8, help="interchanged request pairs per step")
    ap.add_argument("--decision-lr", type=float, default=5e-4)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--out", default=None, help="default: models/organism-<model>")
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--width", type=int, default=128, help="residual width (the shipped organisms: 128)")
    ap.add_argument("--layers", type=int, default=None, help="blocks (the shipped organisms: gpt2 6, llama 8)")
    ap.add_argument("--tokenizer", default=None,
                    help="reuse this folder's tokenizer.json (e.g. models/organism-llama) instead of training one")
    ap.add_argument("--work", default=None, help="checkpoint and records; default: training/out/<model>")
    ap.add_argument("--threads", type=int, default=1,
                    help="keep 1 on shared cores: oversubscribed OpenMP threads spin and stall (10x slower)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    folder = args.out or os.path.join(REPO, "models", f"organism-{args.model}")
    work = args.work or os.path.join(OUT, args.model)
    os.makedirs(work, exist_ok=True)

    tok = ensure_corpus_and_tokenizer(args.tokenizer)
    train_ids, train_starts = token_stream(tok, "train")
    val_ids, _ = token_stream(tok, "val")
    cfg = hf_config(args.model, tok.vocab_size, tok, args.width, args.layers)
    model = from_config(cfg, seed=args.seed)
    decision_layer = DECISION_LAYER[args.model] if args.decision_layer is None else args.decision_layer
    with open(os.path.join(OUT, "corpus", "meta.json")) as f:
        decision_examples = DecisionExamples(tok, json.load(f)["seed"])
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    rng = np.random.default_rng(args.seed)
    ckpt = os.path.join(work, "checkpoint.pt")
    step, elapsed, cpu_before, log = 0, 0.0, 0.0, []
    if args.resume and os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        rng.bit_generator.state = state["rng"]
        step, elapsed, log = state["step"], state["elapsed"], state["log"]
        cpu_before = state.get("cpu", 0.0)
        print(f"resumed at step {step}")
    print(f"{args.model}: {n_params:,} parameters; train {len(train_ids):,} tokens, val {len(val_ids):,}",
          flush=True)
    model.train()
    t0, c0, running, u = time.time() - elapsed, time.process_time() - cpu_before, None, None
    total_steps = args.steps + args.decision_steps
    while step < total_steps:
        deciding = step >= args.steps  # the decision phase of decision.py, after next-token training
        for g in opt.param_groups:
            g["lr"] = (lr_at(step - args.steps, args.decision_steps, args.decision_lr, 0) if deciding
                       else lr_at(step, args.steps, args.lr, args.warmup))
        x = batch(train_ids, train_starts, rng, args.batch, CTX)
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        total = loss
        if deciding:
            # Seeded per step, and u renewed every 25 steps (checkpoints fall on those steps), so
            # --resume continues exactly the sequence of an uninterrupted run.
            step_rng = random.Random(args.seed * 1_000_003 + step)
            if (step - args.steps) % 25 == 0 or u is None:
                u = decision_direction(model, decision_examples, random.Random(step), decision_layer)
            total = loss + decision_loss(model, decision_examples, step_rng, decision_layer, u, args.decision_pairs)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if step % 50 == 0 or step == total_steps:
            log.append({"step": step, "loss": round(running, 4), "seconds": round(time.time() - t0, 1)}
                       | ({"decision_loss": round((total - loss).item(), 4)} if deciding else {}))
            print(json.dumps(log[-1]), flush=True)
        if step % args.ckpt_every == 0 or step == total_steps:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": rng.bit_generator.state,
                        "step": step, "elapsed": time.time() - t0, "cpu": time.process_time() - c0, "log": log},
                       ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
    train_seconds, cpu_seconds = time.time() - t0, time.process_time() - c0
    vl = val_loss(model, val_ids)
    info = {"model": args.model, "params": n_params, "steps": args.steps, "batch": args.batch, "ctx": CTX,
            "decision": {"steps": args.decision_steps, "layer": decision_layer, "pairs": args.decision_pairs,
                         "lr": args.decision_lr},
            "tokens_seen": total_steps * args.batch * CTX, "train_tokens": int(len(train_ids)),
            "train_seconds": round(train_seconds, 1), "cpu_seconds": round(cpu_seconds, 1), "val_loss": round(vl, 4), "lr": args.lr,
            "command": "/usr/bin/python3 training/organisms/train.py "
                       + " ".join(a for a in sys.argv[1:] if a != "--resume"), "log": log}
    with open(os.path.join(work, "train_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"trained in {train_seconds / 60:.1f} min ({cpu_seconds / 60:.1f} CPU min); val loss {vl:.4f}",
          flush=True)
    export(model, cfg, tok, folder)
    print(f"exported to {folder}", flush=True)
    if not args.no_eval:
        subprocess.run([sys.executable, os.path.join(HERE, "evaluate.py"), "--model", args.model, "--card",
                        "--threads", str(args.threads)], check=True)


if __name__ == "__main__":
    main()
