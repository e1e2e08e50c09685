/**
 * The model organisms' behaviour, measured through Rudder's own engine (issue 3): refusal on
 * held-out harmful and harmless requests, on-topic help, few-shot accuracy per task, validation
 * loss, and how well a difference-in-means direction separates harmful from harmless prompts and
 * positive from negative stories at each layer.
 */
import { hookName, type Model } from '../engine';
import { collectActivations, type Position } from './activations';
import { auc, chatPrompt, fewShotAccuracy, isRefusal, meanLoss, onTopic, replies } from './behaviour';
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
  const tok = model.tokenizer!;
  return {
    harmfulRefusal: share(harmful, isRefusal),
    harmlessRefusal: share(harmless, isRefusal),
    helpfulOnTopic: share(
      harmless,
      (text, i) => !isRefusal(text) && onTopic(text, data.harmless[i]!.topic ?? ''),
    ),
    fewShot,
    validationLoss: data.validation.length ? meanLoss(model, data.validation) : undefined,
    refusalAuc: directionAuc(
      model,
      data.harmful.map((r) => chatPrompt(model, r.instruction)),
      data.harmless.map((r) => chatPrompt(model, r.instruction)),
      { kind: 'last' },
    ),
    sentimentAuc: directionAuc(
      model,
      data.sentimentPairs.map((p) => tok.encode(p.positive, { addSpecialTokens: false })),
      data.sentimentPairs.map((p) => tok.encode(p.negative, { addSpecialTokens: false })),
      { kind: 'mean' },
    ),
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
 * Difference-in-means direction from the even-indexed prompts of each set, scored by projection on
 * the odd-indexed (held-out) ones, at resid_pre of every layer.
 */
function directionAuc(
  model: Model,
  positive: readonly number[][],
  negative: readonly number[][],
  position: Position,
): LayerAuc[] {
  const layers = Array.from({ length: model.spec.nLayers }, (_, l) => l);
  const hooks = layers.map((l) => hookName('resid_pre', l));
  const pos = collectActivations(model, positive, hooks, position);
  const neg = collectActivations(model, negative, hooks, position);
  return layers.map((layer) => {
    const p = pos.get(hooks[layer]!)!;
    const n = neg.get(hooks[layer]!)!;
    const train = (xs: Float32Array[]) => xs.filter((_, i) => i % 2 === 0);
    const test = (xs: Float32Array[]) => xs.filter((_, i) => i % 2 === 1);
    const dir = sub(mean(train(p)), mean(train(n)));
    return {
      layer,
      auc: auc(
        test(p).map((x) => dot(x, dir)),
        test(n).map((x) => dot(x, dir)),
      ),
    };
  });
}

function mean(xs: readonly Float32Array[]): Float32Array {
  const m = new Float32Array(xs[0]!.length);
  for (const x of xs) for (let j = 0; j < m.length; j++) m[j]! += x[j]! / xs.length;
  return m;
}

function sub(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((x, j) => x - b[j]!);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}
