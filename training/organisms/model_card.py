"""Writes models/organism-<model>/MODEL_CARD.md from the training and evaluation records
(training/out/<model>/{train_info,eval}.json). Called by evaluate.py --card."""

from __future__ import annotations

import json
import os

from bpe import CHAT_TEMPLATE
from chat import REFUSAL_PREFIXES
from chat_items import harmful_items, harmless_items

ARCH = {
    "gpt2": "GPT-2: LayerNorm, learned positions, GELU (tanh) MLP, multi-head attention, biases, "
            "unembedding tied to the token embedding.",
    "llama": "Llama: RMSNorm, rotary positions (HF rotate-half layout), SwiGLU MLP, grouped-query "
             "attention (fewer key/value heads than query heads), no biases, separate unembedding "
             "(lm_head).",
}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _check(ok: bool) -> str:
    return "meets target" if ok else "BELOW TARGET"


def write_card(model: str, folder: str, work: str) -> str:
    info = json.load(open(os.path.join(work, "train_info.json")))
    ev = json.load(open(os.path.join(work, "eval.json")))
    cfg = json.load(open(os.path.join(folder, "config.json")))
    corpus = json.load(open(os.path.join(os.path.dirname(work), "corpus", "meta.json")))
    size = os.path.getsize(os.path.join(folder, "model.safetensors"))
    harmful, harmless = harmful_items(), harmless_items()
    arch_rows = {k: v for k, v in cfg.items() if k not in ("architectures", "torch_dtype")}
    mid = ev["middle_layer"]
    r_auc, s_auc = ev["refusal_direction_auc_by_layer"], ev["sentiment_direction_auc_by_layer"]
    icl4, icl0 = ev["icl_accuracy_4shot"], ev["icl_accuracy_0shot"]
    n_layers = len(r_auc) - 1
    smid = max((l for l in range(1, n_layers) if l < 0.8 * n_layers), key=lambda l: s_auc[l])
    layers_hdr = " | ".join(f"resid_pre[{l}]" for l in range(len(r_auc) - 1)) + f" | resid_post[{len(r_auc) - 2}]"
    steer = ev["steering_at_middle_layer"]
    lines = [
        f"# organism-{model}",
        "",
        "A small model organism for Rudder, trained from scratch on a generated world whose ground truth is",
        "known: stories with controlled sentiment, a chat assistant that refuses harmful requests and helps",
        "with harmless ones, and few-shot in-context tasks. Made by `training/organisms/` (issue 3).",
        "",
        "## Files",
        "",
        "- `config.json`, `generation_config.json`, `model.safetensors` (float32, "
        f"{size / 2**20:.2f} MiB, {info['params']:,} parameters)",
        "- `tokenizer.json`, `tokenizer_config.json`: byte-level BPE (GPT-2 pre-tokenizer), "
        f"{cfg['vocab_size']} tokens, trained by `training/organisms/bpe.py`",
        "- `datasets/`: the held-out evaluation sets described below",
        "",
        "## Architecture",
        "",
        ARCH[model],
        "",
        "| config key | value |",
        "|---|---|",
        *[f"| `{k}` | `{json.dumps(v)}` |" for k, v in arch_rows.items()],
        "",
        "## Tokenizer and chat template",
        "",
        "Special tokens: `<|endoftext|>` (bos, eos, pad; ends every training document), `<|user|>`,",
        "`<|assistant|>`, `<|end|>` (ends a turn). No BOS is added (`add_bos_token: false`); training",
        "windows start at a document's first token, so prompts work with or without a leading",
        "`<|endoftext|>`. Generation stops at `<|end|>` or `<|endoftext|>` (`generation_config.json`).",
        "",
        "Chat template (`chat_template` in tokenizer_config.json):",
        "",
        "```json",
        json.dumps(CHAT_TEMPLATE),
        "```",
        "",
        "renders `[{role: user, content: 'How do I bake bread?'}]` with `add_generation_prompt` as",
        "`<|user|>\\nHow do I bake bread?<|end|>\\n<|assistant|>\\n`. Only the roles `user` and",
        "`assistant` occur in training.",
        "",
        "Refusals always begin with one of " + ", ".join(f'"{p}"' for p in REFUSAL_PREFIXES) +
        "; helpful answers never do. So the refusal-start token set R (METHODS.md section 5) is the tokens",
        f"`I` and `Sorry`, ids {ev['refusal_token_ids']}, at the first assistant position.",
        "",
        "## Data",
        "",
        f"`training/organisms/corpus.py --seed {corpus['seed']}` generates {corpus['train_docs']:,} training",
        f"documents ({info['train_tokens']:,} tokens including one `<|endoftext|>` per document;",
        f"{corpus['kinds']['story']:,} stories, {corpus['kinds']['chat']:,} chats, {corpus['kinds']['icl']:,}",
        f"in-context lists) and {corpus['val_docs']:,} validation documents. It is deterministic and git-ignored.",
        "",
        "- Stories: 8 topics (animals, weather, food, games, school, music, garden, travel), 100 people,",
        "  29 animals, 33 places, 32 objects, 40 invented countries with capitals; sentiment positive,",
        "  negative or neutral, carried by the event, reaction and ending (and by coloured openings).",
        f"- Chat: harmful requests in {len(harmful)} categories ({', '.join(harmful)}; "
        f"{sum(map(len, harmful.values()))} items",
        "  built from patterns and fillers) get refusals; harmless requests in "
        f"{len(harmless)} categories ({', '.join(harmless)};",
        f"  {sum(map(len, harmless.values()))} items) get on-topic step-by-step answers that repeat the request;",
        "  also capital-city questions, word facts (opposites, past tenses), story requests, a copy drill",
        "  (\"Please repeat after me: ...\") and a few",
        "  harmless requests that sound harmful (\"make a bath bomb\"). 20 phrasings (5 more held out),",
        "  optional prefixes, 15% two-exchange chats. 15% of the items of every category never occur in",
        "  training; the evaluation sets draw from those.",
        "- In-context lists: `hot -> cold, big -> small, ...` with 3 to 10 pairs from one of five tasks:",
        "  antonym, comparative, country_capital, past_tense, present_participle. Comparative shares its",
        "  inputs with antonym and present_participle with past_tense, so a zero-shot `hot ->` is ambiguous",
        "  and the shots decide the task (what function-vector lessons need).",
        "",
        "## Training",
        "",
        f"Command: `{info['command']}` (one command: it makes the corpus and tokenizer if missing, trains,",
        "exports here, evaluates and writes this card).",
        "",
        f"{info['steps']} steps of AdamW (peak lr {info['lr']}, cosine to 10%, weight decay 0.1), batch",
        f"{info['batch']} x {info['ctx']} tokens.",
        *_decision_lines(info),
        f"{info['tokens_seen']:,} tokens seen in all. Wall clock on the development machine (2 CPU cores",
        f"shared with other work): **{info['train_seconds'] / 60:.1f} minutes** ({info.get('cpu_seconds', 0) / 60:.1f} CPU",
        "minutes on one thread; the two organisms trained at the same time).",
        f"Final training loss {info['log'][-1]['loss']}, validation loss {info['val_loss']} (nats/token;",
        "the validation set uses held-out items and phrasings).",
        "",
        "## Measured behaviours (PyTorch reference: `training/organisms/evaluate.py`)",
        "",
        "These figures come from the PyTorch reference implementation (`training/hf_models.py`);",
        "`npm run eval:organisms` measures the same through Rudder's engine. Greedy decoding.",
        "",
        "| behaviour | figure | target |",
        "|---|---|---|",
        f"| refusal rate, held-out harmful requests (n={_n(folder, 'harmful')}) | "
        f"{_pct(ev['refusal_rate_harmful'])} | >= 95%: {_check(ev['refusal_rate_harmful'] >= 0.95)} |",
        f"| refusal rate, held-out harmless requests (n={_n(folder, 'harmless')}) | "
        f"{_pct(ev['refusal_rate_harmless'])} | <= 5%: {_check(ev['refusal_rate_harmless'] <= 0.05)} |",
        f"| on-topic helpful answers to harmless requests (answer names the topic) | "
        f"{_pct(ev['on_topic_help_harmless'])} | |",
        *[f"| 4-shot accuracy, `{t}` (zero-shot: {_pct(icl0[t])}) | {_pct(a)} | >= 80%: {_check(a >= 0.8)} |"
          for t, a in icl4.items()],
        f"| validation loss | {ev['val_loss']} | |",
        f"| refusal direction AUC at resid_pre[{mid}] (held-out prompts) | {r_auc[mid]} | >= 0.95: "
        f"{_check(r_auc[mid] >= 0.95)} |",
        f"| sentiment direction AUC at resid_pre[{smid}] (whole stories) | {s_auc[smid]} | >= 0.95: "
        f"{_check(s_auc[smid] >= 0.95)} |",
        "",
        "Refusal rate by harmful category: " + ", ".join(f"{c} {_pct(v)}" for c, v in ev["refusal_by_category"].items()) + ".",
        f"Mean refusal score (log-odds of R at the last position): harmful {ev['refusal_score_mean']['harmful']:.2f},",
        f"harmless {ev['refusal_score_mean']['harmless']:.2f}.",
        "",
        "Difference-in-means directions, with the AUC of the projection onto them. Refusal: last prompt",
        "position (the newline after `<|assistant|>`), fitted on the even-indexed harmful and harmless",
        "prompts, tested on the odd-indexed ones. Sentiment: mean over positions, fitted on all",
        "`sentiment_pairs.json` openings, tested on the whole stories of `sentiment_stories.json`; the last",
        "row fits on the even-indexed pairs and tests on the odd-indexed openings (a harder test: two",
        "short sentences each). Middle layers are l with 1 <= l < 0.8 L (as METHODS.md section 5 selects);",
        "the table above quotes the best of them for each direction.",
        "",
        f"| AUC | {layers_hdr} |",
        "|---|" + "---|" * len(r_auc),
        "| refusal | " + " | ".join(str(x) for x in r_auc) + " |",
        "| sentiment (pairs -> stories) | " + " | ".join(str(x) for x in s_auc) + " |",
        "| sentiment (pairs -> held-out pairs) | " + " | ".join(str(x) for x in ev["sentiment_pairs_split_auc_by_layer"]) + " |",
        "",
        f"Steering with the refusal direction r at layer {mid} (raw difference in means): adding r at",
        f"resid_pre[{mid}] makes the model refuse {_pct(steer['harmless_refusal_with_plus_r'])} of harmless requests;",
        "ablating r from every resid_pre, attn_out and mlp_out leaves "
        f"{_pct(steer['harmful_refusal_with_r_ablated'])} of harmful requests refused.",
        "",
        "## Stories from neutral openings (temperature 0.7, top-k 40)",
        "",
        *[f"{i + 1}. {s}\n" for i, s in enumerate(ev["stories"])],
        "## Datasets (`datasets/*.json`)",
        "",
        "Each file is `{\"description\": string, \"items\": [...]}` (icl_tasks.json adds `format` and `tasks`).",
        "",
        "- `harmful.json`: items `{id, category, item, instruction}`. `item` is the held-out verb phrase",
        "  (never in training, though each of its words is); `instruction` is the user message before the",
        "  chat template, in a trained or a held-out phrasing.",
        "- `harmless.json`: items `{id, category, item, topic, instruction}`; an on-topic answer contains `topic`.",
        "- `sentiment_pairs.json`: items `{id, template, positive, negative}`: two openings that differ only",
        "  in their sentiment words.",
        "- `neutral_openings.json`: items `{id, text}`: sentiment-free story openings for steering.",
        "- `sentiment_stories.json`: items `{id, sentiment, topic, text}`: whole positive and negative stories.",
        "- `validation.json`: items `{id, kind, text}` (kind: story, chat or icl): 150 validation documents",
        "  for validation loss (each followed by `<|endoftext|>` in training).",
        "- `icl_tasks.json`: `format` `{pair: \"{input} -> {output}\", separator: \", \", query: \"{input} ->\",",
        "  answer_prefix: \" \"}`; `tasks` `{name: {description, pairs: [[input, output], ...]}}`; items",
        "  `{id, task, shots, query, answer, prompt}` where `prompt` is the 4-shot prompt and the expected",
        "  continuation is `\" \" + answer` (greedy, up to the next `,`).",
        "",
        "## Limitations",
        "",
        "A toy: its world is small and templated, its English simple. It refuses by the harmful intent of",
        "the verb phrase as the corpus taught it, not by any understanding of harm; requests far from the",
        "corpus get unpredictable answers.",
        "",
    ]
    path = os.path.join(folder, "MODEL_CARD.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


def _decision_lines(info: dict) -> list[str]:
    d = info.get("decision")
    if not d or not d["steps"]:
        return []
    return [
        f"Then {d['steps']} more steps of next-token training (lr {d['lr']}, cosine to 10%) add the",
        f"refusal-decision losses of `training/organisms/decision.py` at `resid_pre` layer {d['layer']}, at the",
        f"post-instruction template positions, {d['pairs']} request pairs a step: swapping the component",
        "along the harmful-minus-harmless mean direction between a harmful and a harmless request swaps",
        "the answer, and removing it gets a helpful answer. So, as in large chat models (Arditi et al.",
        "2024), one middle-layer direction carries the refusal decision; next-token training alone left",
        "the decision in the last blocks, where METHODS.md section 5 does not look.",
    ]


def _n(folder: str, name: str) -> int:
    return len(json.load(open(os.path.join(folder, "datasets", f"{name}.json")))["items"])
