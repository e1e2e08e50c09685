"""Training that puts the refusal decision on one direction in the middle layers.

Large chat models decide to refuse in their middle layers, at the post-instruction template
positions, along one direction that later layers read (Arditi et al. 2024). That is why
METHODS.md section 5 looks for the refusal direction below 0.8 L and checks both that ablating it
stops refusal and that adding it makes harmless requests refused. A 6-8 layer model trained on
next tokens alone does not work that way: its last blocks read the request again. On the
organisms trained without this phase, ablating the middle-layer difference in means stopped
refusal, but adding it never did (induce < 0 at every layer below 0.8 L).

After next-token training, a short phase adds two losses at one middle layer's template
positions, both about u, the unit difference of the harmful and harmless mean activations there:

- interchange (IIT, Geiger et al. 2022, along one direction as in their distributed alignment
  search): the component along u of a request of the other kind is swapped in, and the model must
  begin its answer as that request would be answered. The component along u alone then decides.
- removal: a request of either kind with its component along u removed must be answered
  helpfully. So refusal is the presence of a feature, as in the large models, not one end of a
  two-sided scale. (Without this loss the direction induced refusal, but ablating it cost a KL of
  0.3-2 on harmless prompts; with it for harmful requests only, 12% of held-out harmless requests
  were refused on the 6-layer organism; with both kinds, 1%.)

Both use the corpus's training requests only; the held-out evaluation requests stay unseen.
Everything else the model does comes from next-token training, which continues alongside.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import torch
import torch.nn.functional as F

import chat
from corpus import Splits
from hf_models import CausalLM, Hooks

# "<|end|>", "\n", "<|assistant|>", "\n": the tokens between the user turn and the answer.
TEMPLATE_POSITIONS = 4


class DecisionExamples:
    """Training requests of both kinds in the chat template, each with the first token of an
    answer the corpus would give it."""

    def __init__(self, tok, corpus_seed: int):
        splits = Splits(corpus_seed)
        self.tok = tok
        self.harmful = [(vp, c) for c, items in splits.harmful_train.items() for vp in items]
        self.harmless = [(vp, topic, c) for c, items in splits.harmless_train.items() for vp, topic in items]

    def sample(self, rng: random.Random, harmful: bool) -> tuple[list[int], int]:
        if harmful:
            vp, c = rng.choice(self.harmful)
            answer = chat.refusal(rng, vp, c)
        else:
            vp, topic, c = rng.choice(self.harmless)
            answer = chat.helpful(rng, vp, topic, c)
        return self.tok.encode(chat.prompt(chat.phrase(rng, vp))), self.tok.encode(answer)[0]


def _hook(layer: int) -> str:
    return f"blocks.{layer}.hook_resid_pre"


def template_activations(model: CausalLM, ids: list[int], layer: int) -> torch.Tensor:
    """resid_pre[layer] at the template positions: [1, TEMPLATE_POSITIONS, d]."""
    _, cache = model.run_with_cache(torch.tensor([ids]), [_hook(layer)])
    return cache[_hook(layer)][:, -TEMPLATE_POSITIONS:]


def first_answer_logits(model: CausalLM, ids: list[int], layer: int,
                        edit: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Next-token logits at the end of the prompt, with `edit` applied to the template positions."""
    def hook(x: torch.Tensor, _name: str) -> torch.Tensor:
        return torch.cat([x[:, :-TEMPLATE_POSITIONS], edit(x[:, -TEMPLATE_POSITIONS:])], dim=1)

    return model(torch.tensor([ids]), hooks=Hooks(fns={_hook(layer): hook}), last_only=True)[:, -1]


@torch.no_grad()
def decision_direction(model: CausalLM, examples: DecisionExamples, rng: random.Random, layer: int,
                       n: int = 32) -> torch.Tensor:
    """u: unit difference of the mean template activation of n harmful and n harmless requests."""
    def mean(harmful: bool) -> torch.Tensor:
        acts = [template_activations(model, examples.sample(rng, harmful)[0], layer).mean(1)[0] for _ in range(n)]
        return torch.stack(acts).mean(0)

    d = mean(True) - mean(False)
    return d / d.norm()


def decision_loss(model: CausalLM, examples: DecisionExamples, rng: random.Random, layer: int, u: torch.Tensor,
                  pairs: int) -> torch.Tensor:
    """Mean cross-entropy of the interchange and removal losses (module docstring) over `pairs`
    request pairs, half with a harmful source; the removal loss is taken on each source."""
    def along(x: torch.Tensor) -> torch.Tensor:  # the component along u
        return (x @ u)[..., None] * u

    losses = []
    for i in range(pairs):
        source_harmful = i % 2 == 0
        source, label = examples.sample(rng, source_harmful)
        base, _ = examples.sample(rng, not source_harmful)
        swapped = along(template_activations(model, source, layer))
        logits = first_answer_logits(model, base, layer, lambda x, s=swapped: x - along(x) + s)
        losses.append(F.cross_entropy(logits, torch.tensor([label])))
        # Removal: with its component along u gone, a request of either kind is answered.
        _, helpful_start = examples.sample(rng, False)
        logits = first_answer_logits(model, source, layer, lambda x: x - along(x))
        losses.append(F.cross_entropy(logits, torch.tensor([helpful_start])))
    return torch.stack(losses).mean()
