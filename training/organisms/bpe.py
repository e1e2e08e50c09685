"""Byte-level BPE, GPT-2 style, trained on the organisms' corpus and exported in the Hugging Face
`tokenizers` JSON format (tokenizer.json + tokenizer_config.json).

    /usr/bin/python3 training/organisms/bpe.py train [--vocab 4096]   # -> training/out/tokenizer/
    /usr/bin/python3 training/organisms/bpe.py check                  # round trip on val.jsonl

The exported pre-tokenizer is the standard ByteLevel one with use_regex, whose regex is GPT-2's:
    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
Python's `re` has no \\p{...}, so PRETOKENIZE spells the classes out from unicodedata, and \\s as
JavaScript's set (tokenizers.js runs the regex as a JS RegExp): the two split text identically
(exactly on ASCII, which the corpus is; up to Unicode-version differences elsewhere).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "out")

EOT, USER, ASSISTANT, END = "<|endoftext|>", "<|user|>", "<|assistant|>", "<|end|>"
SPECIALS = [EOT, USER, ASSISTANT, END]
# Only simple Jinja (a for loop, string concatenation, an if) so that @huggingface/jinja renders
# it exactly like Python's jinja2 would.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from bytes to printable characters, so that BPE never sees whitespace or
    control bytes (the same table as tokenizers.js's BYTES_TO_UNICODE)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}


def _char_class(prefixes: tuple[str, ...]) -> str:
    """A regex class body for every code point whose general category starts with a prefix."""
    ranges, start, prev = [], None, None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if unicodedata.category(chr(cp)).startswith(prefixes):
            if start is None:
                start = cp
            elif cp != prev + 1:
                ranges.append((start, prev))
                start = cp
            prev = cp
    ranges.append((start, prev))
    esc = lambda c: "\\U%08x" % c  # noqa: E731
    return "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)


L, N = _char_class(("L",)), _char_class(("N",))
JS_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
PRETOKENIZE = re.compile(
    rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{L}]+| ?[{N}]+| ?[^{JS_SPACE}{L}{N}]+|[{JS_SPACE}]+(?![^{JS_SPACE}])|[{JS_SPACE}]+"
)
SPECIAL_SPLIT = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")


def pretokenize(text: str) -> list[str]:
    """Text without special tokens -> byte-level pieces ('Ġworld')."""
    return ["".join(BYTE_ENCODER[b] for b in m.encode("utf-8")) for m in PRETOKENIZE.findall(text)]


def train(texts, vocab_size: int) -> list[tuple[str, str]]:
    """The merges, learned greedily (most frequent pair first; ties by the pair's text)."""
    words: collections.Counter[str] = collections.Counter()
    for text in texts:
        for part in SPECIAL_SPLIT.split(text):
            if part and part not in SPECIALS:
                words.update(pretokenize(part))
    seqs = [list(w) for w in words]
    freqs = list(words.values())
    pairs: collections.Counter[tuple[str, str]] = collections.Counter()
    where: dict[tuple[str, str], set[int]] = collections.defaultdict(set)
    for i, s in enumerate(seqs):
        for p in zip(s, s[1:]):
            pairs[p] += freqs[i]
            where[p].add(i)
    merges = []
    n_merges = vocab_size - 256 - len(SPECIALS)
    while len(merges) < n_merges and pairs:
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        a, b = best
        for i in list(where[best]):
            s, f = seqs[i], freqs[i]
            for p in zip(s, s[1:]):  # remove this word's old pairs, add its new ones
                pairs[p] -= f
                if pairs[p] <= 0:
                    del pairs[p]
            j, out = 0, []
            while j < len(s):
                if j + 1 < len(s) and s[j] == a and s[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            seqs[i] = out
            for p in zip(out, out[1:]):
                pairs[p] += f
                where[p].add(i)
        del where[best]
    return merges


class ByteBPE:
    def __init__(self, merges: list[tuple[str, str]]):
        self.merges = merges
        self.ranks = {m: i for i, m in enumerate(merges)}
        tokens = [BYTE_ENCODER[b] for b in range(256)] + [a + b for a, b in merges]
        self.vocab = {t: i for i, t in enumerate(tokens)}
        for s in SPECIALS:
            self.vocab[s] = len(self.vocab)
        self.inv = {i: t for t, i in self.vocab.items()}
        self.cache: dict[str, list[str]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def special_id(self, tok: str) -> int:
        return self.vocab[tok]

    def _bpe(self, word: str) -> list[str]:
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            ranked = [(self.ranks.get(p, 1 << 30), i) for i, p in enumerate(zip(parts, parts[1:]))]
            rank, i = min(ranked)
            if rank == 1 << 30:
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        self.cache[word] = parts
        return parts

    def encode(self, text: str) -> list[int]:
        ids = []
        for part in SPECIAL_SPLIT.split(text):
            if not part:
                continue
            if part in SPECIALS:
                ids.append(self.vocab[part])
                continue
            for w in pretokenize(part):
                ids.extend(self.vocab[t] for t in self._bpe(w))
        return ids

    def decode(self, ids: list[int]) -> str:
        out, buf = [], bytearray()
        for i in ids:
            t = self.inv[i]
            if t in SPECIALS:
                out.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                out.append(t)
            else:
                buf.extend(BYTE_DECODER[c] for c in t)
        out.append(buf.decode("utf-8", errors="replace"))
        return "".join(out)

    # -- Hugging Face export -----------------------------------------------------------------
    def tokenizer_json(self) -> dict:
        added = [{"id": self.vocab[s], "content": s, "single_word": False, "lstrip": False,
                  "rstrip": False, "normalized": False, "special": True} for s in SPECIALS]
        return {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                               "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False, "vocab": self.vocab,
                      "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def tokenizer_config(self, max_length: int) -> dict:
        return {
            "add_bos_token": False, "add_eos_token": False, "add_prefix_space": False,
            "bos_token": EOT, "eos_token": EOT, "pad_token": EOT, "unk_token": None,
            "additional_special_tokens": [USER, ASSISTANT, END],
            "added_tokens_decoder": {str(self.vocab[s]): {"content": s, "lstrip": False, "normalized": False,
                                                          "rstrip": False, "single_word": False, "special": True}
                                     for s in SPECIALS},
            "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
            "model_max_length": max_length, "tokenizer_class": "GPT2TokenizerFast",
        }

    def save(self, folder: str, max_length: int = 256) -> None:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "tokenizer.json"), "w") as f:
            json.dump(self.tokenizer_json(), f, ensure_ascii=False)
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
            json.dump(self.tokenizer_config(max_length), f, indent=2)
            f.write("\n")

    @classmethod
    def load(cls, folder: str) -> ByteBPE:
        with open(os.path.join(folder, "tokenizer.json")) as f:
            tj = json.load(f)
        return cls([tuple(m.split(" ")) for m in tj["model"]["merges"]])


def read_texts(path: str) -> list[str]:
    with open(path) as f:
        return [json.loads(line)["text"] for line in f]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["train", "check"])
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--dir", default=os.path.join(OUT, "tokenizer"))
    args = ap.parse_args()
    if args.command == "train":
        merges = train(read_texts(os.path.join(OUT, "corpus", "train.jsonl")), args.vocab)
        tok = ByteBPE(merges)
        tok.save(args.dir)
        print(f"vocab {tok.vocab_size} ({len(merges)} merges) -> {args.dir}")
        return
    tok = ByteBPE.load(args.dir)
    texts = read_texts(os.path.join(OUT, "corpus", "val.jsonl"))
    extra = ["Hello, wörld! Ünïcödé — “quotes” 123 4.5 émoji 🙂 tabs\tand  spaces\n\n end ",
             "<|user|>\nHi<|end|>\n<|assistant|>\n", "it's they're we've I'm you'll he'd  x"]
    bad = [t for t in texts + extra if tok.decode(tok.encode(t)) != t]
    n_tok = sum(len(tok.encode(t)) for t in texts)
    print(f"round trip: {len(texts) + len(extra) - len(bad)}/{len(texts) + len(extra)} exact; "
          f"val {n_tok} tokens, {sum(map(len, texts)) / n_tok:.2f} chars/token")
    if bad:
        print("first failure:", repr(bad[0][:200]))
        sys.exit(1)
    # For check_tokenizer.mjs: the JS tokenizer must give these ids and render this template.
    messages = [{"role": "user", "content": "How do I bake bread?"},
                {"role": "assistant", "content": "Sure! First, mix the flour."},
                {"role": "user", "content": "And then?"}]
    rendered = "".join(f"<|{m['role']}|>\n{m['content']}<|end|>\n" for m in messages) + "<|assistant|>\n"
    golden = {"texts": [{"text": t, "ids": tok.encode(t)} for t in texts + extra],
              "chat": {"messages": messages, "rendered": rendered, "ids": tok.encode(rendered)}}
    with open(os.path.join(args.dir, "golden.json"), "w") as f:
        json.dump(golden, f)


if __name__ == "__main__":
    main()
