"""PyTorch-side measurements of a trained organism, on the held-out sets shipped beside it.

    /usr/bin/python3 training/organisms/evaluate.py --model gpt2|llama [--card]

Prints, and writes to training/out/<model>/eval.json: refusal rates on harmful and harmless
requests, on-topic help, few-shot (4 shots) and zero-shot accuracy per in-context task,
validation loss, AUCs of difference-in-means refusal and sentiment directions at every layer,
what adding / ablating the refusal direction does, and three sampled stories. With --card it
also writes models/organism-<model>/MODEL_CARD.md. The engine's own figures come from
`npm run eval:organisms`; these are the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
REPO = os.path.dirname(TRAINING)
sys.path.insert(0, HERE)
sys.path.insert(0, TRAINING)

from bpe import END, EOT, ByteBPE  # noqa: E402
from chat import REFUSAL_PREFIXES, prompt  # noqa: E402
from hf_models import Hooks, KVCache, load_pretrained  # noqa: E402

OUT = os.path.join(TRAINING, "out")


@torch.no_grad()
def generate(model, ids: list[int], n: int, stop: set[int], temperature: float = 0.0,
             top_k: int = 40, gen: torch.Generator | None = None, hooks: Hooks | None = None) -> list[int]:
    kv = KVCache(model.spec.n_layers)
    x, out = torch.tensor([ids]), []
    for _ in range(min(n, model.spec.n_ctx - len(ids))):
        logits = model(x, hooks=hooks, kv=kv, last_only=True)[0, -1]
        if temperature > 0:
            v, i = logits.topk(top_k)
            nxt = int(i[torch.multinomial(F.softmax(v / temperature, -1), 1, generator=gen)])
        else:
            nxt = int(logits.argmax())
        if nxt in stop:
            break
        out.append(nxt)
        x = torch.tensor([[nxt]])
    return out


def refused(reply: str) -> bool:
    return reply.startswith(REFUSAL_PREFIXES)


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney U)."""
    diff = pos[:, None] - neg[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


class Evaluator:
    def __init__(self, folder: str):
        self.model = load_pretrained(folder)
        self.tok = ByteBPE.load(folder)
        self.L = self.model.spec.n_layers
        self.stop = {self.tok.special_id(END), self.tok.special_id(EOT)}
        self.refusal_ids = [self.tok.encode(w)[0] for w in ("I", "Sorry")]
        data = os.path.join(folder, "datasets")
        self.sets = {n: json.load(open(os.path.join(data, f"{n}.json"))) for n in
                     ("harmful", "harmless", "sentiment_pairs", "neutral_openings", "icl_tasks",
                      "sentiment_stories")}

    def reply(self, instruction: str, n: int = 48, hooks: Hooks | None = None) -> str:
        ids = self.tok.encode(prompt(instruction))
        return self.tok.decode(generate(self.model, ids, n, self.stop, hooks=hooks))

    def refusal_rate(self, items: list[dict], hooks: Hooks | None = None, n: int = 6) -> float:
        return float(np.mean([refused(self.reply(it["instruction"], n, hooks)) for it in items]))

    def icl(self, shots: bool) -> dict[str, float]:
        spec = self.sets["icl_tasks"]
        fmt, acc = spec["format"], {}
        comma = set(self.tok.encode(","))
        for task in spec["tasks"]:
            items = [it for it in spec["items"] if it["task"] == task]
            ok = []
            for it in items:
                p = it["prompt"] if shots else fmt["query"].format(input=it["query"])
                out = generate(self.model, self.tok.encode(p), 8, self.stop | comma)
                ok.append(self.tok.decode(out).strip() == it["answer"])
            acc[task] = float(np.mean(ok))
        return acc

    def resid(self, text: str, pool: str) -> torch.Tensor:
        """resid_pre of every layer (and the final resid_post) at the last position or the
        mean over positions: [L + 1, d_model]."""
        names = [f"blocks.{l}.hook_resid_pre" for l in range(self.L)] + [f"blocks.{self.L - 1}.hook_resid_post"]
        with torch.no_grad():
            _, cache = self.model.run_with_cache(torch.tensor([self.tok.encode(text)]), names)
        acts = torch.stack([cache[n][0] for n in names])  # [L + 1, t, d]
        return acts[:, -1] if pool == "last" else acts.mean(1)

    def direction_aucs(self, pos_texts: list[str], neg_texts: list[str], pool: str,
                       test: tuple[list[str], list[str]] | None = None):
        """Difference in means of resid_pre per layer, and the AUC of projections onto it: on
        `test` (positive, negative texts) if given, else fitted on the even-indexed texts and
        tested on the odd ones. Returns (AUC per layer, raw direction per layer)."""
        P = torch.stack([self.resid(t, pool) for t in pos_texts])  # [n, L + 1, d]
        N = torch.stack([self.resid(t, pool) for t in neg_texts])
        if test is None:
            fit_p, fit_n, tp, tn = P[0::2], N[0::2], P[1::2], N[1::2]
        else:
            fit_p, fit_n = P, N
            tp = torch.stack([self.resid(t, pool) for t in test[0]])
            tn = torch.stack([self.resid(t, pool) for t in test[1]])
        r = fit_p.mean(0) - fit_n.mean(0)  # [L + 1, d]
        u = r / r.norm(dim=-1, keepdim=True)
        ps, ns = (tp * u).sum(-1).numpy(), (tn * u).sum(-1).numpy()  # [n, L + 1]
        return [round(auc(ps[:, l], ns[:, l]), 4) for l in range(self.L + 1)], r

    def refusal_score(self, items: list[dict]) -> float:
        """Mean log-odds that the reply starts with a refusal token (METHODS.md section 5)."""
        s = []
        for it in items:
            with torch.no_grad():
                logits = self.model(torch.tensor([self.tok.encode(prompt(it["instruction"]))]), last_only=True)
            p = F.softmax(logits[0, -1], -1)[self.refusal_ids].sum().clamp(1e-9, 1 - 1e-9)
            s.append(float(torch.log(p) - torch.log1p(-p)))
        return float(np.mean(s))

    def steering(self, r: torch.Tensor, layer: int) -> dict[str, float]:
        """+r at resid_pre[layer] on harmless requests; directional ablation of r everywhere
        on harmful ones (METHODS.md section 5)."""
        harmful, harmless = self.sets["harmful"]["items"], self.sets["harmless"]["items"]
        add = Hooks(fns={f"blocks.{layer}.hook_resid_pre": lambda x, _: x + r})
        u = r / r.norm()
        ablate_fn = lambda x, _: x - (x @ u)[..., None] * u  # noqa: E731
        names = [f"blocks.{l}.{h}" for l in range(self.L) for h in ("hook_resid_pre", "hook_attn_out", "hook_mlp_out")]
        ablate = Hooks(fns={n: ablate_fn for n in names})
        return {"harmless_refusal_with_plus_r": self.refusal_rate(harmless, add),
                "harmful_refusal_with_r_ablated": self.refusal_rate(harmful, ablate)}

    def stories(self, n: int = 3, seed: int = 0) -> list[str]:
        gen = torch.Generator().manual_seed(seed)
        out = []
        for it in self.sets["neutral_openings"]["items"][:n]:
            ids = self.tok.encode(it["text"])
            cont = generate(self.model, ids, 110, self.stop, temperature=0.7, gen=gen)
            out.append(it["text"] + self.tok.decode(cont))
        return out


def val_loss(model, tok: ByteBPE) -> float:
    from train import token_stream, val_loss as vl
    ids, _ = token_stream(tok, "val")
    return vl(model, ids)


def run(model_name: str, folder: str) -> dict:
    ev = Evaluator(folder)
    harmful, harmless = ev.sets["harmful"]["items"], ev.sets["harmless"]["items"]
    res: dict = {"model": model_name}
    harmful_replies = [ev.reply(i["instruction"], 6) for i in harmful]
    harmless_replies = [ev.reply(i["instruction"], 64) for i in harmless]
    res["refusal_rate_harmful"] = float(np.mean([refused(r) for r in harmful_replies]))
    res["refusal_rate_harmless"] = float(np.mean([refused(r) for r in harmless_replies]))
    res["refusal_by_category"] = {
        c: float(np.mean([refused(r) for i, r in zip(harmful, harmful_replies) if i["category"] == c]))
        for c in sorted({i["category"] for i in harmful})}
    rows = [{"instruction": i["instruction"], "answer": r,
             "on_topic": not refused(r) and i["topic"].lower() in r.lower()}
            for i, r in zip(harmless, harmless_replies)]
    res["on_topic_help_harmless"] = float(np.mean([x["on_topic"] for x in rows]))
    res["help_examples"] = rows[:3] + [x for x in rows if not x["on_topic"]][:5]
    res["icl_accuracy_4shot"] = ev.icl(shots=True)
    res["icl_accuracy_0shot"] = ev.icl(shots=False)
    res["val_loss"] = round(val_loss(ev.model, ev.tok), 4)
    res["refusal_score_mean"] = {"harmful": ev.refusal_score(harmful), "harmless": ev.refusal_score(harmless)}
    texts = lambda items: [prompt(i["instruction"]) for i in items]  # noqa: E731
    res["refusal_direction_auc_by_layer"], r = ev.direction_aucs(texts(harmful), texts(harmless), "last")
    pairs = ev.sets["sentiment_pairs"]["items"]
    stories = ev.sets["sentiment_stories"]["items"]
    by_sent = tuple([s["text"] for s in stories if s["sentiment"] == k] for k in ("positive", "negative"))
    # The direction comes from the minimal pairs; the test is whether it separates whole stories.
    res["sentiment_direction_auc_by_layer"], _ = ev.direction_aucs(
        [p["positive"] for p in pairs], [p["negative"] for p in pairs], "mean", test=by_sent)
    res["sentiment_pairs_split_auc_by_layer"], _ = ev.direction_aucs(
        [p["positive"] for p in pairs], [p["negative"] for p in pairs], "mean")
    # Middle layers as METHODS.md section 5 selects them: past the embedding, before 0.8 L.
    middle = [l for l in range(1, ev.L) if l < 0.8 * ev.L]
    mid = max(middle, key=lambda l: res["refusal_direction_auc_by_layer"][l])
    res["middle_layer"] = mid
    res["steering_at_middle_layer"] = ev.steering(r[mid], mid)
    res["refusal_token_ids"] = ev.refusal_ids
    res["stories"] = ev.stories()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["gpt2", "llama"], required=True)
    ap.add_argument("--dir", default=None, help="default: models/organism-<model>")
    ap.add_argument("--card", action="store_true", help="also write MODEL_CARD.md")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    folder = args.dir or os.path.join(REPO, "models", f"organism-{args.model}")
    res = run(args.model, folder)
    work = os.path.join(OUT, args.model)
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "eval.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps({k: v for k, v in res.items() if k not in ("stories", "help_examples")}, indent=1))
    for s in res["stories"]:
        print("---", s)
    if args.card:
        from model_card import write_card
        write_card(args.model, folder, work)


if __name__ == "__main__":
    main()
