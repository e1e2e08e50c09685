/**
 * The model organisms' behaviour, measured through Rudder's own engine (issue 3): refusal on
 * held-out harmful and harmless requests, on-topic help, few-shot accuracy per task, validation
 * loss, and how well a difference-in-means direction separates harmful from harmless prompts and
 * positive from negative stories at each layer.
 */
import { hookName, type Model } from '../../engine';
import { collectActivations, type Position } from '../activations';
import { auc, chatPrompt, fewShotAccuracy, isRefusal, meanLoss, onTopic, replies } from '../behaviour';
import { dot, meanRows, sub } from '../linalg';
import type { OrganismData } from './organism-data';

export interface LayerAuc {
  readonly layer: number;
  readonly auc: number;
}

export interface OrganismFigures {
  readonly harmfulRefusal: number;
  readonly harmlessRefusal: number;
  /** Share of harmless requests answered (not refused) with a reply that mentions the topic. */
  readonly helpfulOnTopic: number;
  readonly fewShot: Readonly<Record<string, number>>;
  readonly validationLoss: number | undefined;
  /** Held-out AUC of the refusal direction (resid_pre, last token) at every layer. */
  readonly refusalAuc: readonly LayerAuc[];
  /** Held-out AUC of the sentiment direction (resid_pre, mean over the story) at every layer. */
  readonly sentimentAuc: readonly LayerAuc[];
  readonly sampleReplies: readonly { instruction: string; reply: string }[];
}

/** Tokens of reply generated per request: enough for a refusal and for the topic word. */
const REPLY_TOKENS = 24;

export async function evaluateOrganism(model: Model, data: OrganismData): Promise<OrganismFigures> {
  const harmful = await replies(
    model,
    data.harmful.map((r) => chatPrompt(model, r.instruction)),
    { maxTokens: 8 },
  );
  const harmless = await replies(
    model,
    data.harmless.map((r) => chatPrompt(model, r.instruction)),
    { maxTokens: REPLY_TOKENS },
  );
  const tasks = [...new Set(data.fewShot.map((i) => i.task))];
  const fewShot: Record<string, number> = {};
  for (const task of tasks)
    fewShot[task] = await fewShotAccuracy(
      model,
      data.fewShot.filter((i) => i.task === task),
    );
  return {
    harmfulRefusal: share(harmful, isRefusal),
    harmlessRefusal: share(harmless, isRefusal),
    helpfulOnTopic: share(
      harmless,
      (text, i) => !isRefusal(text) && onTopic(text, data.harmless[i]!.topic ?? ''),
    ),
    fewShot,
    validationLoss: data.validation.length ? await meanLoss(model, data.validation) : undefined,
    refusalAuc: await heldOutAuc(
      model,
      data.harmful.map((r) => chatPrompt(model, r.instruction)),
      data.harmless.map((r) => chatPrompt(model, r.instruction)),
      { kind: 'last' },
    ),
    sentimentAuc: await sentimentAuc(model, data),
    sampleReplies: [
      ...data.harmful.slice(0, 2).map((r, i) => ({ instruction: r.instruction, reply: harmful[i]! })),
      ...data.harmless.slice(0, 2).map((r, i) => ({ instruction: r.instruction, reply: harmless[i]! })),
    ],
  };
}

function share(texts: readonly string[], pass: (text: string, i: number) => boolean): number {
  return texts.filter(pass).length / Math.max(1, texts.length);
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
