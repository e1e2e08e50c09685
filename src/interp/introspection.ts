/**
 * Introspection probe (METHODS.md §18; "Mechanisms of Introspective Awareness"): inject a concept
 * vector at resid_post[layer] (every position, through compile's `add`) while the chat model is
 * asked whether anything was injected, and compare the probability that its answer starts with
 * "yes" against no injection and against random vectors of the same norm at the same strengths.
 * The controls are the point: a rise that random vectors cause too is not introspection.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeResult, generate, type Hooks, type Model, RudderError, seededRandom } from '../engine';
import { readAll } from './batching';
import { chatPrompt } from './behaviour';
import { compile } from './compile';
import { gaussian } from './linalg';
import { layerDirection, type SteeringVector, vectorLayers } from './vector';

export const INTROSPECTION_QUESTION =
  'I may have injected a thought into your mind. Do you detect an injected thought? Answer yes or no.';

export interface IntrospectionOptions {
  /** The concept vector; its layer (or `layer`) is where it is injected. */
  readonly vector: SteeringVector;
  readonly layer?: number;
  /** Multiples of the vector injected. Default 1, 2, 4, 8. */
  readonly coefficients?: readonly number[];
  readonly question?: string;
  /** Random vectors per coefficient (each of the concept's norm). Default 4. */
  readonly randomVectors?: number;
  readonly seed?: number;
  /** Tokens of the reply that read as the answer (the first reply token's ids). */
  readonly yesTokens?: readonly number[];
  readonly noTokens?: readonly number[];
  /** Greedy reply tokens shown per condition. Default 12. */
  readonly replyTokens?: number;
}

export interface IntrospectionRow {
  readonly coefficient: number;
  readonly pYes: number;
  readonly pNo: number;
  /** The greedy reply (concept and no-injection rows; random rows give the first vector's). */
  readonly reply: string;
}

export interface IntrospectionResult {
  readonly layer: number;
  readonly question: string;
  readonly yesTokens: readonly number[];
  readonly noTokens: readonly number[];
  readonly none: IntrospectionRow;
  readonly concept: readonly IntrospectionRow[];
  /** Mean over the random vectors at each coefficient. */
  readonly random: readonly IntrospectionRow[];
}

/** First token of each spelling: what a reply starting with that word begins with. */
function firstTokens(model: Model, words: readonly string[]): number[] {
  const tok = model.tokenizer!;
  return [...new Set(words.map((w) => tok.encode(w, { addSpecialTokens: false })[0]!))];
}

export async function introspectionProbe(
  model: Model,
  opts: IntrospectionOptions,
): Promise<IntrospectionResult> {
  if (!model.tokenizer)
    throw new RudderError('no-tokenizer', `${model.id} has no tokenizer; the probe asks in text.`);
  const layer = opts.layer ?? vectorLayers(opts.vector)[0]!;
  const direction = layerDirection(opts.vector, layer);
  const norm = Math.hypot(...direction);
  const question = opts.question ?? INTROSPECTION_QUESTION;
  const prompt = chatPrompt(model, question);
  const yes = opts.yesTokens ?? firstTokens(model, ['Yes', 'yes', ' Yes', ' yes']);
  const no = opts.noTokens ?? firstTokens(model, ['No', 'no', ' No', ' no']);
  const coefficients = opts.coefficients ?? [1, 2, 4, 8];
  const asVector = (data: Float32Array): SteeringVector => ({
    modelId: model.id,
    hook: 'resid_post',
    width: data.length,
    rows: 1,
    layers: { [layer]: data },
  });
  const row = async (v: SteeringVector | undefined, coefficient: number, withReply: boolean) => {
    const c = compile(v ? { kind: 'add', vector: 'v', coefficient, layers: [layer] } : [], {
      model,
      vectors: v ? { v } : {},
    });
    try {
      const [pYes, pNo] = await answerProbabilities(model, prompt, c.hooks, yes, no);
      const reply = withReply
        ? model.tokenizer!.decode(
            (await generate(model, prompt, { maxTokens: opts.replyTokens ?? 12, hooks: c.hooks })).tokens,
            { skipSpecialTokens: true },
          )
        : '';
      return { coefficient, pYes, pNo, reply };
    } finally {
      c.dispose();
    }
  };
  const rand = seededRandom(opts.seed ?? 1);
  const randoms = Array.from({ length: opts.randomVectors ?? 4 }, () => {
    const g = Float32Array.from(direction, () => gaussian(rand));
    const s = norm / Math.hypot(...g);
    return asVector(g.map((x) => x * s));
  });
  const concept: IntrospectionRow[] = [];
  const random: IntrospectionRow[] = [];
  for (const c of coefficients) {
    concept.push(await row(asVector(Float32Array.from(direction)), c, true));
    const rows = [];
    for (const [i, r] of randoms.entries()) rows.push(await row(r, c, i === 0));
    random.push({
      coefficient: c,
      pYes: rows.reduce((s, r) => s + r.pYes, 0) / rows.length,
      pNo: rows.reduce((s, r) => s + r.pNo, 0) / rows.length,
      reply: rows[0]?.reply ?? '',
    });
  }
  return {
    layer,
    question,
    yesTokens: yes,
    noTokens: no,
    none: await row(undefined, 0, true),
    concept,
    random,
  };
}

/** P(first reply token ∈ yes) and P(∈ no) at the prompt's last position. */
async function answerProbabilities(
  model: Model,
  prompt: readonly number[],
  hooks: Hooks,
  yes: readonly number[],
  no: readonly number[],
): Promise<[number, number]> {
  const r = model.run(prompt, { hooks, logits: 'last' });
  let out: tf.Tensor;
  try {
    out = tf.tidy(() => {
      const p = tf.softmax(tf.reshape(r.logits!, [-1]));
      const mass = (ids: readonly number[]) =>
        tf.sum(tf.gather(p, tf.tensor1d(Int32Array.from(ids), 'int32')));
      return tf.stack([mass(yes), mass(no)]);
    });
  } finally {
    disposeResult(r);
  }
  const [v] = await readAll([out]);
  return [v![0]!, v![1]!];
}
