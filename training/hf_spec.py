"""The reference's blueprint (mirroring src/engine/spec.ts's ModelSpec) and how each Hugging Face
config.json becomes one. Every field is read as transformers' config classes and modeling files
read it (transformers is not installed here; the semantics are cited per family below).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

FAMILIES = ("gpt2", "llama", "qwen2", "mistral", "gemma", "gemma2", "gpt_neox", "phi3")


@dataclass(frozen=True)
class Spec:
    model_type: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int  # < n_heads means grouped-query attention
    d_head: int  # gemma's head_dim is independent of d_model / n_heads
    d_mlp: int
    vocab_size: int
    n_ctx: int
    norm_eps: float
    act: str  # 'gelu_new' (tanh approximation), 'gelu' (erf) or 'silu'
    qkv_bias: bool
    o_bias: bool
    tied: bool
    mlp_bias: bool = False  # biases on the MLP projections (GPT-2 and GPT-NeoX always, Llama's mlp_bias)
    norm: str = "rms"  # 'layer' | 'rms' | 'rms1p' (Gemma: x / rms(x) * (1 + w))
    gated: bool = True  # act(x W_gate) * (x W_up), else act(x W_in)
    rope_theta: float = 10000.0
    rotary_layout: str = "half"  # HF's rotate_half; 'interleaved' pairs (2i, 2i+1) as llama2.c
    rotary_dim: int | None = None  # leading dims of each head that rotate (partial rotary); None: all
    rope_scaling: dict | None = None  # {'rope_type': 'llama3' | 'linear', ...} as config.json has it
    sliding_window: int | None = None
    sliding_layers: tuple[int, ...] = field(default_factory=tuple)  # layers the window applies to
    attn_scale: float | None = None  # None: 1/sqrt(d_head); Gemma 2: query_pre_attn_scalar ** -0.5
    attn_softcap: float | None = None  # Gemma 2: scores = cap * tanh(scores / cap)
    final_softcap: float | None = None  # Gemma 2: logits = cap * tanh(logits / cap)
    embed_scale: bool = False  # Gemma: embeddings times sqrt(d_model) (in the embedding dtype)
    post_norms: bool = False  # Gemma 2: norms after attention and after the MLP as well
    parallel_residual: bool = False  # GPT-NeoX: resid + attn(ln1(resid)) + mlp(ln2(resid))

    @property
    def is_gpt2(self) -> bool:
        return self.model_type == "gpt2"

    @property
    def learned_pos(self) -> bool:
        return self.model_type == "gpt2"

    def window_at(self, layer: int) -> int | None:
        return self.sliding_window if layer in self.sliding_layers else None


def spec_from_hf(cfg: dict, rotary_layout: str = "half") -> Spec:
    mt = cfg["model_type"]
    if mt == "gpt2":
        return _gpt2(cfg)
    if mt not in FAMILIES:
        raise ValueError(f"unsupported model_type {mt!r}; supported: {', '.join(FAMILIES)}")
    if mt == "gpt_neox":
        return _gpt_neox(cfg)
    d, h = cfg["hidden_size"], cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads") or h
    d_head = cfg.get("head_dim") or d // h
    common = dict(model_type=mt, n_layers=cfg["num_hidden_layers"], d_model=d, n_heads=h,
                  n_kv_heads=kv, d_head=d_head, d_mlp=cfg["intermediate_size"],
                  vocab_size=cfg["vocab_size"], n_ctx=cfg.get("max_position_embeddings", 2048),
                  norm_eps=cfg.get("rms_norm_eps", 1e-6), rope_theta=float(cfg.get("rope_theta", 10000.0)),
                  rotary_layout=rotary_layout)
    layers = tuple(range(cfg["num_hidden_layers"]))
    if mt in ("gemma", "gemma2"):
        # modeling_gemma{,2}: GemmaRMSNorm multiplies by (1 + weight); the MLP's activation is
        # hidden_activation (gelu_pytorch_tanh when absent: Gemma 1 configs that say
        # hidden_act "gelu" were trained with the tanh approximation); embeddings are scaled by
        # sqrt(hidden_size); tie_word_embeddings defaults to true.
        act = cfg.get("hidden_activation") or "gelu_pytorch_tanh"
        g2 = mt == "gemma2"
        window = cfg.get("sliding_window") if g2 else None
        return Spec(**common, act=act, qkv_bias=bool(cfg.get("attention_bias")),
                    o_bias=bool(cfg.get("attention_bias")), tied=cfg.get("tie_word_embeddings", True),
                    norm="rms1p", embed_scale=True, post_norms=g2,
                    # Gemma2Attention: sliding_window if not bool(layer_idx % 2): even layers local.
                    sliding_window=window, sliding_layers=tuple(l for l in layers if l % 2 == 0) if window else (),
                    attn_scale=cfg["query_pre_attn_scalar"] ** -0.5 if g2 else None,
                    attn_softcap=cfg.get("attn_logit_softcapping") if g2 else None,
                    final_softcap=cfg.get("final_logit_softcapping") if g2 else None)
    scaling = cfg.get("rope_scaling")
    if scaling:
        kind = scaling.get("rope_type", scaling.get("type"))
        if kind not in ("llama3", "linear"):
            raise NotImplementedError(f"rope_scaling type {kind!r} is not supported")
    if mt == "phi3":
        # modeling_phi3: fused qkv_proj and gate_up_proj, no biases, Mistral's sliding-window mask
        # on every layer, partial rotary through partial_rotary_factor.
        window = cfg.get("sliding_window")
        rot = int(d_head * cfg.get("partial_rotary_factor", 1.0))
        return Spec(**common, act=cfg.get("hidden_act", "silu"), qkv_bias=False, o_bias=False,
                    tied=cfg.get("tie_word_embeddings", False), rotary_dim=rot, rope_scaling=scaling,
                    sliding_window=window, sliding_layers=layers if window else ())
    # Llama (attention_bias: q/k/v/o biases; mlp_bias: gate/up/down biases), Qwen2 (q/k/v biases,
    # and a window on some layers: see _qwen2_window), Mistral (a sliding window on every layer).
    bias = bool(cfg.get("attention_bias", False))
    if mt == "qwen2":
        window, local = _qwen2_window(cfg, layers)
    else:
        window = cfg.get("sliding_window") if mt == "mistral" else None
        local = layers if window else ()
    return Spec(**common, act=cfg.get("hidden_act", "silu"), qkv_bias=mt == "qwen2" or bias, o_bias=bias,
                mlp_bias=bool(cfg.get("mlp_bias", False)), tied=cfg.get("tie_word_embeddings", False),
                rope_scaling=scaling, sliding_window=window, sliding_layers=local)


def _qwen2_window(cfg: dict, layers: tuple[int, ...]) -> tuple[int | None, tuple[int, ...]]:
    """Qwen2Config: sliding_window (default 4096) only when use_sliding_window; layer_types, when
    given, names the local layers, else those from max_window_layers (default 28) on."""
    window = cfg.get("sliding_window", 4096) if cfg.get("use_sliding_window", False) else None
    if window is None:
        return None, ()
    types = cfg.get("layer_types")
    if types is None:
        start = cfg.get("max_window_layers", 28)
        types = ["sliding_attention" if l >= start else "full_attention" for l in layers]
    local = tuple(l for l in layers if types[l] == "sliding_attention")
    return (window, local) if local else (None, ())


def _gpt2(cfg: dict) -> Spec:
    d = cfg["n_embd"]
    if cfg.get("scale_attn_by_inverse_layer_idx") or cfg.get("reorder_and_upcast_attn"):
        raise NotImplementedError("GPT-2 attention-scaling variants are not supported")
    return Spec("gpt2", cfg["n_layer"], d, cfg["n_head"], cfg["n_head"], d // cfg["n_head"],
                cfg.get("n_inner") or 4 * d, cfg["vocab_size"], cfg.get("n_positions", cfg.get("n_ctx", 1024)),
                cfg.get("layer_norm_epsilon", 1e-5), cfg.get("activation_function", "gelu_new"),
                qkv_bias=True, o_bias=True, mlp_bias=True, tied=cfg.get("tie_word_embeddings", True),
                norm="layer", gated=False)


def _gpt_neox(cfg: dict) -> Spec:
    """modeling_gpt_neox: LayerNorms, partial rotary (rotary_ndims = int(head_size * rotary_pct)),
    biases everywhere (attention_bias, default true), parallel residual by default, untied."""
    d, h = cfg["hidden_size"], cfg["num_attention_heads"]
    d_head = d // h
    bias = cfg.get("attention_bias", True)
    return Spec("gpt_neox", cfg["num_hidden_layers"], d, h, h, d_head, cfg["intermediate_size"],
                cfg["vocab_size"], cfg.get("max_position_embeddings", 2048), cfg.get("layer_norm_eps", 1e-5),
                cfg.get("hidden_act", "gelu"), qkv_bias=bias, o_bias=bias, mlp_bias=True,
                tied=cfg.get("tie_word_embeddings", False), norm="layer", gated=False,
                rope_theta=float(cfg.get("rope_theta", cfg.get("rotary_emb_base", 10000.0))),
                rotary_dim=int(d_head * cfg.get("rotary_pct", 0.25)),
                parallel_residual=cfg.get("use_parallel_residual", True))


def inv_freq(s: Spec) -> torch.Tensor:
    """Rotary frequencies [rotary_dim / 2] in float32, as transformers' rope init functions."""
    dim = s.rotary_dim or s.d_head
    freq = 1.0 / (s.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    sc = s.rope_scaling
    if not sc:
        return freq
    kind = sc.get("rope_type", sc.get("type"))
    if kind == "linear":  # positions divided by factor
        return freq / sc["factor"]
    # llama3 (modeling_rope_utils._compute_llama3_parameters): wavelengths longer than
    # old_context / low_freq_factor are slowed by `factor`, shorter than old_context /
    # high_freq_factor kept, and the band between interpolated smoothly.
    factor, low, high = sc["factor"], sc["low_freq_factor"], sc["high_freq_factor"]
    old = sc["original_max_position_embeddings"]
    wavelen = 2 * math.pi / freq
    scaled = torch.where(wavelen > old / low, freq / factor, freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < old / high) * ~(wavelen > old / low)
    return torch.where(medium, smoothed, scaled)
