"""A small PyTorch reference for Hugging Face's GPT-2 and Llama-family (Llama, Qwen2, Mistral)
causal LMs, written from scratch (transformers is not installed) to match its semantics.

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
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

try:  # a package import (training.hf_models) or a script beside it
    from .safetensors_io import load_checkpoint, save_checkpoint
except ImportError:
    from safetensors_io import load_checkpoint, save_checkpoint


# ---------------------------------------------------------------------------------------------
# Spec: the blueprint, mirroring src/engine/spec.ts's ModelSpec.
@dataclass(frozen=True)
class Spec:
    model_type: str  # 'gpt2' | 'llama' | 'qwen2' | 'mistral'
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int  # < n_heads means grouped-query attention
    d_head: int
    d_mlp: int
    vocab_size: int
    n_ctx: int
    norm_eps: float
    act: str  # GPT-2's 'gelu_new' (tanh approximation) or 'gelu'; SwiGLU's gate 'silu'
    qkv_bias: bool
    o_bias: bool
    tied: bool
    rope_theta: float = 10000.0
    rotary_layout: str = "half"  # HF's rotate_half; 'interleaved' pairs (2i, 2i+1) as llama2.c
    sliding_window: int | None = None

    @property
    def is_gpt2(self) -> bool:
        return self.model_type == "gpt2"


def spec_from_hf(cfg: dict, rotary_layout: str = "half") -> Spec:
    mt = cfg["model_type"]
    if mt == "gpt2":
        d = cfg["n_embd"]
        if cfg.get("scale_attn_by_inverse_layer_idx") or cfg.get("reorder_and_upcast_attn"):
            raise NotImplementedError("GPT-2 attention-scaling variants are not supported")
        return Spec(mt, cfg["n_layer"], d, cfg["n_head"], cfg["n_head"], d // cfg["n_head"],
                    cfg.get("n_inner") or 4 * d, cfg["vocab_size"],
                    cfg.get("n_positions", cfg.get("n_ctx", 1024)),
                    cfg.get("layer_norm_epsilon", 1e-5), cfg.get("activation_function", "gelu_new"),
                    qkv_bias=True, o_bias=True, tied=cfg.get("tie_word_embeddings", True))
    if mt not in ("llama", "qwen2", "mistral"):
        raise ValueError(f"unsupported model_type {mt!r}; supported: gpt2, llama, qwen2, mistral")
    if cfg.get("rope_scaling"):
        raise NotImplementedError("rope_scaling is not supported")
    d, h = cfg["hidden_size"], cfg["num_attention_heads"]
    bias = bool(cfg.get("attention_bias", False))
    window = cfg.get("sliding_window") if mt == "mistral" else None
    return Spec(mt, cfg["num_hidden_layers"], d, h, cfg.get("num_key_value_heads") or h,
                cfg.get("head_dim") or d // h, cfg["intermediate_size"], cfg["vocab_size"],
                cfg.get("max_position_embeddings", 2048), cfg.get("rms_norm_eps", 1e-6),
                cfg.get("hidden_act", "silu"), qkv_bias=mt == "qwen2" or bias, o_bias=bias,
                tied=cfg.get("tie_word_embeddings", False),
                rope_theta=float(cfg.get("rope_theta", 10000.0)), rotary_layout=rotary_layout,
                sliding_window=window)


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
# Layers.
class Conv1D(nn.Module):
    """GPT-2's linear layer: OpenAI stored the weight as [in, out], so y = x @ W + b."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        # As HF: normalise in float32, cast back, then scale.
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


ACTS = {"gelu_new": gelu_new, "gelu_pytorch_tanh": gelu_new, "gelu": F.gelu, "silu": F.silu}


def rotary_cos_sin(s: Spec, offset: int, t: int):
    """cos/sin of each position's angles, [t, d_head], laid out to match `apply_rotary`."""
    inv_freq = 1.0 / (s.rope_theta ** (torch.arange(0, s.d_head, 2).float() / s.d_head))
    freqs = torch.outer(torch.arange(offset, offset + t).float(), inv_freq)  # [t, d_head/2]
    if s.rotary_layout == "half":
        emb = torch.cat([freqs, freqs], dim=-1)  # pairs (i, i + d_head/2)
    else:
        emb = freqs.repeat_interleave(2, dim=-1)  # pairs (2i, 2i + 1)
    return emb.cos(), emb.sin()


def apply_rotary(x, cos, sin, layout: str):
    """x: [batch, heads, t, d_head]."""
    if layout == "half":
        x1, x2 = x.chunk(2, dim=-1)
        rotated = torch.cat([-x2, x1], dim=-1)  # HF's rotate_half
    else:
        x1, x2 = x[..., 0::2], x[..., 1::2]
        rotated = torch.stack([-x2, x1], dim=-1).flatten(-2)
    return x * cos + rotated * sin


class Attention(nn.Module):
    def __init__(self, s: Spec):
        super().__init__()
        self.s = s
        d, hq, hkv = s.d_model, s.n_heads * s.d_head, s.n_kv_heads * s.d_head
        if s.is_gpt2:
            self.c_attn = Conv1D(d, 3 * d)  # q | k | v along the output axis
            self.c_proj = Conv1D(d, d)
        else:
            self.q_proj = nn.Linear(d, hq, bias=s.qkv_bias)
            self.k_proj = nn.Linear(d, hkv, bias=s.qkv_bias)
            self.v_proj = nn.Linear(d, hkv, bias=s.qkv_bias)
            self.o_proj = nn.Linear(hq, d, bias=s.o_bias)

    def out_weight(self):
        """W_O as [heads*d_head, d_model] and its bias (or None)."""
        if self.s.is_gpt2:
            return self.c_proj.weight, self.c_proj.bias
        return self.o_proj.weight.t(), self.o_proj.bias

    def forward(self, x, l, hp, kv, rope):
        s, (b, t, _) = self.s, x.shape
        if s.is_gpt2:
            q, k, v = self.c_attn(x).split(s.d_model, dim=-1)
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        q = hp(f"blocks.{l}.attn.hook_q", q.view(b, t, s.n_heads, s.d_head))  # [b, t, h, dh]
        k = hp(f"blocks.{l}.attn.hook_k", k.view(b, t, s.n_kv_heads, s.d_head))  # [b, t, kvh, dh]
        v = hp(f"blocks.{l}.attn.hook_v", v.view(b, t, s.n_kv_heads, s.d_head))
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # [b, heads, t, dh]
        offset = kv.seen(l) if kv is not None else 0
        if rope is not None:
            q = apply_rotary(q, *rope, s.rotary_layout)
            k = apply_rotary(k, *rope, s.rotary_layout)
        if kv is not None:
            k, v = kv.append(l, k, v)  # [b, kvh, T, dh], T = offset + t
        # Grouped-query attention: query head i reads kv head i // (heads / kv_heads), as repeat_kv.
        rep = s.n_heads // s.n_kv_heads
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)  # [b, h, T, dh]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(s.d_head)  # [b, h, t, T]
        qpos = torch.arange(offset, offset + t)[:, None]
        kpos = torch.arange(k.shape[2])[None, :]
        masked = kpos > qpos
        if s.sliding_window:
            masked = masked | (qpos - kpos >= s.sliding_window)
        scores = scores.masked_fill(masked, torch.finfo(scores.dtype).min)
        pattern = hp(f"blocks.{l}.attn.hook_pattern", F.softmax(scores.float(), dim=-1).to(q.dtype))
        z = (pattern @ v).transpose(1, 2)  # [b, t, h, dh]
        z = hp(f"blocks.{l}.attn.hook_z", z)
        w_o, b_o = self.out_weight()  # [h*dh, d]
        name = f"blocks.{l}.attn.hook_result"
        if hp.wants(name):  # per-head outputs are costly: only when someone asks
            w_heads = w_o.view(s.n_heads, s.d_head, s.d_model)
            result = hp(name, torch.einsum("bthe,hed->bthd", z, w_heads))  # [b, t, h, d]
            out = result.sum(dim=2)
        else:
            out = z.reshape(b, t, s.n_heads * s.d_head) @ w_o
        return out if b_o is None else out + b_o  # [b, t, d]


class GeluMLP(nn.Module):
    def __init__(self, s: Spec):
        super().__init__()
        self.c_fc, self.c_proj, self.act = Conv1D(s.d_model, s.d_mlp), Conv1D(s.d_mlp, s.d_model), ACTS[s.act]

    def forward(self, x, l, hp):
        return self.c_proj(hp(f"blocks.{l}.mlp.hook_post", self.act(self.c_fc(x))))  # [b, t, d_mlp]


class SwiGLU(nn.Module):
    def __init__(self, s: Spec):
        super().__init__()
        self.gate_proj = nn.Linear(s.d_model, s.d_mlp, bias=False)
        self.up_proj = nn.Linear(s.d_model, s.d_mlp, bias=False)
        self.down_proj = nn.Linear(s.d_mlp, s.d_model, bias=False)
        self.act = ACTS[s.act]

    def forward(self, x, l, hp):
        post = self.act(self.gate_proj(x)) * self.up_proj(x)  # [b, t, d_mlp]
        return self.down_proj(hp(f"blocks.{l}.mlp.hook_post", post))


class Block(nn.Module):
    """Subclasses only name the four parts as HF does; the residual stream is shared."""

    def forward(self, x, l, hp, kv, rope):
        x = hp(f"blocks.{l}.hook_resid_pre", x)  # [b, t, d]
        h = hp(f"blocks.{l}.ln1.hook_normalized", self.norm1(x))
        attn_out = hp(f"blocks.{l}.hook_attn_out", self.attn_(h, l, hp, kv, rope))
        x = hp(f"blocks.{l}.hook_resid_mid", x + attn_out)
        h = hp(f"blocks.{l}.ln2.hook_normalized", self.norm2(x))
        mlp_out = hp(f"blocks.{l}.hook_mlp_out", self.mlp(h, l, hp))
        return hp(f"blocks.{l}.hook_resid_post", x + mlp_out)


class GPT2Block(Block):
    def __init__(self, s: Spec):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(s.d_model, eps=s.norm_eps), Attention(s)
        self.ln_2, self.mlp = nn.LayerNorm(s.d_model, eps=s.norm_eps), GeluMLP(s)

    norm1 = property(lambda self: self.ln_1)
    norm2 = property(lambda self: self.ln_2)
    attn_ = property(lambda self: self.attn)


class LlamaBlock(Block):
    def __init__(self, s: Spec):
        super().__init__()
        self.input_layernorm, self.self_attn = RMSNorm(s.d_model, s.norm_eps), Attention(s)
        self.post_attention_layernorm, self.mlp = RMSNorm(s.d_model, s.norm_eps), SwiGLU(s)

    norm1 = property(lambda self: self.input_layernorm)
    norm2 = property(lambda self: self.post_attention_layernorm)
    attn_ = property(lambda self: self.self_attn)


# ---------------------------------------------------------------------------------------------
# The model.
class CausalLM(nn.Module):
    """GPT2LMHeadModel or LlamaForCausalLM (also Qwen2, Mistral), with HF parameter names."""

    # Buffers some HF versions save that carry no weights (causal masks, rotary frequencies).
    IGNORED_SUFFIXES = (".attn.bias", ".attn.masked_bias", ".rotary_emb.inv_freq")

    def __init__(self, s: Spec, hf_config: dict):
        super().__init__()
        self.spec, self.hf_config = s, dict(hf_config)
        if s.is_gpt2:
            self.transformer = nn.Module()
            self.transformer.wte = nn.Embedding(s.vocab_size, s.d_model)
            self.transformer.wpe = nn.Embedding(s.n_ctx, s.d_model)
            self.transformer.h = nn.ModuleList(GPT2Block(s) for _ in range(s.n_layers))
            self.transformer.ln_f = nn.LayerNorm(s.d_model, eps=s.norm_eps)
        else:
            self.model = nn.Module()
            self.model.embed_tokens = nn.Embedding(s.vocab_size, s.d_model)
            self.model.layers = nn.ModuleList(LlamaBlock(s) for _ in range(s.n_layers))
            self.model.norm = RMSNorm(s.d_model, s.norm_eps)
        if not s.tied:  # tied models have no lm_head parameter at all, as HF saves them
            self.lm_head = nn.Linear(s.d_model, s.vocab_size, bias=False)

    @property
    def embed(self) -> nn.Embedding:
        return self.transformer.wte if self.spec.is_gpt2 else self.model.embed_tokens

    @property
    def blocks(self) -> nn.ModuleList:
        return self.transformer.h if self.spec.is_gpt2 else self.model.layers

    @property
    def final_norm(self) -> nn.Module:
        return self.transformer.ln_f if self.spec.is_gpt2 else self.model.norm

    @property
    def unembed_weight(self) -> torch.Tensor:  # [vocab, d_model]
        return self.embed.weight if self.spec.tied else self.lm_head.weight

    def forward(self, ids, hooks: Hooks | None = None, kv: KVCache | None = None, last_only=False):
        """ids: [batch, t] -> logits [batch, t, vocab] ([batch, 1, vocab] when last_only).
        With `kv`, ids continue the cached sequence and the cache grows by t."""
        s, hp = self.spec, hooks or NO_HOOKS
        t = ids.shape[1]
        offset = kv.length if kv is not None else 0
        if offset + t > s.n_ctx:
            raise ValueError(f"sequence of {offset + t} tokens exceeds n_ctx={s.n_ctx}")
        x = hp("hook_embed", self.embed(ids))  # [b, t, d]
        rope = None
        if s.is_gpt2:
            pos = self.transformer.wpe(torch.arange(offset, offset + t))[None].expand_as(x)
            x = x + hp("hook_pos_embed", pos)
        else:
            rope = rotary_cos_sin(s, offset, t)
        for l, block in enumerate(self.blocks):
            x = block(x, l, hp, kv, rope)
        if last_only:
            x = x[:, -1:]
        x = hp("ln_final.hook_normalized", self.final_norm(x))
        return x @ self.unembed_weight.t()  # [b, t, vocab]

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
        out_proj = ("c_proj.weight", "o_proj.weight", "down_proj.weight")
        for name, p in self.named_parameters():
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight", "norm.weight",
                              "layernorm.weight")):
                p.fill_(1.0)
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
        if self.spec.tied and "lm_head.weight" in sd:  # some tied checkpoints still store a copy
            extra = sd.pop("lm_head.weight")
            emb_key = "transformer.wte.weight" if self.spec.is_gpt2 else "model.embed_tokens.weight"
            if emb_key in sd and not torch.equal(extra.float(), sd[emb_key].float()):
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
