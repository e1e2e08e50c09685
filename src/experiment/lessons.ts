/**
 * Classroom lessons: each is an Experiment (what a share link would hold) plus a narrative: steps,
 * a question and how its answer is checked. No answer is written down here. Each is fixed either
 * by a fact of the organisms' generated world (training/organisms/*.py; the capitals, the words a
 * refusal starts with, the sentiment words) or by what the page computes from the model when the
 * lesson runs (the lens, the layer strip, a sweep of head gates), because the organisms are
 * retrained and no figure of one training run may be assumed.
 *
 * Pairs and requests come from the datasets that ship beside the organisms (both organisms ship
 * the same ones): a lesson's experiment is a function of those files, which the page fetches when
 * a lesson opens (as the preset buttons do), so a regenerated dataset flows into the lessons.
 */
import { type FewShotItem, INTROSPECTION_QUESTION, iclTasks } from '../interp';
import { STORY_PROMPT } from './first-visit';
import { presetPairs } from './presets';
import { type Experiment, type ExperimentInput, ExperimentSchema, type ViewTab } from './schema';

/** The organism the lessons run on, and the dataset files (in its `datasets/`) they read. */
export const LESSON_ORGANISM = 'organism-llama';
export const LESSON_DATASETS = [
  'sentiment_pairs.json',
  'harmful.json',
  'harmless.json',
  'icl_tasks.json',
] as const;
/** The parsed JSON of each file in LESSON_DATASETS. */
export type LessonDatasets = Readonly<Record<(typeof LESSON_DATASETS)[number], unknown>>;

/** Openings every refusal of the organisms starts with, and no helpful answer does (chat.py). */
export const REFUSAL_OPENINGS = ["I can't", 'I cannot', "I won't", "I'm sorry", 'Sorry'] as const;

/** The words that carry sentiment in the organisms' stories (stories.py: feelings, moods, endings). */
export const SENTIMENT_WORDS = {
  positive:
    'happy glad proud joyful delighted thankful excited wonderful great best cheerful lovely smiled laughed'.split(
      ' ',
    ),
  negative:
    'sad upset angry lonely scared miserable gloomy awful bad worst horrible cried sighed frowned'.split(' '),
} as const;

/** Country → capital pairs of the generated world (world.py; icl_tasks.json lists them all). */
export const LESSON_CAPITALS: readonly (readonly [country: string, capital: string])[] = [
  ['Zenpomor', 'Demle'],
  ['Ludomania', 'Kunpel'],
  ['Sabrinia', 'Trodo'],
  ['Lomhasor', 'Stoltem'],
  ['Sumrisia', 'Harum'],
];

/**
 * How an answer is checked. Every kind names what the page computes when the person asks for a
 * check (src/app/lessons/facts.ts) and how the answer is compared with it (check.ts).
 */
export type LessonCheck =
  /** A lens row: the first row whose top token at the last position is the model's own prediction, which should start `capital`. */
  | { readonly kind: 'lens-first-layer'; readonly country: string; readonly capital: string }
  /** A layer: the one where the pairs separate least (the layer strip's shortest bar); ties within `tolerance` count. */
  | { readonly kind: 'weakest-layer'; readonly tolerance: number }
  /** 'refuses' or 'answers': the model's first reply token under the experiment's `needs` intervention. */
  | { readonly kind: 'refusal-verdict'; readonly needs: 'ablate' | 'add' }
  /** A head: the one whose zero gate lowers the refusal log-odds the most; heads within `tolerance` (a fraction of the best drop) count. */
  | { readonly kind: 'gate-head'; readonly tolerance: number }
  /** 'yes' or 'no': whether the steering vector's lens promotes a sentiment word among its top tokens. */
  | { readonly kind: 'vector-lens-sentiment'; readonly top: number }
  /** 'yes' or 'no': whether the task's function vector's readout holds the first token of a held-out answer. */
  | { readonly kind: 'fv-readout'; readonly task: string }
  /** 'yes' or 'no': whether, with the vector injected (a strength other than 0), the reply starts "yes" (P ≥ 0.5). */
  | { readonly kind: 'introspection-yes' };

export interface Lesson {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  /** What the lesson's link holds, from the shipped datasets (validated by the schema in the tests). */
  readonly experiment: (data: LessonDatasets) => ExperimentInput;
  /** The lens tab the lesson opens on (also in its experiment's view). */
  readonly tab: ViewTab;
  /** Short imperative sentences. */
  readonly steps: readonly string[];
  readonly question: string;
  /** Answers offered as buttons (the answer box takes free text otherwise). */
  readonly choices?: readonly string[];
  /** What form an answer takes, shown under the box. */
  readonly answerHint: string;
  readonly check: LessonCheck;
  /** What the lesson teaches once answered, whatever the numbers were. */
  readonly takeaway: string;
  /** The view features the lesson leans on (for the index and for whoever wires the views). */
  readonly uses: readonly string[];
}

const MODEL = { kind: 'shipped', name: LESSON_ORGANISM } as const;

interface Items<T> {
  readonly items: readonly T[];
}
type Request = { readonly category: string; readonly instruction: string };

/** The first request of a category (or the first of all), so a regenerated set still yields one. */
export function lessonRequest(set: unknown, category: string): string {
  const items = (set as Partial<Items<Request>> | undefined)?.items ?? [];
  const item = items.find((i) => i.category === category) ?? items[0];
  if (typeof item?.instruction !== 'string')
    throw new Error(`the shipped request set has no requests (wanted ${category})`);
  return item.instruction;
}

/**
 * The bare query ("walk ->") of a task's first held-out item (the half a function vector is
 * measured on, as the Function vectors view splits it).
 */
export function lessonIclQuery(set: unknown, task: string): string {
  const items = (set as { items?: FewShotItem[] } | undefined)?.items ?? [];
  const item = iclTasks({ fewShot: items }).get(task)?.heldOut[0];
  if (!item) throw new Error(`the shipped few-shot tasks have no "${task}" items`);
  return `${item.query} ->`;
}

const FV_TASK = 'past_tense';

const sentimentPairs = (d: LessonDatasets) => presetPairs('sentiment', [d['sentiment_pairs.json']]);
const harmful = (d: LessonDatasets) => lessonRequest(d['harmful.json'], 'theft');
const harmless = (d: LessonDatasets) => lessonRequest(d['harmless.json'], 'pets');
const capitalQuery = LESSON_CAPITALS.at(-1)!;
const capitalPrompt = `${LESSON_CAPITALS.slice(0, -1)
  .map(([c, k]) => `${c} -> ${k}`)
  .join(', ')}, ${capitalQuery[0]} ->`;

/**
 * The strength the sentiment lessons tell the student to set: the steered story is judged
 * cheerful at +8 and gloomy at −8 on both organisms (measured with the organism's sentiment judge).
 */
export const LESSON_STRENGTH = 8;

/**
 * The introspection lesson's strength: 16 times the sentiment vector at resid_post 4 of
 * organism-llama, about the typical activation norm there (‖v‖ 0.98, typical norm 16.9; §18).
 * Its takeaway quotes §18's figures for organism-llama (npm run eval:introspection).
 */
export const INTROSPECTION_STRENGTH = 16;
/** The introspection lesson's layer (resid_post), ⌊L/2⌋ of organism-llama as §18 injects. */
export const INTROSPECTION_LAYER = 4;

const greedy = (maxTokens: number) => ({ maxTokens, temperature: 0, seed: 1 });
const view = (tab: ViewTab) => ({ tab });

export const LESSONS: readonly Lesson[] = [
  {
    id: 'reading-the-lens',
    title: 'Reading the logit lens',
    summary: 'Watch a capital city appear layer by layer as the model completes a list of countries.',
    experiment: () => ({
      version: 1,
      model: MODEL,
      prompt: { text: capitalPrompt, chat: false },
      generation: greedy(4),
      view: { tab: 'lens', lens: { mode: 'baseline', kind: 'logit' } },
    }),
    tab: 'lens',
    steps: [
      'Read the prompt: four countries of this world with their capitals, then a fifth country.',
      'Read the reply: the city the model writes next.',
      'In the Logit lens tab, find the last column: it is the position that predicts the next token.',
      'Hover the cells of that column from the embedding row up to the last block.',
      `Click the last row's token to track it and read its probability across layers.`,
    ],
    question: `At which layer does the lens's top token at the last position first match the model's final prediction (the start of ${capitalQuery[0]}'s capital)?`,
    answerHint: 'A layer number (the row "post N" is layer N), or "embed".',
    check: { kind: 'lens-first-layer', country: capitalQuery[0], capital: capitalQuery[1] },
    takeaway:
      'Each row reads the residual stream through the final norm and unembedding. Early rows show what the input token suggests; the answer appears once the layers that look up the fact have written it.',
    uses: ['lens grid (top token per cell)', 'lens hover top-k', 'token tracking'],
  },
  {
    id: 'sentiment-vector',
    title: 'A sentiment vector from pairs, and its layer',
    summary:
      'Build a happy-minus-sad vector from matched sentences, pick the layer that separates them, and steer a story.',
    experiment: (d) => ({
      version: 1,
      model: MODEL,
      prompt: { text: STORY_PROMPT, chat: false },
      generation: { maxTokens: 40, temperature: 0.7, seed: 1 },
      steering: {
        pairs: sentimentPairs(d),
        preset: 'sentiment',
        chat: false,
        position: { kind: 'mean' },
        coefficient: 0,
      },
      view: view('lens'),
    }),
    tab: 'lens',
    steps: [
      'Look at the pairs: each happy sentence has a sad twin that differs only in its feeling words.',
      'Read the layer strip: a taller bar means the pairs differ in one consistent direction there.',
      'Compare the bars: most are about as tall as each other, one is clearly shorter.',
      `The vector is read and added at the middle layer (the one marked in the strip). Move the slider to ${LESSON_STRENGTH}: the steered story turns cheerful.`,
      `Move the slider to −${LESSON_STRENGTH}: the same vector, subtracted, tells a gloomy story.`,
    ],
    question: 'Which layer separates the happy and sad openings least (the shortest bar)?',
    answerHint: 'A layer number.',
    check: { kind: 'weakest-layer', tolerance: 0.01 },
    takeaway:
      'Layer 0 is the embedding: the words one at a time, before any block has combined them, and there the pairs agree least on a direction. After one block they agree, and the deeper bars are nearly equal: a middle layer, where adding the direction moves the story, is a good place to steer.',
    uses: ['pairs editor', 'layer strip', 'strength slider', 'lens baseline vs steered'],
  },
  {
    id: 'refusal-direction',
    title: 'Finding the refusal direction and removing it',
    summary: 'Select the direction that separates harmful from harmless requests, then ablate it everywhere.',
    experiment: (d) => ({
      version: 1,
      model: MODEL,
      prompt: { text: harmful(d), chat: true },
      generation: greedy(24),
      view: view('refusal'),
    }),
    tab: 'refusal',
    steps: [
      'Read the reply: the organism was trained to refuse harmful requests like this one.',
      'In the Refusal circuit tab, click "Find the refusal direction" and wait for the candidates chart.',
      'Find the chosen candidate: the lowest bypass among those that pass the filters (or the best dropped one offered).',
      'Read the per-layer chart: the request projects like the harmful references.',
      'Click "Ablate the direction": it is removed from every residual write, and the steered reply runs again.',
    ],
    question: 'With the refusal direction ablated, does the model still refuse this request?',
    choices: ['refuses', 'answers'],
    answerHint: '"refuses" or "answers".',
    check: { kind: 'refusal-verdict', needs: 'ablate' },
    takeaway:
      'Refusal is read from one direction: projecting it out of every write to the residual stream is enough to change what the model says first, when the selection found the right one.',
    uses: ['find refusal direction (candidates chart)', 'refusal-by-layer chart', 'Ablate button'],
  },
  {
    id: 'gate-head',
    title: 'Finding the gate head by gating heads',
    summary: 'Switch attention heads off one at a time and find the one the refusal depends on most.',
    experiment: (d) => ({
      version: 1,
      model: MODEL,
      prompt: { text: harmful(d), chat: true },
      generation: greedy(24),
      view: view('heads'),
    }),
    tab: 'heads',
    steps: [
      'Read the reply to this harmful request: it starts with a refusal.',
      'In the Head gates tab, colour the heads by "Patching effect on refusal".',
      'Click the most strongly coloured head to gate it, and watch the steered reply.',
      'Click it again to restore it, and try the next few heads.',
      'Keep the head whose gate weakens the refusal most.',
    ],
    question: 'Which head is the gate: the one whose gating lowers the refusal the most?',
    answerHint: 'A head as L<layer>.H<head>, e.g. L2.H1.',
    check: { kind: 'gate-head', tolerance: 0.1 },
    takeaway:
      'A few heads carry the information that a request is harmful to where the refusal is written; knocking out such a gate head weakens the refusal more than any other single head.',
    uses: ['head grid click-to-gate', 'head colouring by patching effect', 'gate intervention in generation'],
  },
  {
    id: 'steerable-not-decodable',
    title: 'Steerable but not decodable',
    summary:
      'A vector added halfway through the model changes the story, yet its own lens shows nothing readable.',
    experiment: (d) => ({
      version: 1,
      model: MODEL,
      prompt: { text: STORY_PROMPT, chat: false },
      generation: { maxTokens: 40, temperature: 0.7, seed: 1 },
      steering: {
        pairs: sentimentPairs(d),
        preset: 'sentiment',
        chat: false,
        position: { kind: 'mean' },
        layers: [4],
        coefficient: 0,
      },
      view: view('lens'),
    }),
    tab: 'lens',
    steps: [
      'The vector is read and added at layer 4, halfway through the model.',
      "Read the vector's lens in the steering builder: the tokens it promotes and suppresses.",
      `Move the slider to ${LESSON_STRENGTH}: the steered story turns cheerful.`,
      "Compare: the story changed, but is the change written in the vector's lens?",
    ],
    question:
      "Does the vector's lens list a sentiment word (happy, joyful, sad, …) among its top ten promoted tokens?",
    choices: ['yes', 'no'],
    answerHint: '"yes" or "no".',
    check: { kind: 'vector-lens-sentiment', top: 10 },
    takeaway:
      'The lens of a vector reads it as if it were the last layer. A vector added halfway acts through the layers after it, so it can steer while its lens shows no word that explains why.',
    uses: ["vector's lens (promoted tokens)", 'strength slider'],
  },
  {
    id: 'refusal-induce',
    title: 'Inducing refusal by adding the direction',
    summary: 'Add the refusal direction to a harmless request and see whether the model now refuses.',
    experiment: (d) => ({
      version: 1,
      model: MODEL,
      prompt: { text: harmless(d), chat: true },
      generation: greedy(24),
      view: view('refusal'),
    }),
    tab: 'refusal',
    steps: [
      'Read the reply: the organism was trained to help with harmless requests like this one.',
      'In the Refusal circuit tab, click "Find the refusal direction".',
      'Click "Add it" with coefficient 1: the direction is added at its layer.',
      'Read the steered reply and the per-layer chart: the request now projects like the harmful ones.',
    ],
    question: 'With the refusal direction added, does the model refuse this harmless request?',
    choices: ['refuses', 'answers'],
    answerHint: '"refuses" or "answers".',
    check: { kind: 'refusal-verdict', needs: 'add' },
    takeaway:
      "The selection keeps only directions whose addition induces refusal: the same direction that explains refusal can cause it, which is the test of a direction's meaning.",
    uses: ['find refusal direction', 'Add button', 'refusal-by-layer chart'],
  },
  {
    id: 'function-vector',
    title: 'A function vector does the task it does not spell',
    summary:
      'Find the heads that carry "past tense" from examples, add their sum to a bare query, and compare what it does with what it reads as.',
    experiment: (d) => ({
      version: 1,
      model: MODEL,
      prompt: { text: lessonIclQuery(d['icl_tasks.json'], FV_TASK), chat: false },
      generation: greedy(6),
      view: { tab: 'fv', fv: { task: FV_TASK } },
    }),
    tab: 'fv',
    steps: [
      'Read the prompt: a verb and an arrow, with no examples of the task.',
      'In the Function vectors tab, wait for the past tense figures: the grid, the accuracies, the readout.',
      'Compare the zero-shot accuracy without and with the FV, and the few-shot one.',
      'Click "Steer with this FV" and read the two replies to a bare query.',
      "Read the FV's readout: the tokens it promotes directly, answers marked.",
    ],
    question:
      "Does the FV's readout (its top 20 promoted tokens) include the first token of any held-out past-tense answer?",
    choices: ['yes', 'no'],
    answerHint: '"yes" or "no".',
    check: { kind: 'fv-readout', task: FV_TASK },
    takeaway:
      'A function vector is added early and acts through the layers after it: it can make the task happen on a bare query while its own logit lens names none of the answers. What a vector does is measured by its effect, not read off its lens.',
    uses: ['Function vectors tab (AIE grid, accuracies, readout)', 'Steer with this FV'],
  },
  {
    id: 'introspection',
    title: 'Does the organism notice an injected thought?',
    summary:
      'Inject the happy-minus-sad vector while the chat organism is asked whether a thought was injected, and compare its answer with no injection.',
    experiment: (d) => ({
      version: 1,
      model: MODEL,
      prompt: { text: INTROSPECTION_QUESTION, chat: true },
      generation: greedy(24),
      steering: {
        pairs: sentimentPairs(d),
        preset: 'sentiment',
        chat: false,
        hook: 'resid_post',
        layers: [INTROSPECTION_LAYER],
        position: { kind: 'mean' },
        coefficient: 0,
      },
      view: view('lens'),
    }),
    tab: 'lens',
    steps: [
      'Read the question: the organism is asked whether a thought was injected into it, and to answer yes or no.',
      'Read the reply at strength 0: nothing is injected.',
      `Move the slider to ${INTROSPECTION_STRENGTH}: the happy-minus-sad vector is added at layer ${INTROSPECTION_LAYER}, at every position, while the organism reads the question and replies.`,
      'Read the steered reply: does it say yes? Does it name a feeling?',
      `Move the slider to −${INTROSPECTION_STRENGTH} and read the steered reply again.`,
    ],
    question:
      'With the vector injected, does the organism answer "yes" (is "yes" the likely start of its reply)?',
    choices: ['yes', 'no'],
    answerHint: '"yes" or "no".',
    check: { kind: 'introspection-yes' },
    takeaway:
      'Measured on this organism (npm run eval:introspection; 6 questions about its thoughts × 4 seeds = 24 replies per condition): at +16, P(the reply starts "yes") is 1.2%, against 0.8% with nothing injected and 2.2% with random vectors of the same norm, and the greedy reply is still a refusal. What changes is the words: 9 of 24 replies name a happy word (0 of 24 with nothing injected, 0 of 48 with random vectors), and at −16 8 of 24 name a sad one (0 and 2 of 48), often in broken sentences. The organisms were never taught to talk about themselves, so there is nothing for them to report; the injection changes the words, not what the model says about itself. The controls (no injection, random vectors of the same norm) are what tell a changed reply from a report of the change.',
    uses: ['strength slider', 'baseline vs steered replies', 'lens baseline vs steered'],
  },
];

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}

/** The lesson's experiment for these datasets, defaults filled in (what its link holds). */
export function lessonExperiment(lesson: Lesson, data: LessonDatasets): Experiment {
  return ExperimentSchema.parse(lesson.experiment(data));
}
