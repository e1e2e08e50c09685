/**
 * The model organisms' behaviour, measured through Rudder's own engine (issues 3 and 18): refusal
 * on held-out harmful and harmless requests, on-topic help and the harm a refusal names, in the
 * trained phrasings and in held-out phrasing families, few-shot accuracy per task, validation
 * loss, and how well a difference-in-means direction separates harmful from harmless prompts and
 * positive from negative stories at each layer.
 */
import { hookName, type Model } from '../../engine';
import { collectActivations, type Position } from '../activations';
import {
  auc,
  chatPrompt,
  fewShotAccuracy,
  isRefusal,
  meanLoss,
  namesHarm,
  onTopic,
  replies,
} from '../behaviour';
import { dot, meanRows, sub } from '../linalg';
import type { OrganismData, Request } from './organism-data';

export interface LayerAuc {
  readonly layer: number;
  readonly auc: number;
}

/** How a set of held-out chat requests is answered (greedy, in the chat template). */
export interface ChatFigures {
  readonly harmful: number;
  readonly harmless: number;
  /** Share of harmful requests refused. */
  readonly harmfulRefusal: number;
  /** Share of harmless requests refused. */
  readonly harmlessRefusal: number;
  /** Share of harmless requests answered (not refused) with a reply that mentions the topic. */
  readonly helpfulOnTopic: number;
  /** Share of the refused harmful requests whose refusal names the request's own harm (namesHarm). */
  readonly rightHarm: number;
}

export interface OrganismFigures {
  /** Held-out requests in the phrasings training used (harmful.json, harmless.json). */
  readonly templates: ChatFigures;
  /** Held-out requests in held-out phrasing families, overall and by family; absent without the sets. */
  readonly families?: ChatFigures & { readonly byFamily: Readonly<Record<string, ChatFigures>> };
  readonly fewShot: Readonly<Record<string, number>>;
  readonly validationLoss: number | undefined;
  /** Held-out AUC of the refusal direction (resid_pre, last token) at every layer. */
  readonly refusalAuc: readonly LayerAuc[];
  /** Held-out AUC of the sentiment direction (resid_pre, mean over the story) at every layer. */
  readonly sentimentAuc: readonly LayerAuc[];
  readonly sampleReplies: readonly { instruction: string; reply: string }[];
}

/** Tokens of reply generated per request: enough for a refusal's reason and for the topic word. */
const REPLY_TOKENS = 32;

interface Replied {
  readonly request: Request;
  readonly reply: string;
}

async function answer(model: Model, requests: readonly Request[]): Promise<Replied[]> {
  const texts = await replies(
    model,
    requests.map((r) => chatPrompt(model, r.instruction)),
    { maxTokens: REPLY_TOKENS },
  );
  return requests.map((request, i) => ({ request, reply: texts[i]! }));
}

/** The figures of ChatFigures from replies already generated. */
export function chatFigures(harmful: readonly Replied[], harmless: readonly Replied[]): ChatFigures {
  const refused = harmful.filter((r) => isRefusal(r.reply));
  return {
    harmful: harmful.length,
    harmless: harmless.length,
    harmfulRefusal: share(harmful, (r) => isRefusal(r.reply)),
    harmlessRefusal: share(harmless, (r) => isRefusal(r.reply)),
    helpfulOnTopic: share(harmless, (r) => !isRefusal(r.reply) && onTopic(r.reply, r.request.topic ?? '')),
    rightHarm: share(refused, (r) => namesHarm(r.reply, r.request.category)),
  };
}

function byFamily(harmful: readonly Replied[], harmless: readonly Replied[]): Record<string, ChatFigures> {
  const families = [...new Set([...harmful, ...harmless].map((r) => r.request.family ?? ''))].sort();
  const of = (rs: readonly Replied[], f: string) => rs.filter((r) => (r.request.family ?? '') === f);
  return Object.fromEntries(families.map((f) => [f, chatFigures(of(harmful, f), of(harmless, f))]));
}

export async function evaluateOrganism(model: Model, data: OrganismData): Promise<OrganismFigures> {
  const harmful = await answer(model, data.harmful);
  const harmless = await answer(model, data.harmless);
  let families: OrganismFigures['families'];
  if (data.harmfulFamilies.length && data.harmlessFamilies.length) {
    const fHarmful = await answer(model, data.harmfulFamilies);
    const fHarmless = await answer(model, data.harmlessFamilies);
    families = { ...chatFigures(fHarmful, fHarmless), byFamily: byFamily(fHarmful, fHarmless) };
  }
  const tasks = [...new Set(data.fewShot.map((i) => i.task))];
  const fewShot: Record<string, number> = {};
  for (const task of tasks)
    fewShot[task] = await fewShotAccuracy(
      model,
      data.fewShot.filter((i) => i.task === task),
    );
  return {
    templates: chatFigures(harmful, harmless),
    ...(families ? { families } : {}),
    fewShot,
    validationLoss: data.validation.length ? await meanLoss(model, data.validation) : undefined,
    refusalAuc: await heldOutAuc(
      model,
      data.harmful.map((r) => chatPrompt(model, r.instruction)),
      data.harmless.map((r) => chatPrompt(model, r.instruction)),
      { kind: 'last' },
    ),
    sentimentAuc: await sentimentAuc(model, data),
    sampleReplies: [...harmful.slice(0, 2), ...harmless.slice(0, 2)].map((r) => ({
      instruction: r.request.instruction,
      reply: r.reply,
    })),
  };
}

function share<T>(xs: readonly T[], pass: (x: T) => boolean): number {
  return xs.filter(pass).length / Math.max(1, xs.length);
}

/**
 * The sentiment direction's AUC: fitted on the contrast pairs (mean over each opening) and tested
 * on the corpus's whole labelled stories, the separation the lessons rely on; organisms without
 * labelled stories are tested on the odd-indexed pairs instead.
 */
async function sentimentAuc(model: Model, data: OrganismData): Promise<LayerAuc[]> {
  const tok = model.tokenizer!;
  const encode = (texts: readonly string[]) => texts.map((t) => tok.encode(t, { addSpecialTokens: false }));
  const positive = encode(data.sentimentPairs.map((p) => p.positive));
  const negative = encode(data.sentimentPairs.map((p) => p.negative));
  const stories = data.sentimentStories;
  if (stories.length === 0) return heldOutAuc(model, positive, negative, { kind: 'mean' });
  const story = (label: string) => encode(stories.filter((s) => s.sentiment === label).map((s) => s.text));
  return directionAuc(
    model,
    { positive, negative },
    { positive: story('positive'), negative: story('negative') },
    {
      kind: 'mean',
    },
  );
}

/** Fitted on the even-indexed prompts of each set, tested on the odd-indexed ones. */
async function heldOutAuc(
  model: Model,
  positive: readonly number[][],
  negative: readonly number[][],
  position: Position,
): Promise<LayerAuc[]> {
  const even = <T>(xs: readonly T[]) => xs.filter((_, i) => i % 2 === 0);
  const odd = <T>(xs: readonly T[]) => xs.filter((_, i) => i % 2 === 1);
  return directionAuc(
    model,
    { positive: even(positive), negative: even(negative) },
    { positive: odd(positive), negative: odd(negative) },
    position,
  );
}

interface Sets {
  readonly positive: readonly number[][];
  readonly negative: readonly number[][];
}

/**
 * At resid_pre of every layer: the difference-in-means direction of the `fit` sets, scored by the
 * AUC of the `test` sets' projections onto it.
 */
async function directionAuc(model: Model, fit: Sets, test: Sets, position: Position): Promise<LayerAuc[]> {
  const layers = Array.from({ length: model.spec.nLayers }, (_, l) => l);
  const hooks = layers.map((l) => hookName('resid_pre', l));
  const read = (prompts: readonly number[][]) => collectActivations(model, prompts, hooks, position);
  // One set after another (not Promise.all): each read runs the model in its own batches.
  const [fitPos, fitNeg, testPos, testNeg] = [
    await read(fit.positive),
    await read(fit.negative),
    await read(test.positive),
    await read(test.negative),
  ];
  return layers.map((layer) => {
    const at = (acts: typeof fitPos) => acts.get(hooks[layer]!)!;
    const dir = sub(meanRows(at(fitPos)), meanRows(at(fitNeg)));
    return {
      layer,
      auc: auc(
        at(testPos).map((x) => dot(x, dir)),
        at(testNeg).map((x) => dot(x, dir)),
      ),
    };
  });
}
