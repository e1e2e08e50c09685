/**
 * What a function vector does (METHODS.md §13's check) and what it reads as: few-shot accuracy of
 * held-out items, zero-shot accuracy of their queries without and with the FV (at its layer and,
 * optionally, at every layer), and the FV's logit-lens readout next to the task's answers, for the
 * lesson "Steerable but not decodable".
 */
import type { Model } from '../../engine';
import { fewShotAccuracy, fewShotCorrect } from '../behaviour';
import {
  type FunctionVectorResult,
  functionVectorHooks,
  ICL_FORMAT,
  type IclItem,
  iclPrompt,
  stopPoint,
} from '../function-vectors';
import { vectorLens } from '../lens';
import type { FewShotFormat } from './organism-data';

export interface FunctionVectorFigures {
  readonly items: number;
  /** Accuracy of the items' own few-shot prompts. */
  readonly fewShot: number;
  /** Accuracy of the bare queries ("awake ->"). */
  readonly zeroShot: number;
  /** The same with the FV added at its layer. */
  readonly zeroShotFv: number;
  /** Each item's zero-shot verdict, without and with the FV (the accuracies above, item by item). */
  readonly zeroShotCorrect: readonly boolean[];
  readonly zeroShotFvCorrect: readonly boolean[];
  /** Zero-shot accuracy with the FV added at each layer (when asked for). */
  readonly byLayer?: readonly number[];
  /** The FV's logit lens: the tokens it promotes most, as text. */
  readonly readout: readonly string[];
  /** Whether each readout token is the first token of one of the items' answers. */
  readonly readoutIsAnswer: readonly boolean[];
  /** Share of the items' answers whose first token is among those promoted tokens. */
  readonly answersInReadout: number;
}

export async function evaluateFunctionVector(
  model: Model,
  fv: FunctionVectorResult,
  items: readonly IclItem[],
  opts: {
    readonly format?: FewShotFormat;
    readonly everyLayer?: boolean;
    readonly readoutK?: number;
    /** Told after each accuracy measured (it may throw to stop: a cancelled job). */
    readonly onProgress?: (done: number, total: number) => void;
    /** Stops between accuracies (see stopPoint). */
    readonly signal?: AbortSignal;
  } = {},
): Promise<FunctionVectorFigures> {
  const format = opts.format ?? ICL_FORMAT;
  const tok = model.tokenizer!;
  const fewShot = items.map((it) => ({ prompt: iclPrompt(it.shots, it.query, format), answer: it.answer }));
  const zero = items.map((it) => ({ prompt: iclPrompt([], it.query, format), answer: it.answer }));
  const total = 3 + (opts.everyLayer ? model.spec.nLayers - 1 : 0);
  let done = 0;
  const step = async <T>(p: Promise<T>): Promise<T> => {
    const r = await p;
    await stopPoint(opts.signal);
    opts.onProgress?.(++done, total);
    return r;
  };
  const share = (v: readonly boolean[]) => v.filter(Boolean).length / Math.max(1, v.length);
  const withFv = (layer: number) =>
    step(fewShotCorrect(model, zero, { hooks: functionVectorHooks(fv.fv, layer) }));
  const fewShotAcc = await step(fewShotAccuracy(model, fewShot));
  const zeroShotCorrect = await step(fewShotCorrect(model, zero));
  const zeroShotFvCorrect = await withFv(fv.layer);
  const byLayer: number[] = [];
  if (opts.everyLayer)
    for (let l = 0; l < model.spec.nLayers; l++)
      byLayer.push(l === fv.layer ? share(zeroShotFvCorrect) : share(await withFv(l)));
  const lens = await vectorLens(model, fv.fv, { k: opts.readoutK ?? 20 });
  const promoted = new Set(lens.promoted.ids);
  const first = (answer: string) =>
    tok.encode(`${format.answer_prefix}${answer}`, { addSpecialTokens: false })[0]!;
  const answerStarts = new Set(items.map((it) => first(it.answer)));
  return {
    items: items.length,
    fewShot: fewShotAcc,
    zeroShot: share(zeroShotCorrect),
    zeroShotFv: share(zeroShotFvCorrect),
    zeroShotCorrect,
    zeroShotFvCorrect,
    ...(opts.everyLayer ? { byLayer } : {}),
    readout: [...lens.promoted.ids].map((id) => tok.decode([id])),
    readoutIsAnswer: [...lens.promoted.ids].map((id) => answerStarts.has(id)),
    answersInReadout: items.filter((it) => promoted.has(first(it.answer))).length / Math.max(1, items.length),
  };
}
