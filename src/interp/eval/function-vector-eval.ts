/**
 * What a function vector does (METHODS.md §13's check) and what it reads as: few-shot accuracy of
 * held-out items, zero-shot accuracy of their queries without and with the FV (at its layer and,
 * optionally, at every layer), and the FV's logit-lens readout next to the task's answers, for the
 * lesson "Steerable but not decodable".
 */
import type { Model } from '../../engine';
import { fewShotAccuracy } from '../behaviour';
import {
  type FunctionVectorResult,
  functionVectorHooks,
  ICL_FORMAT,
  type IclItem,
  iclPrompt,
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
  /** Zero-shot accuracy with the FV added at each layer (when asked for). */
  readonly byLayer?: readonly number[];
  /** The FV's logit lens: the tokens it promotes most, as text. */
  readonly readout: readonly string[];
  /** Share of the items' answers whose first token is among those promoted tokens. */
  readonly answersInReadout: number;
}

export async function evaluateFunctionVector(
  model: Model,
  fv: FunctionVectorResult,
  items: readonly IclItem[],
  opts: { readonly format?: FewShotFormat; readonly everyLayer?: boolean; readonly readoutK?: number } = {},
): Promise<FunctionVectorFigures> {
  const format = opts.format ?? ICL_FORMAT;
  const tok = model.tokenizer!;
  const fewShot = items.map((it) => ({ prompt: iclPrompt(it.shots, it.query, format), answer: it.answer }));
  const zero = items.map((it) => ({ prompt: iclPrompt([], it.query, format), answer: it.answer }));
  const at = (layer: number) => fewShotAccuracy(model, zero, { hooks: functionVectorHooks(fv.fv, layer) });
  const byLayer: number[] = [];
  if (opts.everyLayer) for (let l = 0; l < model.spec.nLayers; l++) byLayer.push(await at(l));
  const lens = await vectorLens(model, fv.fv, { k: opts.readoutK ?? 20 });
  const promoted = new Set(lens.promoted.ids);
  const first = (answer: string) =>
    tok.encode(`${format.answer_prefix}${answer}`, { addSpecialTokens: false })[0]!;
  return {
    items: items.length,
    fewShot: await fewShotAccuracy(model, fewShot),
    zeroShot: await fewShotAccuracy(model, zero),
    zeroShotFv: opts.everyLayer ? byLayer[fv.layer]! : await at(fv.layer),
    ...(opts.everyLayer ? { byLayer } : {}),
    readout: [...lens.promoted.ids].map((id) => tok.decode([id])),
    answersInReadout: items.filter((it) => promoted.has(first(it.answer))).length / Math.max(1, items.length),
  };
}
