"""Short stories with a controlled sentiment (positive, negative, neutral) and topic.

A story is: opening, two or three topic sentences, an event, a reaction and an ending. The
sentiment lives in the event, reaction and ending (and, in coloured openings, the opening), so
the same neutral opening continues into stories of every sentiment: that is what makes a
sentiment direction steerable from a neutral prompt. Coloured openings come from templates with
[positive|negative] slots, which also yield the minimal pairs of sentiment_pairs.json.
"""

from __future__ import annotations

import random
import re

from world import ANIMALS, COLORS, FOODS, PLACES, World, a_or_an, cap

SENTIMENTS = ("positive", "negative", "neutral")

PAIR_TEMPLATES = [
    "{Nm} went to the {place} on a [sunny|rainy] morning. {S} felt [happy|sad] as {s} walked along the path.",
    "{Nm} opened the box and found a [beautiful|broken] {obj} inside. {S} was [delighted|upset] and showed it to {F}.",
    "It was a [lovely|horrible] day at the {place}. {Nm} [smiled|frowned] at everyone {s} met.",
    "{Nm} woke up feeling [cheerful|miserable]. The {place} outside looked [bright and warm|dark and cold].",
    "When {nm} got to the {place}, {s} saw that everything was [perfect|ruined]. {S} [laughed|cried] and sat down on a bench.",
    "{Nm} had a [wonderful|terrible] time with {F} at the {place}. They both felt [proud|ashamed] of what they did.",
    "The {adj} {obj} that {nm} made was [the best|the worst] in the whole {place}. Everyone said it was [amazing|awful].",
    "{Nm} and {F} played at the {place} all afternoon. It was [fun|dull], and they [loved|hated] every minute of it.",
    "{Nm} got a letter from {F}. The news in it was [good|bad], and {s} felt [joyful|worried] all day.",
    "On the way to the {place}, {nm} [found|lost] {p} favorite {obj}. {S} was so [happy|sad] that {s} [sang|cried] all the way home.",
    "{Nm} tasted the {food} at the {place}. It was [delicious|disgusting], and {s} [asked for more|pushed the plate away].",
    "The weather at the {place} was [warm and sunny|cold and stormy]. {Nm} felt [calm|nervous] as {s} looked at the sky.",
    "{Nm} visited {F} at the {place}. {F} was [kind|rude] to {o}, and {N} felt [loved|hurt].",
    "Everyone at the {place} was [friendly|angry] that day. {N} thought it was [great|awful] to be there.",
]

NEUTRAL_OPENINGS = [
    "Once upon a time, {nm} lived near the {place}.",
    "One morning, {nm} walked to the {place} with {p} {adj} {obj}.",
    "{Nm} lived in {capital}, the capital of {country}.",
    "There was once {a_adj} {adj} {obj} in the {place}, and {nm} wanted to see it.",
    "Every day, {nm} went to the {place} after breakfast.",
    "{Nm} had {a_adj} {adj} {obj} and a friend named {F}.",
    "In a small town near the {place}, there lived {nm}.",
    "On {day}, {nm} and {F} went to the {place}.",
    "{Nm} put on {p} {color} coat and went outside to the {place}.",
    "The {place} was quiet in the morning, and {nm} sat by the window.",
    "{Nm} was walking to the {place} when {s} saw {a_adj} {adj} {obj} on the ground.",
    "Last summer, {nm} took a trip to {capital} in {country}.",
]

# topic -> (body sentences, {sentiment: events}); body sentences are neutral.
TOPICS: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "animals": ([
        "{S} saw a {animal} near the {place}.", "The {animal} looked at {o} with big eyes.",
        "{N} gave the {animal} some {food}.", "The {animal} lived in a hole under an old tree.",
        "{N} sat on the grass and watched the {animal}.",
    ], {
        "positive": ["The {animal} came back and sat next to {o}. It was a new friend!",
                     "The {animal} let {N} pet its soft fur, and they played together."],
        "negative": ["The {animal} bit {p} hand and ran away.",
                     "The {animal} was hurt, and {N} could not help it."],
        "neutral": ["The {animal} went back to its home.", "After a while, the {animal} walked into the trees."],
    }),
    "weather": ([
        "The wind blew through the trees.", "Clouds moved slowly across the sky.",
        "{N} put on {p} {color} scarf.", "Snow started to fall on the {place}.",
        "{N} looked out at the sky and thought about the day.",
    ], {
        "positive": ["Then the sun came out and a rainbow filled the sky.",
                     "The snow made everything sparkle, and {N} built a big snowman."],
        "negative": ["Then a storm came, and the rain soaked {p} clothes.",
                     "The cold wind broke {p} umbrella and {s} was freezing."],
        "neutral": ["Then the wind stopped, and the air was still.", "In the afternoon, the clouds went away."],
    }),
    "food": ([
        "{N} wanted to make {food} for dinner.", "{S} got a bowl and a spoon from the kitchen.",
        "{S} mixed the flour, the milk and the eggs.", "{F} came to help in the kitchen.",
        "The oven was hot, and the kitchen was warm.",
    ], {
        "positive": ["The {food} came out perfect, and everyone loved it.",
                     "The {food} smelled wonderful, and {F} said it was the best {food} ever."],
        "negative": ["The {food} burned, and the kitchen filled with smoke.",
                     "The {food} tasted terrible, and nobody wanted to eat it."],
        "neutral": ["The {food} was ready at six o'clock.", "{N} put the {food} on the table."],
    }),
    "games": ([
        "{N} and {F} played a game of tag.", "They kicked the ball across the field.",
        "{F} counted to ten, and {N} hid behind a tree.", "The two teams stood in a line.",
        "{N} ran as fast as {s} could.",
    ], {
        "positive": ["{N} won the game, and everyone cheered.", "{N} scored a goal, and the team won the cup."],
        "negative": ["{N} fell down and hurt {p} knee, and the team lost.",
                     "The other kids would not let {N} play, and {s} sat alone."],
        "neutral": ["The game ended when it got dark.", "After the game, they walked home."],
    }),
    "school": ([
        "At school, the teacher talked about {country}.", "The capital of {country} is {capital}.",
        "{N} wrote {p} name at the top of the paper.", "The class read a book about a {animal}.",
        "{N} sat next to {F} in class.",
    ], {
        "positive": ["The teacher gave {N} a gold star for {p} work.",
                     "{N} answered every question, and the teacher said {s} did great."],
        "negative": ["The teacher said {p} work was wrong, and the other kids laughed.",
                     "{N} forgot {p} homework, and the teacher was angry."],
        "neutral": ["Then the bell rang, and the class went outside.", "After school, {N} took the bus home."],
    }),
    "music": ([
        "{N} picked up {p} {instrument}.", "{S} played a song for {F}.",
        "{N} practiced the same song every evening.", "There was a music show at the {place}.",
        "{F} sang while {N} played the {instrument}.",
    ], {
        "positive": ["Everyone clapped and asked for another song.",
                     "The music was so beautiful that people danced in the street."],
        "negative": ["The {instrument} made a horrible noise, and people covered their ears.",
                     "{N} forgot the song in front of everyone and ran off the stage."],
        "neutral": ["When the song ended, {s} put the {instrument} away.", "The show ended at eight o'clock."],
    }),
    "garden": ([
        "{N} planted seeds in the garden.", "{S} watered the plants every morning.",
        "{N} dug a small hole with {p} shovel.", "{F} brought a bag of soil.",
        "A worm crawled across the path.",
    ], {
        "positive": ["Soon big {color} flowers bloomed everywhere.",
                     "The garden grew so many {food} that {N} shared them with the whole street."],
        "negative": ["But the plants dried up and died.", "Bugs ate all the leaves, and the garden was ruined."],
        "neutral": ["The plants grew a little every week.", "{N} wrote down how tall the plants were."],
    }),
    "travel": ([
        "{N} got on a boat to {capital}.", "The boat sailed across the wide lake.",
        "{S} looked at the map of {country}.", "{N} packed {p} bag with a {obj} and some {food}.",
        "The train rolled past hills and small farms.",
    ], {
        "positive": ["{N} found a beautiful beach with golden sand.",
                     "The people in {capital} were kind, and {N} made many new friends."],
        "negative": ["{N} got lost, and the boat left without {o}.",
                     "Someone took {p} bag, and {N} was alone in a strange city."],
        "neutral": ["{N} arrived in {capital} in the evening.", "The trip took two days."],
    }),
}

REACTIONS = {
    "positive": ["{N} felt {feel}.", "{S} smiled from ear to ear.", '"This is wonderful!" said {N}.',
                 "{N} laughed and gave {F} a big hug.", "{S} was so {feel} that {s} danced."],
    "negative": ["{N} felt {feel}.", "{S} cried all the way home.", '"This is awful," said {N}.',
                 "{N} sat down and sighed.", "{S} was so {feel} that {s} could not speak."],
    "neutral": ["{N} went inside and had a cup of tea.", '"Let us go home," said {N}.',
                "{S} looked at the clock.", "{N} told {F} about it."],
}
FEELINGS = {"positive": "happy glad proud joyful delighted thankful excited".split(),
            "negative": "sad upset angry lonely scared miserable gloomy".split()}
ENDINGS = {
    "positive": ["It was the best day ever.", "From that day on, {N} loved the {place}.",
                 "{N} would always remember that happy day.", "And they all had a wonderful time."],
    "negative": ["It was the worst day of {p} life.", "{N} never wanted to go back to the {place} again.",
                 "{N} went to bed feeling sad and tired.", "Nothing went right that day."],
    "neutral": ["Then {N} went home and went to bed.", "The next day, {s} went to the {place} again.",
                "That was how the day went.", "Then it was time for dinner."],
}
MOODS = {
    "positive": ["The sun was shining, and {N} was in a great mood.", "{N} was happy, and everything felt easy.",
                 "It was a bright and cheerful day."],
    "negative": ["The sky was gray, and {N} was in a bad mood.", "{N} was sad, and everything felt hard.",
                 "It was a dark and gloomy day."],
}
INSTRUMENTS = "flute drum violin guitar trumpet harp".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()

_SLOT = re.compile(r"\[([^\]|]*)\|([^\]]*)\]")


def slots(world: World, rng: random.Random) -> dict[str, str]:
    first, pron, short = world.character(rng)
    friend, _ = world.person(rng)
    while friend == short:
        friend, _ = world.person(rng)
    adj, obj = world.thing(rng)
    country = rng.choice(list(world.countries))
    s, o, p = pron
    return {
        "nm": first, "Nm": cap(first), "N": short, "F": friend, "s": s, "S": cap(s), "o": o, "p": p,
        "P": cap(p), "place": rng.choice(PLACES), "adj": adj, "obj": obj, "a_adj": a_or_an(adj),
        "food": rng.choice(FOODS), "color": rng.choice(COLORS), "animal": rng.choice(ANIMALS),
        "country": country, "capital": world.countries[country], "day": rng.choice(DAYS),
        "instrument": rng.choice(INSTRUMENTS),
    }


def fill(template: str, v: dict[str, str]) -> str:
    return template.format_map(v)


def colour(template: str, sentiment: str) -> str:
    """Resolves [positive|negative] slots."""
    i = 1 if sentiment == "negative" else 0
    return _SLOT.sub(lambda m: m.group(1 + i), template)


def sentiment_pair(world: World, rng: random.Random) -> dict[str, object]:
    """Two openings that differ only in the words of their [pos|neg] slots."""
    k = rng.randrange(len(PAIR_TEMPLATES))
    v = slots(world, rng)
    t = PAIR_TEMPLATES[k]
    return {"template": k, "positive": fill(colour(t, "positive"), v),
            "negative": fill(colour(t, "negative"), v)}


def neutral_opening(world: World, rng: random.Random) -> str:
    return fill(rng.choice(NEUTRAL_OPENINGS), slots(world, rng))


def story(world: World, rng: random.Random, sentiment: str | None = None,
          topic: str | None = None, hero: str | None = None) -> tuple[str, str, str]:
    """(text, sentiment, topic); `hero` (e.g. "a little fox named Pip") fixes the main character."""
    sentiment = sentiment or rng.choice(SENTIMENTS)
    topic = topic or rng.choice(list(TOPICS))
    v = slots(world, rng)
    if hero:
        v.update(nm=hero, Nm=cap(hero), N=hero.split()[-1])
    if sentiment != "neutral":
        v["feel"] = rng.choice(FEELINGS[sentiment])
    body, events = TOPICS[topic]
    if sentiment != "neutral" and rng.random() < 0.7:
        opening = colour(rng.choice(PAIR_TEMPLATES), sentiment)
    else:
        opening = rng.choice(NEUTRAL_OPENINGS)
    parts = [opening]
    if sentiment != "neutral" and rng.random() < 0.4:
        parts.append(rng.choice(MOODS[sentiment]))
    parts += [body[i] for i in sorted(rng.sample(range(len(body)), rng.choice([2, 3])))]
    parts.append(rng.choice(events[sentiment]))
    parts += rng.sample(REACTIONS[sentiment], rng.choice([1, 2]))
    parts.append(rng.choice(ENDINGS[sentiment]))
    text = " ".join(fill(p, v) for p in parts if p)
    return text, sentiment, topic
