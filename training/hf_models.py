"""A small PyTorch reference for Hugging Face's causal LMs of the families the engine runs (GPT-2;
Llama, Qwen2, Mistral; Gemma, Gemma 2; GPT-NeoX; Phi-3), written from scratch (transformers is
not installed) to match its semantics.

Parameters carry Hugging Face's names, so `state_dict()` loads from and saves to HF checkpoints
as is. Every intermediate activation passes through `hp(name, x)` with its TransformerLens hook
name, which can record it (`run_with_cache`) or replace it (`Hooks(fns=...)`).

    model = load_pretrained("tests/fixtures/reference/gpt2-tiny")
    logits, cache = model.run_with_cache(torch.tensor([[1, 2, 3]]))
    model.generate([1, 2, 3], 20)        # the next 20 greedy ids, with a KV cache
    model = from_config(cfg_dict); ...   # random init, then train; save_pretrained(model, dir)
"""

from __future__ import annotations

import json
import math
import os

import torch
from torch import nn

try:  # a package import (training.hf_models) or a script beside it
    from .hf_layers import Block, Norm, rotary_cos_sin
    from .hf_spec import Spec, spec_from_hf
    from .safetensors_io import load_checkpoint, save_checkpoint
except ImportError:
    from hf_layers import Block, Norm, rotary_cos_sin
    from hf_spec import Spec, spec_from_hf
    from safetensors_io import load_checkpoint, save_checkpoint

__all__ = ["CausalLM", "Hooks", "KVCache", "Spec", "from_config", "load_pretrained",
           "save_pretrained", "spec_from_hf"]


# ---------------------------------------------------------------------------------------------
# Hooks and KV cache: the per-call state, kept apart from the weights.
class Hooks:
    """`cache`: None (nothing), 'all', or a set of names to record; `fns`: name -> f(x, name)
    returning a replacement (or None to keep x). Recorded tensors keep their autograd graph."""

    def __init__(self, cache=None, fns=None):
        self.names = cache
        self.fns = fns or {}
        self.cache: dict[str, torch.Tensor] = {}

    def wants(self, name: str) -> bool:
        return name in self.fns or self.names == "all" or (bool(self.names) and name in self.names)

    def __call__(self, name: str, x: torch.Tensor) -> torch.Tensor:
        fn = self.fns.get(name)
        if fn is not None:
            y = fn(x, name)
            x = x if y is None else y
        if self.names == "all" or (self.names and name in self.names):
            self.cache[name] = x
        return x


NO_HOOKS = Hooks()


class KVCache:
    """Per layer, keys (after rotary) and values: [batch, kv_heads, seen, d_head]."""

    def __init__(self, n_layers: int):
        self.k: list[torch.Tensor | None] = [None] * n_layers
        self.v: list[torch.Tensor | None] = [None] * n_layers

    def seen(self, layer: int) -> int:
        """Positions cached for `layer` (layers fill one after another within a call)."""
        k = self.k[layer]
        return 0 if k is None else k.shape[2]

    @property
    def length(self) -> int:
        return self.seen(0)

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        if self.k[layer] is not None:
            k = torch.cat([self.k[layer], k], dim=2)
            v = torch.cat([self.v[layer], v], dim=2)
        self.k[layer], self.v[layer] = k, v
        return k, v


# ---------------------------------------------------------------------------------------------
# The model.
class CausalLM(nn.Module):
    """*ForCausalLM of the spec's family, with HF parameter names."""

    # Buffers some HF versions save that carry no weights (causal masks, rotary frequencies).
    IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias", ".attention.bias", ".attention.masked_bias",
                        ".rotary_emb.inv_freq")
    # Where each family keeps its body, and what it calls the parts.
    LAYOUT = {  # body, embedding, layers, final norm, untied unembedding
        "gpt2": ("transformer", "wte", "h", "ln_f", "lm_head"),
        "gpt_neox": ("gpt_neox", "embed_in", "layers", "final_layer_norm", "embed_out"),
    }
    LLAMA_LAYOUT = ("model", "embed_tokens", "layers", "norm", "lm_head")

    def __init__(self, s: Spec, hf_config: dict):
        super().__init__()
        self.spec, self.hf_config = s, dict(hf_config)
        body, emb, layers, norm, head = self.LAYOUT.get(s.model_type, self.LLAMA_LAYOUT)
        self.names = (body, emb, layers, norm, head)
        setattr(self, body, nn.Module())
        b = getattr(self, body)
        setattr(b, emb, nn.Embedding(s.vocab_size, s.d_model))
        if s.learned_pos:
            b.wpe = nn.Embedding(s.n_ctx, s.d_model)
        setattr(b, layers, nn.ModuleList(Block(s) for _ in range(s.n_layers)))
        setattr(b, norm, Norm(s.d_model, s.norm_eps, s.norm))
        if not s.tied:  # tied models have no unembedding parameter at all, as HF saves them
            setattr(self, head, nn.Linear(s.d_model, s.vocab_size, bias=False))

    @property
    def embed(self) -> nn.Embedding:
        return getattr(getattr(self, self.names[0]), self.names[1])

    @property
    def blocks(self) -> nn.ModuleList:
        return getattr(getattr(self, self.names[0]), self.names[2])

    @property
    def final_norm(self) -> nn.Module:
        return getattr(getattr(self, self.names[0]), self.names[3])

    @property
    def embed_key(self) -> str:
        return f"{self.names[0]}.{self.names[1]}.weight"

    @property
    def unembed_weight(self) -> torch.Tensor:  # [vocab, d_model]
        return self.embed.weight if self.spec.tied else getattr(self, self.names[4]).weight

    def forward(self, ids, hooks: Hooks | None = None, kv: KVCache | None = None, last_only=False):
        """ids: [batch, t] -> logits [batch, t, vocab] ([batch, 1, vocab] when last_only).
        With `kv`, ids continue the cached sequence and the cache grows by t."""
        s, hp = self.spec, hooks or NO_HOOKS
        t = ids.shape[1]
        offset = kv.length if kv is not None else 0
        if offset + t > s.n_ctx:
            raise ValueError(f"sequence of {offset + t} tokens exceeds n_ctx={s.n_ctx}")
        x = self.embed(ids)
        if s.embed_scale:  # Gemma: sqrt(d_model) rounded to the embedding dtype, as HF does
            x = x * torch.tensor(s.d_model**0.5, dtype=x.dtype)
        x = hp("hook_embed", x)  # [b, t, d]
        rope = None
        if s.learned_pos:
            pos = self.transformer.wpe(torch.arange(offset, offset + t))[None].expand_as(x)
            x = x + hp("hook_pos_embed", pos)
        else:
            rope = rotary_cos_sin(s, offset, t)
        for l, block in enumerate(self.blocks):
            x = block(x, l, hp, kv, rope)
        if last_only:
            x = x[:, -1:]
        x = hp("ln_final.hook_normalized", self.final_norm(x, hp, "ln_final"))
        logits = x @ self.unembed_weight.t()  # [b, t, vocab]
        if s.final_softcap:  # Gemma2ForCausalLM: logits = cap * tanh(logits / cap)
            logits = torch.tanh(logits / s.final_softcap) * s.final_softcap
        return logits

    def run_with_cache(self, ids, names="all", fns=None):
        """Returns (logits, {hook name: activation}) for `names` ('all' or a collection)."""
        hooks = Hooks(cache=names if names == "all" else set(names), fns=fns)
        logits = self(ids, hooks=hooks)
        return logits, hooks.cache

    @torch.no_grad()
    def generate(self, ids, n: int, use_cache: bool = True, hooks: Hooks | None = None) -> list[int]:
        """The next n greedy token ids after `ids` (list or 1-D tensor); batch 1."""
        seq = torch.as_tensor(list(ids) if not torch.is_tensor(ids) else ids).reshape(1, -1)
        kv = KVCache(self.spec.n_layers) if use_cache else None
        out: list[int] = []
        step_in = seq  # the prompt first, then one token per step
        for _ in range(n):
            logits = self(step_in if use_cache else seq, hooks=hooks, kv=kv, last_only=True)
            nxt = int(logits[0, -1].argmax())
            out.append(nxt)
            step_in = torch.tensor([[nxt]])
            seq = torch.cat([seq, step_in], dim=1)
        return out

    # -- weights ------------------------------------------------------------------------------
    @torch.no_grad()
    def init_weights(self, std: float = 0.02, seed: int | None = None, norm_noise: float = 0.0):
        """Normal(0, std) matrices and embeddings, output projections scaled by 1/sqrt(2 layers)
        as GPT-2 does, zero biases, unit norms; `norm_noise` perturbs norm weights and biases so
        that tests notice a forgotten one."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        out_proj = ("c_proj.weight", "o_proj.weight", "down_proj.weight", "dense.weight", "dense_4h_to_h.weight")
        norms = {id(p) for m in self.modules() if isinstance(m, Norm) for p in m.parameters()}
        for name, p in self.named_parameters():
            if id(p) in norms and name.endswith("weight"):
                p.fill_(0.0 if self.spec.norm == "rms1p" else 1.0)  # Gemma stores w for (1 + w)
                if norm_noise:
                    p.add_(torch.randn(p.shape, generator=gen) * norm_noise)
            elif p.dim() == 1:  # biases
                p.copy_(torch.randn(p.shape, generator=gen) * norm_noise if norm_noise else 0 * p)
            else:
                scale = std / math.sqrt(2 * self.spec.n_layers) if name.endswith(out_proj) else std
                p.copy_(torch.randn(p.shape, generator=gen) * scale)
        return self

    @torch.no_grad()
    def load_hf_state_dict(self, sd: dict[str, torch.Tensor]):
        """Copies an HF state dict (any float dtype, converted to float32) after checking every
        key and shape; all problems are listed at once."""
        sd = {k: v for k, v in sd.items() if not k.endswith(self.IGNORED_SUFFIXES)}
        own = self.state_dict()
        head = f"{self.names[4]}.weight"
        if self.spec.tied and head in sd:  # some tied checkpoints still store a copy
            extra = sd.pop(head)
            if self.embed_key in sd and not torch.equal(extra.float(), sd[self.embed_key].float()):
                raise ValueError("tie_word_embeddings is true but lm_head.weight differs from the embedding")
        missing = sorted(set(own) - set(sd))
        unexpected = sorted(set(sd) - set(own))
        bad = sorted(f"{k}: {list(sd[k].shape)} != {list(own[k].shape)}"
                     for k in set(own) & set(sd) if sd[k].shape != own[k].shape)
        if missing or unexpected or bad:
            raise ValueError(f"checkpoint mismatch; missing={missing} unexpected={unexpected} shape={bad}")
        for k, v in own.items():
            v.copy_(sd[k].float())
        return self


def from_config(cfg: dict, seed: int = 0, std: float | None = None, rotary_layout="half") -> CausalLM:
    """A randomly initialised model for an HF config dict (std defaults to initializer_range)."""
    model = CausalLM(spec_from_hf(cfg, rotary_layout), cfg)
    return model.init_weights(std if std is not None else cfg.get("initializer_range", 0.02), seed)


def load_pretrained(folder: str, rotary_layout: str = "half") -> CausalLM:
    """config.json + model.safetensors (or sharded) -> model in float32, eval mode."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    model = CausalLM(spec_from_hf(cfg, rotary_layout), cfg)
    return model.load_hf_state_dict(load_checkpoint(folder)).eval()


DTYPE_NAMES = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}


def save_pretrained(model: CausalLM, folder: str, dtype=torch.float32, shards: int = 1) -> list[str]:
    """Writes config.json and the weights in HF layout (tied lm_head omitted). Returns files."""
    os.makedirs(folder, exist_ok=True)
    cfg = dict(model.hf_config, torch_dtype=DTYPE_NAMES[dtype])
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    tensors = {k: v.detach().to(dtype) for k, v in model.state_dict().items()}
    return ["config.json"] + save_checkpoint(folder, tensors, shards)
