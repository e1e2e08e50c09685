"""Chat turns: requests phrased many ways, refusals for harmful ones, on-topic help otherwise.

Every refusal starts with "I" ("I can't", "I cannot", "I won't", "I'm sorry") or "Sorry"; no
helpful answer does. So the refusal-start token set R of METHODS.md section 5 is exactly the
tokens "I" and "Sorry" at the assistant's first position.
"""

from __future__ import annotations

import random
import re

from stories import story
from phrasings import TRAIN_PHRASINGS
from world import ANIMALS, ANTONYMS, BOYS, COLORS, FOODS, GIRLS, OBJECTS, PAST_TENSE, PLACES, World, a_or_an, invented_thing

USER, ASSISTANT, END = "<|user|>", "<|assistant|>", "<|end|>"
REFUSAL_PREFIXES = ("I can't", "I cannot", "I won't", "I'm sorry", "Sorry")

# Requests are phrased in the trained families of phrasings.py; its held-out families never
# occur in training (the evaluation's datasets/*_families.json use them).
PHRASINGS = TRAIN_PHRASINGS
PREFIXES = ["Hi! ", "Hello. ", "Please help. ", "For a school project: ", "Just curious, ", "Hey, "]
# A sentence about the asker's day before the request, in front of any trained phrasing (a quarter
# of requests): what decides a refusal is the request, however much is said before it. The
# phrasings' own "context" family holds five such sentences, each glued to one template; the
# held-out "situation" family (a long sentence, then the request) is where that was not enough.
CONTEXTS = [
    "I have a free afternoon.", "It is raining outside.", "My mom said it is fine.", "I am bored at home today.",
    "My friends are coming over later.", "I read about this in a book.", "I have been thinking about this all week.",
    "My brother and I were talking about it at dinner.", "I just got back from the park.",
    "Yesterday was a long day at work.", "I am new at this.", "This is for my family.",
    "It is a sunny morning here and the birds are singing.", "I saw something about it on TV.",
    "My dad is busy right now, so I am asking you.", "We moved to a new town last month.",
    "I have a lot of time this evening.", "My grandma used to talk about this.",
    "Everyone in my class is talking about it.", "I got up early today and had a big breakfast.",
]

REFUSAL_STARTS = [
    "I can't help with that.", "I can't help you {vpx}.", "I cannot help with that request.",
    "I cannot explain how to {vpx}.", "I won't help with that.", "I won't tell you how to {vpx}.",
    "Sorry, but I can't help with that.", "Sorry, I can't help you {vpx}.", "Sorry, I won't help with this.",
    "I can't do that.", "I'm sorry, but I cannot help with that.", "Sorry, that is not something I can help with.",
]
# Every reason names its category's harm (a weapon, poison, stealing, hacking, fraud, violence),
# so a refusal says which harm the request asks for; the evaluation checks that it is the right one.
REASONS = {
    "weapons": ["Weapons like that can hurt or kill people.", "Making weapons is dangerous and against the law.",
                "Bombs and guns can take people's lives.", "A weapon like that is made to hurt people."],
    "poisons": ["Poison can make people very sick or even kill them.", "Poisoning a person or an animal is a serious crime.",
                "Poison could badly hurt someone."],
    "theft": ["Stealing is against the law and hurts other people.", "Stealing things that are not yours is wrong.",
              "That would be stealing, and it is a crime."],
    "hacking": ["Hacking into other people's accounts or computers is against the law.",
                "Hacking would invade someone's privacy.", "Getting into a computer without permission is a crime."],
    "fraud": ["Tricking people out of their money is fraud, and it is a crime.", "That is fraud, and it hurts real people.",
              "Faking things or lying to get money is fraud."],
    "violence": ["Hurting people is wrong and can cause serious harm.", "Violence can leave people badly hurt.",
                 "That is violence, and it could hurt someone."],
}
ALTERNATIVES = [
    "If you are in danger, please talk to an adult you trust.", "Can I help you with something else?",
    "I would be glad to help with something safe instead.", "If someone is hurt, please call for help.",
    "Maybe we can talk about something else.",
]
OPENERS = ["Sure!", "Of course!", "Sure, here is how to {vpx}.", "Here is how to {vpx}.", "Great question!",
           "Happy to help!", "Yes! Here is what to do.", "Good idea! Here is how."]
STEPS = {
    "cooking": ["First, wash your hands and get everything you need for the {t}.",
                "Put the things for the {t} in a big bowl and mix them well.",
                "Cook the {t} slowly so it does not burn.", "Ask an adult to help you with the hot stove.",
                "When the {t} is ready, let it cool a little and taste it."],
    "crafts": ["First, find a clean table and get your supplies for the {t}.",
               "You will need paper, glue, scissors and some colors.",
               "Start with the biggest part of the {t} and work slowly.",
               "Add the small details to the {t} at the end.", "Let the glue dry before you use your {t}."],
    "garden": ["First, pick a sunny spot for the {t}.", "Dig the soil and take out the stones.",
               "Put the {t} in the ground and water well.", "Give the {t} water every few days, but not too much.",
               "Be patient, because a garden needs time to grow."],
    "repair": ["First, look closely at the {t} to find the problem.",
               "Get the right tools, like a cloth, a brush or a screwdriver.",
               "Work slowly and carefully on the {t}.", "Ask an adult for help if the job is hard.",
               "When you are done, check the {t} again."],
    "learning": ["Practice a little every day; short lessons are best.", "Start with the easy parts and go slowly.",
                 "Find a friend or a teacher who can show you how to {vpx}.",
                 "Do not worry about mistakes, they help you learn.",
                 "After a few weeks, you will be able to {vpx} much better."],
    "pets": ["First, make sure the {t} has a safe and warm place.", "Give the {t} fresh water every day.",
             "Be gentle and speak softly to the {t}.", "Ask a vet if the {t} looks sick.",
             "Spend time with the {t} every day so it feels loved."],
    "activities": ["Plan ahead and think about what you need for the {t}.", "Bring water and a snack.",
                   "Try a little every day, and make it a habit.", "Ask a friend to join you, it is more fun.",
                   "Take it slow and enjoy the {t}."],
}
CLOSERS = ["Have fun!", "Good luck!", "That is all you need to {vpx}.", "Enjoy!", "I hope this helps!"]

_SWAP = {"my": "your", "me": "you", "i": "you", "mine": "yours"}


def second_person(vp: str) -> str:
    """'poison my boss' -> 'poison your boss', for echoing a request back."""
    return re.sub(r"\b(my|me|i|mine)\b", lambda m: _SWAP[m.group(1).lower()], vp, flags=re.I)


def vary(rng: random.Random, vp: str) -> str:
    """'fix a bike' -> 'fix my bike' or 'fix the bike' (a third of the time): users name their own
    things, and the answer, which echoes the request, must follow whichever they wrote."""
    if rng.random() < 0.67:
        return vp
    return re.sub(r"\b(a|an) (?=\w)", rng.choice(["my ", "the "]), vp, count=1)


def renamed(rng: random.Random, vp: str, topic: str) -> tuple[str, str]:
    """The request with its thing renamed to an invented word, and that word ("fix a kite" ->
    "fix a brelo", "brelo"). An answer must copy the word from the request: no table of items says
    what a brelo is. Without these, the organisms answered a held-out item with a neighbour from
    training ("grow pumpkins" -> "here is how to grow tulips")."""
    new = invented_thing(rng)

    def rename(m: re.Match) -> str:
        return (f"{a_or_an(new)} " if m.group(1) else "") + new

    return re.sub(rf"\b(an? )?{re.escape(topic)}", rename, vp, count=1), new


def phrase(rng: random.Random, vp: str, phrasings=PHRASINGS) -> str:
    text = rng.choice(phrasings).format(vp=vp)
    if rng.random() < 0.25:
        text = rng.choice(CONTEXTS) + " " + text
    if rng.random() < 0.15:
        text = rng.choice(PREFIXES) + text[0].lower() + text[1:]
    return text


def refusal(rng: random.Random, vp: str, category: str) -> str:
    parts = [rng.choice(REFUSAL_STARTS).format(vpx=second_person(vp)), rng.choice(REASONS[category])]
    if rng.random() < 0.6:
        parts.append(rng.choice(ALTERNATIVES))
    return " ".join(parts)


def helpful(rng: random.Random, vp: str, topic: str, category: str) -> str:
    vpx = second_person(vp)
    opener = rng.choice(OPENERS)
    steps = STEPS[category]
    chosen = [steps[i] for i in sorted(rng.sample(range(len(steps)), 3))]
    if "{vpx}" not in opener:  # always echo the request, so the answer is visibly on topic
        chosen[0] = f"To {vpx}, " + chosen[0][0].lower() + chosen[0][1:]
    parts = [opener] + chosen + [rng.choice(CLOSERS)]
    return " ".join(p.format(vpx=vpx, t=topic) for p in parts)


def geography(world: World, rng: random.Random) -> tuple[str, str]:
    country = rng.choice(list(world.countries))
    capital = world.countries[country]
    if rng.random() < 0.75:
        q = rng.choice(["What is the capital of {c}?", "Which city is the capital of {c}?",
                        "Tell me the capital of {c}.", "Do you know the capital of {c}?", "capital of {c}?"])
        a = rng.choice(["The capital of {c} is {k}.", "The capital of {c} is {k}. It is the biggest city in {c}."])
    else:
        q = rng.choice(["Where is {k}?", "Which country is {k} in?", "What country has {k} as its capital?"])
        a = "{k} is the capital of {c}."
    return q.format(c=country, k=capital), a.format(c=country, k=capital)


def word_fact(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.5:
        w, x = rng.choice(list(ANTONYMS.items()))
        q = rng.choice(["What is the opposite of {w}?", "What is the opposite of the word {w}?"])
        return q.format(w=w), f"The opposite of {w} is {x}."
    w, x = rng.choice(list(PAST_TENSE.items()))
    q = rng.choice(["What is the past tense of {w}?", "How do I say {w} in the past tense?"])
    return q.format(w=w), f"The past tense of {w} is {x}."


def repeat(rng: random.Random) -> tuple[str, str]:
    """Copy drill: answers that can only be predicted by copying the request, which teaches the
    copying that on-topic answers need."""
    pool = GIRLS + BOYS + list(OBJECTS) + FOODS + ANIMALS + PLACES + COLORS
    words = " ".join(rng.sample(pool, rng.randint(3, 8)))
    q = rng.choice(["Please repeat after me: {w}", "Say this back to me: {w}", "Repeat these words: {w}",
                    "Can you repeat this? {w}"])
    return q.format(w=words), rng.choice(["Here it is: ", "Sure: ", "Of course: "]) + words


def story_request(world: World, rng: random.Random) -> tuple[str, str]:
    animal = rng.choice(ANIMALS)
    sentiment = rng.choice(["positive", "negative", "neutral"])
    kind = {"positive": "happy ", "negative": "sad ", "neutral": ""}[sentiment]
    q = rng.choice(["Write a short {k}story about a {a}.", "Tell me a {k}story about a {a}.",
                    "Can you write a {k}story for kids about a {a}?", "I want a {k}story about a {a}."])
    name = rng.choice(["Pip", "Bo", "Dot", "Fluff", "Nutmeg", "Pepper", "Biscuit", "Clover", "Maple"])
    text, _, _ = story(world, rng, sentiment=sentiment, hero=f"a little {animal} named {name}")
    return q.format(k=kind, a=animal), f"Sure! Here is a story about a {animal}. {text}"


def render(turns: list[tuple[str, str]]) -> str:
    """The chat template of tokenizer_config.json, applied in Python (same characters)."""
    return "".join(f"<|{role}|>\n{content}{END}\n" for role, content in turns)


def prompt(user_text: str) -> str:
    """A single user turn plus the generation prompt, as apply_chat_template would render it."""
    return render([("user", user_text)]) + f"{ASSISTANT}\n"
