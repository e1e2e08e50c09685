"""Checks of the PyTorch reference against hand-written math (no transformers here to compare with).

    /usr/bin/python3 -m unittest discover -s training -p 'test_*.py'
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import unittest

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_models as H  # noqa: E402
from hf_spec import inv_freq  # noqa: E402
from safetensors_io import read_header, read_safetensors, write_safetensors  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)  # random token ids, the same every run
GPT2 = {"model_type": "gpt2", "vocab_size": 50, "n_positions": 32, "n_embd": 32, "n_layer": 2,
        "n_head": 4, "layer_norm_epsilon": 1e-5}
LLAMA = {"model_type": "llama", "vocab_size": 50, "hidden_size": 32, "intermediate_size": 40,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
         "max_position_embeddings": 32, "rms_norm_eps": 1e-5}


def model(cfg, **kw):
    m = H.CausalLM(H.spec_from_hf(dict(cfg, **kw)), dict(cfg, **kw))
    return m.init_weights(std=0.3, seed=0, norm_noise=0.2).eval()


def gpt2_by_hand(m: H.CausalLM, ids: torch.Tensor) -> torch.Tensor:
    """GPT-2 written out op by op from HF's modeling_gpt2 formulas, one head at a time."""
    sd, s = m.state_dict(), m.spec
    t = ids.shape[0]

    def ln(x, p):
        mu, var = x.mean(-1, keepdim=True), x.var(-1, unbiased=False, keepdim=True)
        return (x - mu) / torch.sqrt(var + s.norm_eps) * sd[p + ".weight"] + sd[p + ".bias"]

    x = sd["transformer.wte.weight"][ids] + sd["transformer.wpe.weight"][:t]
    for l in range(s.n_layers):
        p = f"transformer.h.{l}."
        h = ln(x, p + "ln_1")
        qkv = h @ sd[p + "attn.c_attn.weight"] + sd[p + "attn.c_attn.bias"]
        heads = []
        for hd in range(s.n_heads):
            sl = slice(hd * s.d_head, (hd + 1) * s.d_head)
            q, k, v = qkv[:, sl], qkv[:, s.d_model:][:, sl], qkv[:, 2 * s.d_model:][:, sl]
            a = q @ k.T / math.sqrt(s.d_head) + torch.triu(torch.full((t, t), -1e30), 1)
            heads.append(torch.softmax(a, -1) @ v)
        x = x + torch.cat(heads, -1) @ sd[p + "attn.c_proj.weight"] + sd[p + "attn.c_proj.bias"]
        u = ln(x, p + "ln_2") @ sd[p + "mlp.c_fc.weight"] + sd[p + "mlp.c_fc.bias"]
        u = 0.5 * u * (1 + torch.tanh(math.sqrt(2 / math.pi) * (u + 0.044715 * u**3)))
        x = x + u @ sd[p + "mlp.c_proj.weight"] + sd[p + "mlp.c_proj.bias"]
    return ln(x, "transformer.ln_f") @ sd["transformer.wte.weight"].T


class Gpt2(unittest.TestCase):
    def test_matches_a_hand_written_forward(self):
        m, ids = model(GPT2), torch.randint(0, 50, (11,))
        with torch.no_grad():
            self.assertLess((m(ids[None])[0] - gpt2_by_hand(m, ids)).abs().max().item(), 1e-4)

    def test_ties_the_unembedding_to_the_token_embedding(self):
        m = model(GPT2)
        self.assertNotIn("lm_head.weight", m.state_dict())
        logits, cache = m.run_with_cache(torch.tensor([[1, 2, 3]]))
        want = cache["ln_final.hook_normalized"] @ m.state_dict()["transformer.wte.weight"].T
        self.assertTrue(torch.allclose(logits, want, atol=1e-5))

    def test_earlier_logits_ignore_later_tokens(self):
        m = model(GPT2)
        a, b = torch.randint(0, 50, (1, 12)), torch.randint(0, 50, (1, 12))
        b[:, :6] = a[:, :6]
        with torch.no_grad():
            la, lb = m(a), m(b)
        self.assertTrue(torch.equal(la[:, :6], lb[:, :6]))
        self.assertFalse(torch.allclose(la[:, 6:], lb[:, 6:]))


class Llama(unittest.TestCase):
    def test_rmsnorm_is_x_times_rsqrt_mean_square_plus_eps_times_weight(self):
        m = model(LLAMA)
        _, c = m.run_with_cache(torch.tensor([[3, 4, 5]]))
        x, w = c["blocks.1.hook_resid_pre"], m.model.layers[1].input_layernorm.weight
        want = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w
        self.assertTrue(torch.allclose(c["blocks.1.ln1.hook_normalized"], want, atol=1e-6))

    def test_grouped_query_attention_equals_multi_head_with_repeated_kv_heads(self):
        gqa, ids = model(LLAMA), torch.randint(0, 50, (1, 9))
        mha = model(LLAMA, num_key_value_heads=4)
        sd = gqa.state_dict()
        for k, v in list(sd.items()):
            if k.endswith(("k_proj.weight", "v_proj.weight")):  # kv head j serves query heads 2j, 2j+1
                sd[k] = v.view(2, 8, 32).repeat_interleave(2, dim=0).reshape(32, 32)
        mha.load_hf_state_dict(sd)
        with torch.no_grad():
            self.assertLess((gqa(ids) - mha(ids)).abs().max().item(), 1e-5)

    def test_half_layout_on_hf_permuted_weights_equals_interleaved_on_original(self):
        inter = H.CausalLM(H.spec_from_hf(LLAMA, "interleaved"), LLAMA)
        inter.init_weights(std=0.3, seed=1, norm_noise=0.2).eval()
        sd = inter.state_dict()
        for k, v in list(sd.items()):  # HF's conversion permute (convert_llama_weights_to_hf.py)
            n = 4 if "q_proj" in k else 2
            if k.endswith(("q_proj.weight", "k_proj.weight")):
                sd[k] = v.view(n, v.shape[0] // n // 2, 2, 32).transpose(1, 2).reshape(v.shape)
        half = H.CausalLM(H.spec_from_hf(LLAMA), LLAMA).load_hf_state_dict(sd).eval()
        ids = torch.randint(0, 50, (1, 20))
        with torch.no_grad():
            self.assertLess((half(ids) - inter(ids)).abs().max().item(), 1e-5)

    def test_qwen2_has_qkv_biases_and_no_output_bias(self):
        keys = model(dict(LLAMA, model_type="qwen2", tie_word_embeddings=True)).state_dict()
        self.assertIn("model.layers.0.self_attn.q_proj.bias", keys)
        self.assertNotIn("model.layers.0.self_attn.o_proj.bias", keys)
        self.assertNotIn("lm_head.weight", keys)


GEMMA2 = {"model_type": "gemma2", "vocab_size": 50, "hidden_size": 32, "intermediate_size": 40,
          "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 12,
          "max_position_embeddings": 32, "query_pre_attn_scalar": 20, "sliding_window": 3,
          "attn_logit_softcapping": 2.0, "final_logit_softcapping": 3.0}
NEOX = {"model_type": "gpt_neox", "vocab_size": 50, "hidden_size": 32, "intermediate_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 32, "rotary_pct": 0.5}
PHI3 = {"model_type": "phi3", "vocab_size": 50, "hidden_size": 32, "intermediate_size": 40,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 32, "sliding_window": 4}


class NewFamilies(unittest.TestCase):
    def test_gemma_scales_embeddings_and_normalises_with_one_plus_w(self):
        m = model(GEMMA2)
        ids = torch.tensor([[3, 4, 5, 6]])
        _, c = m.run_with_cache(ids)
        emb = m.model.embed_tokens.weight[ids] * torch.tensor(32**0.5)
        self.assertTrue(torch.allclose(c["hook_embed"], emb))
        x, w = c["blocks.1.hook_resid_pre"], m.model.layers[1].input_layernorm.weight
        want = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * (1 + w)
        self.assertTrue(torch.allclose(c["blocks.1.ln1.hook_normalized"], want, atol=1e-5))

    def test_gemma2_caps_scores_and_logits_and_windows_even_layers_only(self):
        m = model(GEMMA2)
        logits, c = m.run_with_cache(torch.randint(0, 50, (1, 8)))
        self.assertLessEqual(logits.abs().max().item(), 3.0)
        for l in (0, 1):
            s = c[f"blocks.{l}.attn.hook_attn_scores"][0]
            self.assertLessEqual(s[s.isfinite()].abs().max().item(), 2.0)
        # Layer 0 (even) hides keys 3 or more behind the query; layer 1 (odd) sees them all.
        self.assertEqual(c["blocks.0.attn.hook_pattern"][0, :, 7, :5].abs().max().item(), 0.0)
        self.assertGreater(c["blocks.1.attn.hook_pattern"][0, :, 7, :5].min().item(), 0.0)

    def test_neox_reads_q_k_v_per_head_and_adds_both_branches_to_resid_pre(self):
        m = model(NEOX)
        ids = torch.randint(0, 50, (1, 6))
        _, c = m.run_with_cache(ids)
        qkv = m.gpt_neox.layers[0].attention.query_key_value
        x = c["blocks.0.ln1.hook_normalized"]
        for h in range(4):  # rows [h*24, h*24+8) are head h's query
            rows = slice(h * 24, h * 24 + 8)
            want = x @ qkv.weight[rows].T + qkv.bias[rows]
            self.assertTrue(torch.allclose(c["blocks.0.attn.hook_q"][0, :, h], want[0], atol=1e-5))
        b = "blocks.1."
        self.assertNotIn(b + "hook_resid_mid", c)
        total = c[b + "hook_resid_pre"] + c[b + "hook_attn_out"] + c[b + "hook_mlp_out"]
        self.assertTrue(torch.allclose(total, c[b + "hook_resid_post"], atol=1e-5))

    def test_phi3_fused_projections_equal_mistral_with_the_same_weights_split(self):
        phi = model(PHI3)
        mistral = H.CausalLM(H.spec_from_hf(dict(PHI3, model_type="mistral")), dict(PHI3, model_type="mistral"))
        sd = {}
        for k, v in phi.state_dict().items():
            if k.endswith("qkv_proj.weight"):
                q, kk, vv = v.split([32, 16, 16])
                sd.update({k.replace("qkv_proj", n): t for n, t in (("q_proj", q), ("k_proj", kk), ("v_proj", vv))})
            elif k.endswith("gate_up_proj.weight"):
                gate, up = v.chunk(2)
                sd.update({k.replace("gate_up_proj", "gate_proj"): gate, k.replace("gate_up_proj", "up_proj"): up})
            else:
                sd[k] = v
        mistral.load_hf_state_dict(sd)
        ids = torch.randint(0, 50, (1, 10))
        with torch.no_grad():
            self.assertLess((phi(ids) - mistral(ids)).abs().max().item(), 1e-5)

    def test_llama3_rope_keeps_fast_frequencies_and_slows_the_slow_ones_by_factor(self):
        base = H.spec_from_hf(dict(LLAMA, rope_theta=500.0))
        scaled = H.spec_from_hf(dict(LLAMA, rope_theta=500.0, rope_scaling={
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 32}))
        f, g = inv_freq(base), inv_freq(scaled)
        wavelen = 2 * math.pi / f
        fast, slow = wavelen < 32 / 4, wavelen > 32 / 1
        self.assertTrue(fast.any() and slow.any() and (~fast & ~slow).any())
        self.assertTrue(torch.equal(g[fast], f[fast]))
        self.assertTrue(torch.allclose(g[slow], f[slow] / 8))
        mid = ~fast & ~slow  # between the two: between f / 8 and f
        self.assertTrue(((g[mid] < f[mid]) & (g[mid] > f[mid] / 8)).all())


class Hooks(unittest.TestCase):
    def test_hooks_are_consistent_with_each_other(self):
        for cfg in (GPT2, LLAMA):
            m = model(cfg)
            _, c = m.run_with_cache(torch.randint(0, 50, (2, 7)))
            b = "blocks.1."
            pat = c[b + "attn.hook_pattern"]
            self.assertTrue(torch.allclose(pat.sum(-1), torch.ones(2, 4, 7)))
            self.assertEqual(pat.triu(1).abs().max().item(), 0.0)
            w_o, b_o = m.blocks[1].attn_.out_weight()
            out = c[b + "attn.hook_result"].sum(2) + (0 if b_o is None else b_o)
            self.assertTrue(torch.allclose(out, c[b + "hook_attn_out"], atol=1e-5))
            z = c[b + "attn.hook_z"].flatten(2) @ w_o + (0 if b_o is None else b_o)
            self.assertTrue(torch.allclose(z, c[b + "hook_attn_out"], atol=1e-5))
            self.assertTrue(torch.allclose(c[b + "hook_resid_mid"] + c[b + "hook_mlp_out"],
                                           c[b + "hook_resid_post"]))
            self.assertTrue(torch.equal(c["blocks.0.hook_resid_post"], c[b + "hook_resid_pre"]))

    def test_a_hook_function_edits_the_forward(self):
        m, ids = model(LLAMA), torch.tensor([[1, 2, 3]])
        with torch.no_grad():
            base = m(ids)
            same = m(ids, hooks=H.Hooks(fns={"blocks.1.hook_resid_pre": lambda x, n: None}))
            moved = m(ids, hooks=H.Hooks(fns={"blocks.1.hook_resid_pre": lambda x, n: x + 1.0}))
        self.assertTrue(torch.equal(base, same))
        self.assertGreater((base - moved).abs().max().item(), 0.1)

    def test_gradients_flow_for_training(self):
        m = model(LLAMA).train()
        ids = torch.randint(0, 50, (2, 8))
        F.cross_entropy(m(ids[:, :-1]).flatten(0, 1), ids[:, 1:].flatten()).backward()
        self.assertTrue(all(p.grad is not None for p in m.parameters()))


class Cache(unittest.TestCase):
    def test_chunked_kv_cache_forward_equals_full_forward(self):
        for cfg in (GPT2, LLAMA):
            m, ids = model(cfg), torch.randint(0, 50, (1, 12))
            kv = H.KVCache(2)
            with torch.no_grad():
                parts = [m(ids[:, a:b], kv=kv) for a, b in ((0, 7), (7, 8), (8, 12))]
                self.assertLess((torch.cat(parts, 1) - m(ids)).abs().max().item(), 1e-5)
            self.assertEqual(m.generate([1, 2], 10), m.generate([1, 2], 10, use_cache=False))


class Files(unittest.TestCase):
    def test_save_and_load_round_trips_in_every_dtype_and_sharding(self):
        m, ids = model(LLAMA), torch.tensor([[1, 2, 3, 4]])
        for dtype, shards in ((torch.float32, 1), (torch.bfloat16, 1), (torch.float16, 3)):
            with tempfile.TemporaryDirectory() as d:
                H.save_pretrained(m, d, dtype=dtype, shards=shards)
                back = H.load_pretrained(d)
            for k, v in m.state_dict().items():
                self.assertTrue(torch.equal(back.state_dict()[k], v.to(dtype).float()), k)

    def test_safetensors_header_is_padded_to_eight_bytes(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            write_safetensors(p, {"a": torch.arange(3, dtype=torch.float32)})
            with open(p, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
            self.assertEqual((8 + n) % 8, 0)
            self.assertEqual(read_header(p)["__metadata__"], {"format": "pt"})
            self.assertTrue(torch.equal(read_safetensors(p)["a"], torch.arange(3.0)))


if __name__ == "__main__":
    unittest.main()
