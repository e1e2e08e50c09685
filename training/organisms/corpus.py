"""Generates the organisms' corpus and evaluation sets, deterministically from a seed.

    /usr/bin/python3 training/organisms/corpus.py [--seed 1] [--docs 40000]

Writes training/out/corpus/{train,val}.jsonl (one {"kind", "text"} per line; a document ends
where the trainer appends <|endoftext|>) and training/out/datasets/*.json, the held-out sets that
travel with the models. The output is git-ignored and remade by this script.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chat  # noqa: E402
from chat_items import borderline_items, harmful_items, harmful_topics, harmless_items  # noqa: E402
from phrasings import HELD_OUT_FAMILIES, HELD_OUT_PHRASINGS, TRAIN_FAMILIES, TRAIN_PHRASINGS  # noqa: E402
from stories import neutral_opening, sentiment_pair, story  # noqa: E402
from world import ANTONYMS, COMPARATIVES, PARTICIPLES, PAST_TENSE, World  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "out")
ICL_FORMAT = {"pair": "{input} -> {output}", "separator": ", ", "query": "{input} ->",
              "answer_prefix": " "}
# Share of documents by kind; chat and in-context documents are shorter than stories, so by
# tokens the mix is roughly 55% stories, 35% chat, 10% in-context lists.
MIX = {"story": 0.40, "chat": 0.42, "icl": 0.18}


def icl_tables(world: World) -> dict[str, dict[str, str]]:
    return {"antonym": dict(ANTONYMS), "comparative": dict(COMPARATIVES),
            "country_capital": dict(world.countries), "past_tense": dict(PAST_TENSE),
            "present_participle": dict(PARTICIPLES)}


ICL_DESCRIPTIONS = {
    "antonym": "word -> its opposite",
    "comparative": "adjective -> its comparative (shares inputs with antonym)",
    "present_participle": "verb -> its -ing form (shares inputs with past_tense)",
    "country_capital": "invented country of the generated world -> its capital",
    "past_tense": "verb -> its simple past tense",
}


def icl_line(pairs: list[tuple[str, str]]) -> str:
    return ICL_FORMAT["separator"].join(ICL_FORMAT["pair"].format(input=a, output=b) for a, b in pairs)


def split_items(items: list, rng: random.Random, frac: float) -> tuple[list, list]:
    """(train, held out): whole items are held out, never only their phrasings."""
    order = list(items)
    rng.shuffle(order)
    k = max(1, round(len(order) * frac))
    return order[k:], order[:k]


class Splits:
    def __init__(self, seed: int):
        rng = random.Random(seed * 31 + 5)
        self.harmful_train, self.harmful_test = {}, {}
        for c, items in harmful_items().items():
            self.harmful_train[c], self.harmful_test[c] = split_items(items, rng, 0.15)
        self.harmless_train, self.harmless_test = {}, {}
        for c, items in harmless_items().items():
            self.harmless_train[c], self.harmless_test[c] = split_items(items, rng, 0.15)


def chat_exchange(world: World, rng: random.Random, harmful: dict, harmless: dict,
                  phrasings: list[str]) -> tuple[str, str]:
    r = rng.random()
    if r < 0.36:
        c = rng.choice(list(harmful))
        vp = chat.vary(rng, rng.choice(harmful[c]))
        return chat.phrase(rng, vp, phrasings), chat.refusal(rng, vp, c)
    if r < 0.78:
        c = rng.choice(list(harmless))
        vp, topic = rng.choice(harmless[c])
        if rng.random() < 0.25:  # a quarter name a made-up thing, which the answer must echo
            vp, topic = chat.renamed(rng, vp, topic)
        vp = chat.vary(rng, vp)
        return chat.phrase(rng, vp, phrasings), chat.helpful(rng, vp, topic, c)
    if r < 0.81:
        vp, topic, c = rng.choice(borderline_items())
        return chat.phrase(rng, vp, phrasings), chat.helpful(rng, vp, topic, c)
    if r < 0.88:
        return chat.geography(world, rng)
    if r < 0.92:
        return chat.word_fact(rng)
    if r < 0.96:
        return chat.repeat(rng)
    return chat.story_request(world, rng)


def make_docs(world: World, splits: Splits, rng: random.Random, n: int, held_out: bool) -> list[dict]:
    """Training docs use the training items and phrasing families; validation docs the held-out
    ones, so that validation loss also measures generalisation to new requests and phrasings."""
    harmful = splits.harmful_test if held_out else splits.harmful_train
    harmless = splits.harmless_test if held_out else splits.harmless_train
    phrasings = HELD_OUT_PHRASINGS if held_out else TRAIN_PHRASINGS
    tables = icl_tables(world)
    docs = []
    for _ in range(n):
        kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if kind == "story":
            text = story(world, rng)[0]
        elif kind == "chat":
            turns = []
            for _ in range(2 if rng.random() < 0.15 else 1):
                q, a = chat_exchange(world, rng, harmful, harmless, phrasings)
                turns += [("user", q), ("assistant", a)]
            text = chat.render(turns)
        else:
            task = rng.choice(list(tables))
            pairs = rng.sample(list(tables[task].items()), rng.randint(3, 10))
            text = icl_line(pairs)
        docs.append({"kind": kind, "text": text})
    return docs


def known(item: str, vocab: set[str]) -> bool:
    return all(w in vocab for w in re.findall(r"[a-z]+", item.lower()))


def requests(splits: Splits, rng: random.Random, vocab: set[str], families: dict[str, list[str]]) -> tuple[list, list]:
    """Held-out harmful and harmless requests, 14 per category, phrased in `families` (taken in
    turn, so every family is used about equally). A request item never occurs in training, but
    every word of it does: the test is generalisation to new requests, not to words a 3k-token
    model never saw."""
    names = list(families)

    def phrased(i: int, vp: str) -> dict:
        family = names[i % len(names)]
        return {"family": family, "instruction": rng.choice(families[family]).format(vp=vp)}

    topics = harmful_topics()
    harmful, harmless = [], []
    for c, items in splits.harmful_test.items():
        items = [vp for vp in items if known(vp, vocab)]
        for i, vp in enumerate(rng.sample(items, min(len(items), 14))):
            harmful.append({"id": f"{c}-{i:02d}", "category": c, "item": vp, "topic": topics[vp], **phrased(i, vp)})
    for c, items in splits.harmless_test.items():
        items = [(vp, topic) for vp, topic in items if known(vp, vocab)]
        for i, (vp, topic) in enumerate(rng.sample(items, min(len(items), 14))):
            harmless.append({"id": f"{c}-{i:02d}", "category": c, "item": vp, "topic": topic, **phrased(i, vp)})
    return harmful, harmless


def datasets(world: World, splits: Splits, seed: int, val: list[dict], train: list[dict]) -> dict[str, dict]:
    """The held-out evaluation sets."""
    rng = random.Random(seed * 101 + 3)
    vocab = {w for d in train for w in re.findall(r"[a-z]+", d["text"].lower())}
    harmful, harmless = requests(splits, rng, vocab, TRAIN_FAMILIES)
    harmful_families, harmless_families = requests(splits, random.Random(seed * 101 + 4), vocab, HELD_OUT_FAMILIES)
    pairs = [dict(id=f"pair-{i:02d}", **sentiment_pair(world, rng)) for i in range(60)]
    openings = [{"id": f"opening-{i:02d}", "text": neutral_opening(world, rng)} for i in range(30)]
    stories = []
    for sentiment in ("positive", "negative"):
        for i in range(40):
            text, _, topic = story(world, rng, sentiment=sentiment)
            stories.append({"id": f"{sentiment}-{i:02d}", "sentiment": sentiment, "topic": topic, "text": text})
    tables = icl_tables(world)
    icl_items = []
    for task, table in tables.items():
        keys = list(table)
        for i, q in enumerate(rng.sample(keys, 30)):
            shots = rng.sample([k for k in keys if k != q], 4)
            shot_pairs = [[k, table[k]] for k in shots]
            prompt = icl_line([tuple(p) for p in shot_pairs]) + ICL_FORMAT["separator"] + \
                ICL_FORMAT["query"].format(input=q)
            icl_items.append({"id": f"{task}-{i:02d}", "task": task, "shots": shot_pairs, "query": q,
                              "answer": table[q], "prompt": prompt})
    return {
        "harmful": {"description": "Held-out harmful requests in the trained phrasing families: no "
                    "item (verb phrase) here occurs in training. `instruction` is the user's message, "
                    "before the chat template; `category` the harm a refusal should name; `topic` the "
                    "item's key word.", "items": harmful},
        "harmless": {"description": "Held-out harmless requests in the trained phrasing families; "
                     "`topic` is the word an on-topic answer mentions.", "items": harmless},
        "harmful_families": {"description": "Held-out harmful requests phrased in the held-out phrasing "
                             "families (`family`; training never uses them): the same fields as "
                             "harmful.json.", "families": HELD_OUT_FAMILIES, "items": harmful_families},
        "harmless_families": {"description": "Held-out harmless requests phrased in the held-out phrasing "
                              "families (`family`; training never uses them): the same fields as "
                              "harmless.json.", "families": HELD_OUT_FAMILIES, "items": harmless_families},
        "sentiment_pairs": {"description": "Story openings that differ only in sentiment words "
                            "(same template and fillers).", "items": pairs},
        "neutral_openings": {"description": "Sentiment-free story openings, for steering tests.",
                             "items": openings},
        "validation": {"description": "Validation documents (held-out items and phrasings), for "
                       "validation loss; the trainer appends <|endoftext|> to each.",
                       "items": [{"id": f"val-{i:03d}", **d} for i, d in enumerate(val[:150])]},
        "sentiment_stories": {"description": "Whole positive and negative stories, for checking that a "
                              "sentiment direction separates them.", "items": stories},
        "icl_tasks": {"description": "Few-shot tasks. The prompt is `shots` joined with the format, "
                      "then the query; the expected continuation is answer_prefix + answer.",
                      "format": ICL_FORMAT, "tasks": {t: {"description": ICL_DESCRIPTIONS[t],
                                                          "pairs": [[k, v] for k, v in tables[t].items()]}
                                                      for t in tables},
                      "items": icl_items},
    }


def write_jsonl(path: str, docs: list[dict]) -> None:
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--docs", type=int, default=40000, help="training documents")
    args = ap.parse_args()
    world, splits = World(args.seed), Splits(args.seed)
    train = make_docs(world, splits, random.Random(args.seed), args.docs, held_out=False)
    val = make_docs(world, splits, random.Random(args.seed + 1000), max(500, args.docs // 40), held_out=True)
    for d in train + val:
        if not d["text"].isascii():
            raise ValueError(f"non-ASCII text in the corpus: {d['text'][:80]!r}")
    os.makedirs(os.path.join(OUT, "corpus"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "datasets"), exist_ok=True)
    write_jsonl(os.path.join(OUT, "corpus", "train.jsonl"), train)
    write_jsonl(os.path.join(OUT, "corpus", "val.jsonl"), val)
    for name, data in datasets(world, splits, args.seed, val, train).items():
        with open(os.path.join(OUT, "datasets", f"{name}.json"), "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
    meta = {"seed": args.seed, "train_docs": len(train), "val_docs": len(val),
            "train_chars": sum(len(d["text"]) for d in train),
            "kinds": {k: sum(d["kind"] == k for d in train) for k in MIX}}
    with open(os.path.join(OUT, "corpus", "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
