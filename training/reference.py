"""Writes the golden fixtures the engine's tests compare against (DESIGN.md, "Testing").

    /usr/bin/python3 training/reference.py

Deterministic: fixed seeds, CPU, float32. Everything lands in tests/fixtures/reference/:

    gpt2-tiny/  llama-gqa/  qwen2-tiny/         config.json, model.safetensors (F32), golden.*
    gemma-tiny/  gemma2-tiny/  pythia-tiny/     one per family and feature (see FAMILY_FIXTURES):
    neox-sequential/  phi3-tiny/                every switch the family has is on and active
    llama3-rope-bias/  llama-rope-linear/       (checked by switching it off: logits must move)
    mistral-window/  qwen2-window/
    gpt2-tiny-f16/  llama-gqa-bf16/             the same weights stored F16 / BF16, and a golden
                                                computed from the rounded weights
    llama-gqa-sharded/                          F32 in two shards + model.safetensors.index.json
    llama-gqa-interleaved-golden/               golden of llama-gqa's weights run with the
                                                interleaved rotary layout (no weights here)
    stories260K-golden/                         golden of ../shared/reference/stories260K

golden.safetensors holds F32 `logits.{i}` [seq, vocab] for every sequence i and `acts.{i}.{hook}`
(batch dim dropped) for the sequence named in golden.json's "acts_sequences".
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataclasses  # noqa: E402

from hf_models import CausalLM, load_pretrained, save_pretrained, spec_from_hf  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "fixtures", "reference")
STORIES = os.path.join(REPO, "..", "shared", "reference", "stories260K")

GPT2 = {
    "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 300,
    "n_positions": 64, "n_embd": 48, "n_layer": 3, "n_head": 4, "n_inner": None,
    "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "initializer_range": 0.02,
    "tie_word_embeddings": True, "bos_token_id": 0, "eos_token_id": 0, "torch_dtype": "float32",
}
LLAMA = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 160,
    "hidden_size": 64, "intermediate_size": 176, "num_hidden_layers": 3,
    "num_attention_heads": 8, "num_key_value_heads": 2, "max_position_embeddings": 128,
    "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu",
    "tie_word_embeddings": False, "attention_bias": False, "initializer_range": 0.02,
    "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
}
QWEN2 = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 200,
    "hidden_size": 32, "intermediate_size": 80, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
    "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "hidden_act": "silu",
    "tie_word_embeddings": True, "use_sliding_window": False, "initializer_range": 0.02,
    "bos_token_id": 3, "eos_token_id": [4, 5], "torch_dtype": "float32",
}

BASE = {"initializer_range": 0.02, "torch_dtype": "float32", "max_position_embeddings": 64,
        "rope_theta": 10000.0}
# Small shapes, every feature of the family switched on, and sized so that it acts on the test
# sequences (7 and 24 tokens, 27 while generating): windows shorter than 7, caps below the
# scores' and logits' range, rope scaling whose original context is shorter than 24.
FAMILY_FIXTURES = {
    "gemma-tiny": (dict(BASE, architectures=["GemmaForCausalLM"], model_type="gemma", vocab_size=200,
                        hidden_size=32, intermediate_size=72, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=1, head_dim=12, rms_norm_eps=1e-6,
                        hidden_activation="gelu_pytorch_tanh", hidden_act="gelu",
                        tie_word_embeddings=True, bos_token_id=2, eos_token_id=1, pad_token_id=0),
                   dict(seed=4, std=0.5), {}),
    "gemma2-tiny": (dict(BASE, architectures=["Gemma2ForCausalLM"], model_type="gemma2", vocab_size=200,
                         hidden_size=32, intermediate_size=64, num_hidden_layers=4, num_attention_heads=4,
                         num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=24, sliding_window=5,
                         attn_logit_softcapping=4.0, final_logit_softcapping=1.0, rms_norm_eps=1e-6,
                         hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True,
                         bos_token_id=2, eos_token_id=[1, 107], pad_token_id=0),
                    # Small token embeddings: sqrt(d) times tied ones otherwise swamp the
                    # post-normed sublayers and greedy decoding repeats the last token.
                    dict(seed=7, std=0.5, embed_gain=0.1),
                    {"sliding_window": None, "attn_softcap": None, "final_softcap": None}),
    "pythia-tiny": (dict(BASE, architectures=["GPTNeoXForCausalLM"], model_type="gpt_neox", vocab_size=200,
                         hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                         rotary_pct=0.25, rotary_emb_base=10000, layer_norm_eps=1e-5, hidden_act="gelu",
                         use_parallel_residual=True, tie_word_embeddings=False, bos_token_id=0,
                         eos_token_id=0),
                    dict(seed=6, std=0.3), {"parallel_residual": False, "rotary_dim": 16}),
    "neox-sequential": (dict(BASE, architectures=["GPTNeoXForCausalLM"], model_type="gpt_neox",
                             vocab_size=120, hidden_size=32, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=2, rotary_pct=0.5, rope_theta=1000.0, layer_norm_eps=1e-5,
                             hidden_act="gelu", use_parallel_residual=False, attention_bias=True,
                             tie_word_embeddings=False, bos_token_id=0, eos_token_id=0),
                        dict(seed=7, std=0.3), {"parallel_residual": True}),
    "phi3-tiny": (dict(BASE, architectures=["Phi3ForCausalLM"], model_type="phi3", vocab_size=200,
                       hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=6,
                       num_key_value_heads=2, sliding_window=6, rms_norm_eps=1e-5, hidden_act="silu",
                       rope_scaling=None, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
                       original_max_position_embeddings=64),
                  dict(seed=8, std=0.3), {"sliding_window": None}),
    "llama3-rope-bias": (dict(BASE, architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=160,
                              hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2, rope_theta=500.0,
                              rms_norm_eps=1e-5, hidden_act="silu", attention_bias=True, mlp_bias=True,
                              rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                            "high_freq_factor": 4.0, "original_max_position_embeddings": 16},
                              tie_word_embeddings=True, bos_token_id=1, eos_token_id=[2, 3]),
                         dict(seed=9, std=0.3), {"rope_scaling": None}),
    "llama-rope-linear": (dict(BASE, architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=160,
                               hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                               num_attention_heads=4, num_key_value_heads=4, rms_norm_eps=1e-5,
                               hidden_act="silu", rope_scaling={"type": "linear", "factor": 4.0},
                               tie_word_embeddings=False, bos_token_id=1, eos_token_id=2),
                          dict(seed=10, std=0.3), {"rope_scaling": None}),
    "mistral-window": (dict(BASE, architectures=["MistralForCausalLM"], model_type="mistral", vocab_size=160,
                            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                            num_key_value_heads=2, sliding_window=4, rms_norm_eps=1e-5, hidden_act="silu",
                            tie_word_embeddings=False, bos_token_id=1, eos_token_id=2),
                       dict(seed=11, std=0.3), {"sliding_window": None}),
    # Qwen2 with use_sliding_window: the window on the layers from max_window_layers on (here the
    # second of two), as Qwen2Config's layer_types derives it.
    "qwen2-window": (dict(BASE, architectures=["Qwen2ForCausalLM"], model_type="qwen2", vocab_size=160,
                          hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=2, use_sliding_window=True, sliding_window=4,
                          max_window_layers=1, rms_norm_eps=1e-6, hidden_act="silu",
                          tie_word_embeddings=False, bos_token_id=1, eos_token_id=2),
                     dict(seed=12, std=0.3), {"sliding_window": None, "sliding_layers": (0, 1)}),
}


def block_points(s) -> list[str]:
    """Every hook point of a block of this spec, in forward order (hooks.ts's blockPoints)."""
    pts = ["hook_resid_pre", "ln1.hook_scale", "ln1.hook_normalized", "attn.hook_q", "attn.hook_k",
           "attn.hook_v"]
    if not s.learned_pos:
        pts += ["attn.hook_rot_q", "attn.hook_rot_k"]
    pts += ["attn.hook_attn_scores", "attn.hook_pattern", "attn.hook_z", "attn.hook_result"]
    if s.post_norms:
        pts += ["ln1_post.hook_scale", "ln1_post.hook_normalized"]
    pts += ["hook_attn_out"] + ([] if s.parallel_residual else ["hook_resid_mid"])
    pts += ["ln2.hook_scale", "ln2.hook_normalized", "mlp.hook_pre"]
    pts += (["mlp.hook_pre_linear"] if s.gated else []) + ["mlp.hook_post"]
    if s.post_norms:
        pts += ["ln2_post.hook_scale", "ln2_post.hook_normalized"]
    return pts + ["hook_mlp_out", "hook_resid_post"]


# Layer 0 gets every hook point; the last layer the residual-stream ones and its attention.
BRIEF = ["hook_resid_pre", "hook_attn_out", "attn.hook_attn_scores", "attn.hook_z", "hook_mlp_out",
         "hook_resid_post"]
ACTS_SEQUENCE = 1  # activations for the 7-token sequence keep the fixtures small

NOTE = (
    "Computed in float32 on CPU by training/hf_models.py (PyTorch "
    f"{torch.__version__}), a from-scratch reimplementation of Hugging Face transformers' "
    "GPT-2 / Llama / Qwen2 / Mistral / Gemma / Gemma 2 / GPT-NeoX / Phi-3 forward. Expect agreement within ~1e-4 absolute on logits and "
    "activations (float32 summation order differs between engines); greedy tokens must match "
    "exactly. Hook semantics: hook_q/k/v are before rotary, k/v have the key/value heads; "
    "hook_pattern is the softmax [head, q, k]; hook_result is z_h @ W_O[h] without b_O; "
    "ln*.hook_normalized is the norm's full output (times weight, plus bias for LayerNorm; "
    "RMSNorm included, unlike TransformerLens' RMSNorm); hook_resid_post is un-normed; "
    "mlp.hook_post is act(gate)*up for gated MLPs, mlp.hook_pre the gate's (or plain MLP's) "
    "pre-activation and mlp.hook_pre_linear the up projection; ln*.hook_scale is the norm's "
    "divisor sqrt(mean(x^2) + eps) (x centred for LayerNorm); hook_rot_q/k are after rotary; "
    "hook_attn_scores are scaled, soft-capped and masked with -inf (TransformerLens); Gemma's "
    "norm weights are stored as HF has them (w, applied as 1 + w)."
)


def hook_names(s) -> list[str]:
    names = ["hook_embed"] + (["hook_pos_embed"] if s.learned_pos else [])
    names += [f"blocks.0.{p}" for p in block_points(s)]
    names += [f"blocks.{s.n_layers - 1}.{p}" for p in BRIEF]
    return names + ["ln_final.hook_scale", "ln_final.hook_normalized"]


def sequences(vocab: int, seed: int, bos: int | None) -> list[list[int]]:
    """Three sequences of lengths 1, 7 and 24; they start with BOS when the model has one."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for n in (1, 7, 24):
        ids = torch.randint(0, vocab, (n,), generator=g).tolist()
        if bos is not None:
            ids[0] = bos
        out.append(ids)
    return out


@torch.no_grad()
def write_golden(model: CausalLM, folder: str, seqs: list[list[int]], prompt: list[int], extra=None):
    os.makedirs(folder, exist_ok=True)
    s = model.spec
    names = hook_names(s)
    tensors: dict[str, torch.Tensor] = {}
    for i, ids in enumerate(seqs):
        logits, cache = model.run_with_cache(torch.tensor([ids]), names=names)
        tensors[f"logits.{i}"] = logits[0].contiguous()
        if i == ACTS_SEQUENCE:
            tensors.update({f"acts.{i}.{n}": cache[n][0].contiguous() for n in names})
    greedy = model.generate(prompt, 20)
    assert greedy == model.generate(prompt, 20, use_cache=False), "KV cache changes greedy output"
    # How far the chosen token led the runner-up at each step: a backend with less precision
    # than this (WebGL's float16 textures) may legitimately pick another token.
    steps = model(torch.tensor([prompt + greedy]))[0, len(prompt) - 1 : -1].topk(2, dim=-1).values
    margin = (steps[:, 0] - steps[:, 1]).min().item()
    write_safetensors(os.path.join(folder, "golden.safetensors"), tensors)
    meta = {
        "sequences": seqs,
        "acts_sequences": [ACTS_SEQUENCE],
        "greedy": {"prompt": prompt, "tokens": greedy, "min_logit_margin": round(margin, 5)},
        "hooks": names,
        "rotary_layout": s.rotary_layout if not s.learned_pos else None,
        "tolerance_note": NOTE,
        **(extra or {}),
    }
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return tensors, greedy


def summarize(name: str, folder: str, tensors, greedy, strict=True):
    size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    lg = tensors["logits.2"]
    spread = (lg.max(-1).values - lg.min(-1).values).mean().item()
    print(f"{name:30s} {size / 1024:7.1f} KB  logits std {lg.std().item():5.2f} "
          f"range/pos {spread:5.1f}  greedy {greedy}")
    if len(set(greedy)) < 4:
        # Random fixtures must exercise argmax; for an external checkpoint it is only news.
        assert not strict, f"{name}: greedy continuation is degenerate: {greedy}"
        print(f"  WARNING {name}: greedy continuation is degenerate (few distinct tokens)")


def build(cfg: dict, seed: int, std: float) -> CausalLM:
    # Non-trivial norm weights and biases, so that an engine that forgets one fails the golden;
    # std well above HF's 0.02 so that logits spread over several units.
    return CausalLM(spec_from_hf(cfg), cfg).init_weights(std=std, seed=seed, norm_noise=0.2).eval()


def fixture(name: str, model: CausalLM, dtype=torch.float32, shards: int = 1, seed: int = 0):
    """Saves weights, reloads them (so rounding to F16/BF16 is what the golden sees), writes
    the golden."""
    folder = os.path.join(OUT, name)
    shutil.rmtree(folder, ignore_errors=True)
    save_pretrained(model, folder, dtype=dtype, shards=shards)
    reloaded = load_pretrained(folder)
    cfg = reloaded.hf_config
    seqs = sequences(cfg["vocab_size"], seed, cfg.get("bos_token_id") if not reloaded.spec.is_gpt2 else None)
    tensors, greedy = write_golden(reloaded, folder, seqs, seqs[1])
    summarize(name, folder, tensors, greedy)
    return reloaded


@torch.no_grad()
def assert_active(name: str, model: CausalLM, off: dict):
    """Each feature the fixture is for changes the 24-token logits when switched off; a golden
    that passes with the feature ignored would prove nothing."""
    ids = torch.tensor([sequences(model.spec.vocab_size, 0, None)[2]])
    base = model(ids)
    for field, value in off.items():
        variant = CausalLM(dataclasses.replace(model.spec, **{field: value}), model.hf_config).eval()
        variant.load_state_dict(model.state_dict())
        moved = (variant(ids) - base).abs().max().item()
        print(f"  {name}: {field}={value} moves the logits by up to {moved:.3f}")
        assert moved > 1e-2, f"{name}: {field} is not active in this fixture"


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    print(f"writing {OUT}")
    gpt2 = build(GPT2, seed=1, std=0.3)
    fixture("gpt2-tiny", gpt2, seed=11)
    fixture("gpt2-tiny-f16", gpt2, dtype=torch.float16, seed=11)
    llama = build(LLAMA, seed=2, std=0.3)
    llama = fixture("llama-gqa", llama, seed=12)
    fixture("llama-gqa-bf16", llama, dtype=torch.bfloat16, seed=12)
    fixture("llama-gqa-sharded", llama, shards=2, seed=12)
    qwen = build(QWEN2, seed=3, std=0.35)
    fixture("qwen2-tiny", qwen, seed=13)
    for name, (cfg, init, off) in FAMILY_FIXTURES.items():
        model = build(cfg, seed=init["seed"], std=init["std"])
        with torch.no_grad():
            model.embed.weight.mul_(init.get("embed_gain", 1.0))
        model = fixture(name, model, seed=init["seed"] + 20)
        assert_active(name, model, off)

    # The same llama weights under the other rotary layout: tests the engine's interleaved path.
    inter = load_pretrained(os.path.join(OUT, "llama-gqa"), rotary_layout="interleaved")
    folder = os.path.join(OUT, "llama-gqa-interleaved-golden")
    shutil.rmtree(folder, ignore_errors=True)
    seqs = sequences(LLAMA["vocab_size"], 12, LLAMA["bos_token_id"])
    t, g = write_golden(inter, folder, seqs, seqs[1], {"weights": "../llama-gqa"})
    summarize("llama-gqa-interleaved-golden", folder, t, g)

    if not os.path.isdir(STORIES):
        print(f"SKIPPED stories260K-golden: {os.path.normpath(STORIES)} is absent")
    else:
        stories = load_pretrained(STORIES)
        folder = os.path.join(OUT, "stories260K-golden")
        shutil.rmtree(folder, ignore_errors=True)
        seqs = [[1], [1, 403, 280, 461, 306, 295, 341], sequences(512, 14, 1)[2]]
        # Greedy from BOS alone, as llama2.c's own test does ([1, 403] just repeats one token).
        t, g = write_golden(stories, folder, seqs, [1],
                            {"weights": "../shared/reference/stories260K (relative to the repo root)"})
        summarize("stories260K-golden", folder, t, g, strict=False)
        print(f"  stories260K greedy after [1, 403]: {stories.generate([1, 403], 20)}")

    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"total {total / 1024:.1f} KB")
    check_roundtrip()


def check_roundtrip():
    """Every fixture reads back with the reader, and goldens reproduce from the saved weights."""
    for name in sorted(os.listdir(OUT)):
        folder = os.path.join(OUT, name)
        golden = read_safetensors(os.path.join(folder, "golden.safetensors"))
        with open(os.path.join(folder, "golden.json")) as f:
            meta = json.load(f)
        weights = folder if os.path.exists(os.path.join(folder, "config.json")) else None
        if weights is None:
            weights = STORIES if name.startswith("stories") else os.path.join(OUT, "llama-gqa")
        if not os.path.isdir(weights):
            print(f"round trip: skipped {name} ({os.path.normpath(weights)} is absent)")
            continue
        model = load_pretrained(weights, rotary_layout=meta.get("rotary_layout") or "half")
        with torch.no_grad():
            for i, ids in enumerate(meta["sequences"]):
                want = golden[f"logits.{i}"]
                # Same hooks, same arithmetic: bit-exact. Plain forward (no per-head result):
                # only float32 rounding apart.
                got, cache = model.run_with_cache(torch.tensor([ids]), names=meta["hooks"])
                assert torch.equal(got[0], want), f"{name}: logits.{i} differ after reload"
                plain = (model(torch.tensor([ids]))[0] - want).abs().max().item()
                assert plain < 1e-4, f"{name}: plain forward differs by {plain}"
                if i in meta["acts_sequences"]:
                    for h in meta["hooks"]:
                        assert torch.equal(cache[h][0], golden[f"acts.{i}.{h}"]), f"{name}: {h}"
        assert model.generate(meta["greedy"]["prompt"], 20) == meta["greedy"]["tokens"]
    print("round trip: every fixture reloads and reproduces its golden exactly")


if __name__ == "__main__":
    main()
