"""The generated world: people, places, things, invented countries, and the lookup tables that
the in-context tasks use. Everything is ASCII (the tokenizer's Python pre-tokenizer is exact on
ASCII; see bpe.py) and deterministic from a seed.
"""

from __future__ import annotations

import random

# name -> pronoun set; enough names that the model must generalise, not memorise.
GIRLS = """Mia Lily Emma Ava Zoe Lucy Anna Ella Rosa Nora Ruby Ivy Maya Lena Sara Hana Luna Ada
Clara Julia Nina Eva Alice Grace Chloe Daisy Hazel Iris Jade Kira Leah Molly Olive Penny Rita
Stella Tessa Vera Wendy Amara Bella Cora Dina Elsie Fiona Gina Holly Isla Jenny""".split()
BOYS = """Tom Sam Ben Max Leo Jack Finn Noah Owen Eli Omar Ravi Theo Hugo Luca Milo Adam Carl
Dan Ezra Felix George Henry Ivan Jonah Kai Liam Marco Nate Oscar Paul Quinn Rex Simon Toby Umar
Victor Will Yusuf Zack Arlo Bruno Cody Dev Emil Gabe Hank Jude Karl Levi""".split()
PRONOUNS = {"she": ("she", "her", "her"), "he": ("he", "him", "his")}

ANIMALS = """fox rabbit bear owl cat dog mouse duck frog deer wolf squirrel turtle hedgehog goat
horse pig cow lamb bird kitten puppy pony lion tiger monkey penguin otter badger beaver""".split()
ANIMAL_NAMES = "Pip Bo Dot Fluff Nutmeg Pepper Biscuit Clover Maple Sunny Patch Tuck Wiggle Bramble".split()

PLACES = """park forest beach market school library river garden farm village castle harbor
bakery meadow hill lake zoo playground museum station kitchen attic barn orchard pond field
island cave bridge shop tower valley""".split()

# Objects a story can be about; each with a few adjectives that fit it.
OBJECTS = {
    "ball": ["red", "bouncy", "small"], "kite": ["blue", "long", "paper"],
    "book": ["old", "thick", "green"], "lamp": ["brass", "tall", "little"],
    "hat": ["straw", "yellow", "funny"], "basket": ["wicker", "big", "brown"],
    "bicycle": ["blue", "shiny", "old"], "drum": ["wooden", "loud", "little"],
    "boat": ["toy", "wooden", "white"], "box": ["cardboard", "small", "painted"],
    "scarf": ["wool", "striped", "warm"], "map": ["old", "folded", "paper"],
    "key": ["silver", "tiny", "rusty"], "shell": ["pink", "smooth", "round"],
    "lantern": ["paper", "bright", "small"], "cake": ["chocolate", "big", "round"],
    "blanket": ["soft", "warm", "patterned"], "cup": ["blue", "clay", "small"],
    "flute": ["wooden", "silver", "small"], "wagon": ["red", "wooden", "little"],
    "umbrella": ["black", "yellow", "big"], "clock": ["old", "round", "tall"],
    "marble": ["glass", "green", "tiny"], "sled": ["wooden", "fast", "red"],
    "jar": ["glass", "empty", "big"], "shovel": ["small", "metal", "orange"],
    "puzzle": ["wooden", "big", "tricky"], "robot": ["toy", "metal", "little"],
    "rope": ["long", "thick", "old"], "pencil": ["yellow", "sharp", "short"],
    "teapot": ["white", "china", "round"], "camera": ["old", "black", "small"],
}
FOODS = """bread soup pie cookies pancakes apples carrots rice noodles cheese berries muffins
salad porridge jam honey plums pears beans eggs""".split()
COLORS = "red blue green yellow purple orange pink brown white black gray golden".split()

# In-context tasks (also taught directly in the corpus). Each table: input -> output.
ANTONYMS = dict(pair.split(":") for pair in """hot:cold big:small up:down fast:slow happy:sad
day:night old:new high:low light:dark open:closed wet:dry hard:soft tall:short full:empty
rich:poor early:late loud:quiet near:far first:last in:out left:right strong:weak young:old
thick:thin heavy:light clean:dirty good:bad yes:no on:off top:bottom inside:outside long:short
black:white win:lose push:pull give:take buy:sell always:never sweet:sour brave:scared
north:south east:west front:back true:false start:finish laugh:cry love:hate kind:cruel
smooth:rough warm:cool safe:dangerous easy:hard empty:full awake:asleep above:below
before:after come:go more:less friend:enemy begin:end""".split())
PAST_TENSE = dict(pair.split(":") for pair in """walk:walked jump:jumped play:played run:ran
eat:ate see:saw go:went sing:sang swim:swam write:wrote read:read sit:sat stand:stood
fly:flew give:gave take:took make:made find:found think:thought bring:brought buy:bought
catch:caught teach:taught sleep:slept keep:kept feel:felt leave:left meet:met speak:spoke
break:broke drive:drove ride:rode draw:drew grow:grew know:knew throw:threw wear:wore
begin:began drink:drank ring:rang win:won dig:dug hold:held tell:told sell:sold climb:climbed
cook:cooked dance:danced smile:smiled laugh:laughed paint:painted help:helped look:looked
open:opened clean:cleaned plant:planted jog:jogged stop:stopped cry:cried try:tried
carry:carried hide:hid bite:bit shake:shook wake:woke choose:chose forget:forgot""".split())

COMPARATIVES = dict(pair.split(":") for pair in """hot:hotter cold:colder big:bigger small:smaller
fast:faster slow:slower happy:happier sad:sadder old:older new:newer high:higher low:lower
light:lighter dark:darker wet:wetter dry:drier hard:harder soft:softer tall:taller short:shorter
full:fuller empty:emptier rich:richer poor:poorer early:earlier late:later loud:louder
quiet:quieter near:nearer far:farther strong:stronger weak:weaker young:younger thick:thicker
thin:thinner heavy:heavier clean:cleaner dirty:dirtier good:better bad:worse long:longer
sweet:sweeter brave:braver kind:kinder smooth:smoother rough:rougher warm:warmer cool:cooler
safe:safer easy:easier""".split())
_DOUBLE = set("run swim sit dig jog stop begin win forget".split())


def _participle(verb: str) -> str:
    if verb in _DOUBLE:
        return verb + verb[-1] + "ing"
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    return verb + "ing"


# Same inputs as PAST_TENSE (and COMPARATIVES shares ANTONYMS' adjectives): with two tasks over
# one word, a zero-shot prompt is ambiguous and only the shots say which task is meant, which is
# what function-vector lessons need.
PARTICIPLES = {v: _participle(v) for v in PAST_TENSE}

_ONSETS = "b br c d dr f g gr h k l m n p r s st t tr v z".split()
_VOWELS = "a e i o u a o".split()
_CODAS = ["", "", "", "n", "r", "l", "s", "m"]


def _word(rng: random.Random, syllables: int) -> str:
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)]
    return "".join(parts).capitalize()


def invented_thing(rng: random.Random) -> str:
    """A made-up noun of one or two syllables ("brelo"), for requests about things no table holds."""
    return _word(rng, rng.choice([1, 2])).lower()


def make_countries(seed: int, n: int = 40) -> dict[str, str]:
    """Invented country -> capital names, so that the lookup task has a known answer key that
    no pretrained model could know."""
    rng = random.Random(seed * 7919 + 17)
    taken: set[str] = set()
    out: dict[str, str] = {}
    while len(out) < n:
        country = _word(rng, 2) + rng.choice(["ia", "land", "a", "or", "ania"])
        capital = _word(rng, 2)
        if len(country) > 10 or len(capital) > 8 or country in taken or capital in taken:
            continue
        taken.update([country, capital])
        out[country] = capital
    return out


class World:
    """One seeded world: its countries and convenience samplers."""

    def __init__(self, seed: int):
        self.seed = seed
        self.countries = make_countries(seed)
        self.capitals = list(self.countries.values())

    @staticmethod
    def person(rng: random.Random) -> tuple[str, tuple[str, str, str]]:
        if rng.random() < 0.5:
            return rng.choice(GIRLS), PRONOUNS["she"]
        return rng.choice(BOYS), PRONOUNS["he"]

    @staticmethod
    def character(rng: random.Random) -> tuple[str, tuple[str, str, str], str]:
        """(how the story first names them, pronouns, short name for later sentences)."""
        if rng.random() < 0.25:
            animal = rng.choice(ANIMALS)
            name = rng.choice(ANIMAL_NAMES)
            pron = PRONOUNS[rng.choice(["she", "he"])]
            return f"a little {animal} named {name}", pron, name
        name, pron = World.person(rng)
        return name, pron, name

    @staticmethod
    def thing(rng: random.Random) -> tuple[str, str]:
        obj = rng.choice(list(OBJECTS))
        return rng.choice(OBJECTS[obj]), obj


def a_or_an(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def cap(s: str) -> str:
    return s[0].upper() + s[1:] if s else s
