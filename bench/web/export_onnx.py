"""Exports a GPT-2 checkpoint (HF folder: config.json + safetensors) to ONNX for `npm run bench:web`,
so that onnxruntime-web runs the very weights Rudder loads. Two files, both traced from
training/hf_models.py's CausalLM (the PyTorch reference the engine's golden tests agree with):

    decoder.onnx  as transformers.js's GPT-2 decoders are: inputs input_ids [1, t] and
                  past_key_values.{l}.key / .value [1, heads, past, d_head]; outputs
                  logits [1, 1, vocab] (the last position only, as the engine's logits: 'last')
                  and present.{l}.key / .value [1, heads, past + t, d_head]. A prompt runs with
                  past = 0; each decode step feeds the previous presents back.
    cache.onnx    a plain forward (input_ids [1, t]) whose outputs are the last logits and every
                  hook point's activation, named by hook (the engine's full activation cache).

    /usr/bin/python3 bench/web/export_onnx.py --model bench/out/gpt2-small-random --out DIR

Writes DIR/decoder.onnx, DIR/cache.onnx and DIR/meta.json (shapes, names), unless DIR/meta.json
is newer than the checkpoint. torch.onnx.export needs no `onnx` package.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import torch
from torch import nn

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "training"))
from hf_models import CausalLM, Hooks, KVCache, load_pretrained  # noqa: E402

OPSET = 17


class Decoder(nn.Module):
    """(ids, positions, past k/v...) -> (last logits, present k/v...), with hf_models' KV cache
    seeded from the past inputs so that the traced graph concatenates them as HF's does."""

    def __init__(self, model: CausalLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids, *past):
        n = self.model.spec.n_layers
        kv = KVCache(n)
        kv.k, kv.v = list(past[0::2]), list(past[1::2])
        logits = self.model(input_ids, kv=kv, last_only=True)
        presents = [t for l in range(n) for t in (kv.k[l], kv.v[l])]
        return (logits, *presents)


class CachingForward(nn.Module):
    """ids -> (last logits, every hook point's activation in forward order)."""

    def __init__(self, model: CausalLM, names: list[str]):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, input_ids):
        hooks = Hooks(cache="all")
        logits = self.model(input_ids, hooks=hooks, last_only=True)
        return (logits, *(hooks.cache[n] for n in self.names))


def hook_names(model: CausalLM, t: int) -> list[str]:
    """The hook points the reference records, in the order it records them."""
    hooks = Hooks(cache="all")
    with torch.no_grad():
        model(torch.zeros(1, t, dtype=torch.long), hooks=hooks, last_only=True)
    return list(hooks.cache)


def up_to_date(model_dir: str, out: str) -> bool:
    meta = os.path.join(out, "meta.json")
    if not os.path.exists(meta):
        return False
    sources = glob.glob(os.path.join(model_dir, "*.safetensors")) + [os.path.join(model_dir, "config.json")]
    return os.path.getmtime(meta) > max(os.path.getmtime(s) for s in sources)


def export(model_dir: str, out: str):
    model = load_pretrained(model_dir)
    s = model.spec
    if not s.is_gpt2:
        raise SystemExit(f"{model_dir}: only GPT-2 checkpoints are exported (model_type {s.model_type})")
    os.makedirs(out, exist_ok=True)
    past_names = [f"past_key_values.{l}.{kv}" for l in range(s.n_layers) for kv in ("key", "value")]
    present_names = [f"present.{l}.{kv}" for l in range(s.n_layers) for kv in ("key", "value")]
    # Traced with a non-empty past and several new tokens, so that both grow symbolically.
    t, past = 3, 2
    ids = torch.zeros(1, t, dtype=torch.long)
    pasts = [torch.zeros(1, s.n_heads, past, s.d_head) for _ in past_names]
    dynamic = {"input_ids": {1: "t"}}
    dynamic.update({n: {2: "past"} for n in past_names})
    dynamic.update({n: {2: "past_plus_t"} for n in present_names})
    with torch.no_grad():
        torch.onnx.export(Decoder(model), (ids, *pasts), os.path.join(out, "decoder.onnx"),
                          input_names=["input_ids", *past_names],
                          output_names=["logits", *present_names], dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True)
    names = hook_names(model, t)
    with torch.no_grad():
        torch.onnx.export(CachingForward(model, names), (ids,), os.path.join(out, "cache.onnx"),
                          input_names=["input_ids"], output_names=["logits", *names],
                          dynamic_axes={"input_ids": {1: "t"}}, opset_version=OPSET,
                          do_constant_folding=True)
    meta = {"n_layers": s.n_layers, "n_heads": s.n_heads, "d_head": s.d_head, "vocab_size": s.vocab_size,
            "past": past_names, "present": present_names, "hooks": names, "opset": OPSET,
            "torch": torch.__version__}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"wrote {out}/decoder.onnx, cache.onnx ({len(names)} hook outputs)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="HF GPT-2 checkpoint folder")
    ap.add_argument("--out", required=True, help="folder for the .onnx files")
    ap.add_argument("--force", action="store_true", help="export even if the files are up to date")
    args = ap.parse_args()
    if not args.force and up_to_date(args.model, args.out):
        print(f"{args.out} is up to date", file=sys.stderr)
        return
    export(args.model, args.out)


if __name__ == "__main__":
    main()
