"""Layers of the PyTorch reference (see hf_models.py): the Spec, and GPT-2's and Llama's blocks
with Hugging Face's parameter names. Every activation passes through `hp(name, x)` with its
TransformerLens hook name; `hp` and `kv` are hf_models.Hooks and hf_models.KVCache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


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
        if rep > 1:
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
