"""Layers of the PyTorch reference (see hf_models.py), with Hugging Face's parameter names for each
family (hf_spec.py). Every activation passes through `hp(name, x)` with its TransformerLens hook
name; `hp` and `kv` are hf_models.Hooks and hf_models.KVCache.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

try:
    from .hf_spec import Spec, inv_freq
except ImportError:
    from hf_spec import Spec, inv_freq


# ---------------------------------------------------------------------------------------------
# Norms. TransformerLens' hook_scale is the divisor [b, t, 1]; our hook_normalized is the norm's
# whole output (weight and bias applied), see reference.py's NOTE.
class Norm(nn.Module):
    """LayerNorm ('layer'), RMSNorm ('rms') or Gemma's RMSNorm with (1 + weight) ('rms1p')."""

    def __init__(self, d: int, eps: float, kind: str):
        super().__init__()
        self.kind, self.eps = kind, eps
        self.weight = nn.Parameter(torch.zeros(d) if kind == "rms1p" else torch.ones(d))
        if kind == "layer":
            self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x, hp=None, prefix: str | None = None):
        h = x.float()  # as HF: normalise in float32
        if self.kind == "layer":
            h = h - h.mean(-1, keepdim=True)
        ms = h.pow(2).mean(-1, keepdim=True) + self.eps
        name = f"{prefix}.hook_scale"
        # As HF (x * rsqrt) unless the scale is observed or replaced, as the engine does.
        h = h / hp(name, ms.sqrt()) if hp is not None and hp.wants(name) else h * torch.rsqrt(ms)
        if self.kind == "layer":
            return (h * self.weight + self.bias).to(x.dtype)
        if self.kind == "rms1p":
            return (h * (1.0 + self.weight.float())).to(x.dtype)
        return self.weight * h.to(x.dtype)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


ACTS = {"gelu_new": gelu_new, "gelu_pytorch_tanh": gelu_new, "gelu": F.gelu, "silu": F.silu}


class Conv1D(nn.Module):
    """GPT-2's linear layer: OpenAI stored the weight as [in, out], so y = x @ W + b."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


# ---------------------------------------------------------------------------------------------
# Rotary positions.
def rotary_cos_sin(s: Spec, offset: int, t: int):
    """cos/sin of each position's angles, [t, rotary_dim], laid out to match `apply_rotary`."""
    freqs = torch.outer(torch.arange(offset, offset + t).float(), inv_freq(s))  # [t, dim/2]
    if s.rotary_layout == "half":
        emb = torch.cat([freqs, freqs], dim=-1)  # pairs (i, i + dim/2)
    else:
        emb = freqs.repeat_interleave(2, dim=-1)  # pairs (2i, 2i + 1)
    return emb.cos(), emb.sin()


def apply_rotary(x, cos, sin, layout: str):
    """x: [batch, heads, t, d_head]; the first cos.shape[-1] dims rotate, the rest pass."""
    dim = cos.shape[-1]
    rot, rest = x[..., :dim], x[..., dim:]
    if layout == "half":
        x1, x2 = rot.chunk(2, dim=-1)
        rotated = torch.cat([-x2, x1], dim=-1)  # HF's rotate_half
    else:
        x1, x2 = rot[..., 0::2], rot[..., 1::2]
        rotated = torch.stack([-x2, x1], dim=-1).flatten(-2)
    return torch.cat([rot * cos + rotated * sin, rest], dim=-1)


# ---------------------------------------------------------------------------------------------
# Attention: one computation, four ways of storing the projections.
class Attention(nn.Module):
    def __init__(self, s: Spec):
        super().__init__()
        self.s = s
        d, hq, hkv = s.d_model, s.n_heads * s.d_head, s.n_kv_heads * s.d_head
        if s.is_gpt2:
            self.c_attn = Conv1D(d, 3 * d)  # q | k | v along the output axis
            self.c_proj = Conv1D(d, d)
        elif s.model_type == "gpt_neox":
            self.query_key_value = nn.Linear(d, 3 * hq, bias=s.qkv_bias)  # per head [q, k, v]
            self.dense = nn.Linear(hq, d, bias=s.o_bias)
        elif s.model_type == "phi3":
            self.qkv_proj = nn.Linear(d, hq + 2 * hkv, bias=False)  # q | k | v
            self.o_proj = nn.Linear(hq, d, bias=False)
        else:
            self.q_proj = nn.Linear(d, hq, bias=s.qkv_bias)
            self.k_proj = nn.Linear(d, hkv, bias=s.qkv_bias)
            self.v_proj = nn.Linear(d, hkv, bias=s.qkv_bias)
            self.o_proj = nn.Linear(hq, d, bias=s.o_bias)

    def out_weight(self):
        """W_O as [heads*d_head, d_model] and its bias (or None)."""
        if self.s.is_gpt2:
            return self.c_proj.weight, self.c_proj.bias
        o = self.dense if self.s.model_type == "gpt_neox" else self.o_proj
        return o.weight.t(), o.bias

    def project(self, x):
        """q [b, t, heads, dh], k and v [b, t, kv_heads, dh]."""
        s, (b, t, _) = self.s, x.shape
        hq, hkv = s.n_heads * s.d_head, s.n_kv_heads * s.d_head
        if s.is_gpt2:
            q, k, v = self.c_attn(x).split(s.d_model, dim=-1)
        elif s.model_type == "gpt_neox":
            # modeling_gpt_neox: qkv.view(b, t, heads, 3 * head_size), then q, k, v per head.
            q, k, v = self.query_key_value(x).view(b, t, s.n_heads, 3 * s.d_head).split(s.d_head, dim=-1)
        elif s.model_type == "phi3":
            q, k, v = self.qkv_proj(x).split([hq, hkv, hkv], dim=-1)
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        return (q.reshape(b, t, s.n_heads, s.d_head), k.reshape(b, t, s.n_kv_heads, s.d_head),
                v.reshape(b, t, s.n_kv_heads, s.d_head))

    def forward(self, x, l, hp, kv, rope):
        s, (b, t, _) = self.s, x.shape
        q, k, v = self.project(x)
        q = hp(f"blocks.{l}.attn.hook_q", q)  # [b, t, h, dh], before rotary
        k = hp(f"blocks.{l}.attn.hook_k", k)  # [b, t, kvh, dh]
        v = hp(f"blocks.{l}.attn.hook_v", v)
        if rope is not None:
            q = apply_rotary(q.transpose(1, 2), *rope, s.rotary_layout).transpose(1, 2)
            k = apply_rotary(k.transpose(1, 2), *rope, s.rotary_layout).transpose(1, 2)
            q = hp(f"blocks.{l}.attn.hook_rot_q", q)
            k = hp(f"blocks.{l}.attn.hook_rot_k", k)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # [b, heads, t, dh]
        offset = kv.seen(l) if kv is not None else 0
        if kv is not None:
            k, v = kv.append(l, k, v)  # [b, kvh, T, dh], T = offset + t
        # Grouped-query attention: query head i reads kv head i // (heads / kv_heads), as repeat_kv.
        rep = s.n_heads // s.n_kv_heads
        if rep > 1:
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)  # [b, h, T, dh]
        scale = s.attn_scale if s.attn_scale is not None else 1 / math.sqrt(s.d_head)
        scores = (q @ k.transpose(-1, -2)) * scale  # [b, h, t, T]
        if s.attn_softcap:
            scores = torch.tanh(scores / s.attn_softcap) * s.attn_softcap
        qpos = torch.arange(offset, offset + t)[:, None]
        kpos = torch.arange(k.shape[2])[None, :]
        masked = kpos > qpos
        window = s.window_at(l)
        if window:
            masked = masked | (qpos - kpos >= window)
        # -inf as TransformerLens' hook_attn_scores has it (softmax gives the same as HF's finfo.min).
        scores = hp(f"blocks.{l}.attn.hook_attn_scores", scores.masked_fill(masked, float("-inf")))
        pattern = hp(f"blocks.{l}.attn.hook_pattern", F.softmax(scores.float(), dim=-1).to(q.dtype))
        z = hp(f"blocks.{l}.attn.hook_z", (pattern @ v).transpose(1, 2))  # [b, t, h, dh]
        w_o, b_o = self.out_weight()  # [h*dh, d]
        name = f"blocks.{l}.attn.hook_result"
        if hp.wants(name):  # per-head outputs are costly: only when someone asks
            w_heads = w_o.view(s.n_heads, s.d_head, s.d_model)
            result = hp(name, torch.einsum("bthe,hed->bthd", z, w_heads))  # [b, t, h, d]
            out = result.sum(dim=2)
        else:
            out = z.reshape(b, t, s.n_heads * s.d_head) @ w_o
        return out if b_o is None else out + b_o  # [b, t, d]


# ---------------------------------------------------------------------------------------------
# MLPs: plain (GPT-2's Conv1D, GPT-NeoX's Linear) or gated (separate or Phi-3's fused gate_up).
class MLP(nn.Module):
    def __init__(self, s: Spec):
        super().__init__()
        self.s, self.act = s, ACTS[s.act]
        d, m = s.d_model, s.d_mlp
        if s.is_gpt2:
            self.c_fc, self.c_proj = Conv1D(d, m), Conv1D(m, d)
        elif s.model_type == "gpt_neox":
            self.dense_h_to_4h, self.dense_4h_to_h = nn.Linear(d, m), nn.Linear(m, d)
        elif s.model_type == "phi3":
            self.gate_up_proj = nn.Linear(d, 2 * m, bias=False)  # gate | up
            self.down_proj = nn.Linear(m, d, bias=False)
        else:
            self.gate_proj = nn.Linear(d, m, bias=s.mlp_bias)
            self.up_proj = nn.Linear(d, m, bias=s.mlp_bias)
            self.down_proj = nn.Linear(m, d, bias=s.mlp_bias)

    def forward(self, x, l, hp):
        s, p = self.s, f"blocks.{l}.mlp"
        if s.is_gpt2 or s.model_type == "gpt_neox":
            fc, out = (self.c_fc, self.c_proj) if s.is_gpt2 else (self.dense_h_to_4h, self.dense_4h_to_h)
            post = self.act(hp(f"{p}.hook_pre", fc(x)))
            return out(hp(f"{p}.hook_post", post))  # [b, t, d_mlp] -> [b, t, d]
        if s.model_type == "phi3":
            gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
        else:
            gate, up = self.gate_proj(x), self.up_proj(x)
        pre, lin = hp(f"{p}.hook_pre", gate), hp(f"{p}.hook_pre_linear", up)
        return self.down_proj(hp(f"{p}.hook_post", self.act(pre) * lin))


# ---------------------------------------------------------------------------------------------
# The block: names of the parts per family; the residual stream is shared.
NORM_NAMES = {  # our norm -> HF module name
    "gpt2": {"ln1": "ln_1", "ln2": "ln_2"},
    "gpt_neox": {"ln1": "input_layernorm", "ln2": "post_attention_layernorm"},
    # Gemma 2 names its post-attention norm like Llama's pre-MLP norm: TransformerLens calls them
    # ln1_post (after attention) and ln2 (pre_feedforward_layernorm).
    "gemma2": {"ln1": "input_layernorm", "ln1_post": "post_attention_layernorm",
               "ln2": "pre_feedforward_layernorm", "ln2_post": "post_feedforward_layernorm"},
}
LLAMA_NORMS = {"ln1": "input_layernorm", "ln2": "post_attention_layernorm"}


class Block(nn.Module):
    def __init__(self, s: Spec):
        super().__init__()
        self.s = s
        self.names = NORM_NAMES.get(s.model_type, LLAMA_NORMS)
        # Registered in forward order (parameter order decides the random init's draws).
        self.add_norm("ln1")
        attn = "attn" if s.is_gpt2 else "attention" if s.model_type == "gpt_neox" else "self_attn"
        setattr(self, attn, Attention(s))
        self.attn_name = attn
        if s.post_norms:
            self.add_norm("ln1_post")
        self.add_norm("ln2")
        self.mlp = MLP(s)
        if s.post_norms:
            self.add_norm("ln2_post")

    @property
    def attn_(self) -> Attention:
        return getattr(self, self.attn_name)

    def add_norm(self, ours):
        setattr(self, self.names[ours], Norm(self.s.d_model, self.s.norm_eps, self.s.norm))

    def norm(self, ours, x, l, hp):
        out = getattr(self, self.names[ours])(x, hp, f"blocks.{l}.{ours}")
        return hp(f"blocks.{l}.{ours}.hook_normalized", out)

    def forward(self, x, l, hp, kv, rope):
        x = hp(f"blocks.{l}.hook_resid_pre", x)  # [b, t, d]
        attn_out = self.attn_(self.norm("ln1", x, l, hp), l, hp, kv, rope)
        if self.s.post_norms:
            attn_out = self.norm("ln1_post", attn_out, l, hp)
        attn_out = hp(f"blocks.{l}.hook_attn_out", attn_out)
        if self.s.parallel_residual:  # modeling_gpt_neox: mlp_output + attn_output + hidden_states
            mlp_out = hp(f"blocks.{l}.hook_mlp_out", self.mlp(self.norm("ln2", x, l, hp), l, hp))
            return hp(f"blocks.{l}.hook_resid_post", mlp_out + attn_out + x)
        x = hp(f"blocks.{l}.hook_resid_mid", x + attn_out)
        mlp_out = self.mlp(self.norm("ln2", x, l, hp), l, hp)
        if self.s.post_norms:
            mlp_out = self.norm("ln2_post", mlp_out, l, hp)
        mlp_out = hp(f"blocks.{l}.hook_mlp_out", mlp_out)
        return hp(f"blocks.{l}.hook_resid_post", x + mlp_out)
