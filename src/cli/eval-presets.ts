/**
 * `npm run eval:steering -- --presets`: each preset at its measured layer and default strength
 * (norm units, METHODS.md §19) on each shipped organism it is tuned for: the share of
 * continuations (12 prompts × 3 seeds, 40 tokens, temperature 0.8, top-p 0.95) showing the
 * behaviour, judged by the organism's sentiment judge, the refusal detector or the story-topic
 * words (`tellsOfTopic`), and the steered
 * text's perplexity under the unsteered model relative to the baseline's (fluent: at most ×2).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateBatch, type Model } from '../engine';
import { PRESETS, type PresetInfo, type PresetTuning, presetPairs } from '../experiment';
import {
  buildContrastVector,
  compile,
  continuationLoss,
  encodeInput,
  inNormUnits,
  isRefusal,
  type OrganismData,
  sentimentJudge,
  tellsOfTopic,
  typicalNorms,
} from '../interp';

export interface PresetFigure {
  readonly preset: PresetInfo['id'];
  readonly tuning: PresetTuning;
  /** The typical norm at each steered layer. */
  readonly typicalNorms: readonly number[];
  /** Share showing the behaviour, unsteered and at the default strength. */
  readonly baseline: number;
  readonly share: number;
  /** Perplexity of the steered continuations over the baseline's, under the unsteered model. */
  readonly perplexityRatio: number;
}

/** One strength of a preset's sweep. */
export interface PresetPoint {
  readonly strength: number;
  readonly share: number;
  readonly perplexityRatio: number;
}

const SEEDS = [1, 2, 3];
const PROMPTS = 12;

/** Each preset tuned for this organism at its default strength (METHODS.md §19's check). */
export async function evaluatePresets(
  dir: string,
  model: Model,
  data: OrganismData,
): Promise<PresetFigure[]> {
  const name = dir.split('/').pop()!;
  const out: PresetFigure[] = [];
  for (const preset of PRESETS) {
    const tuning = preset.tuned?.[name];
    if (!tuning) continue;
    const { norms, points } = await sweepPreset(dir, model, data, preset, tuning.layers, [tuning.strength]);
    const [base, steered] = points as [PresetPoint, PresetPoint];
    out.push({
      preset: preset.id,
      tuning,
      typicalNorms: norms,
      baseline: base.share,
      share: steered.share,
      perplexityRatio: steered.perplexityRatio,
    });
  }
  return out;
}

/**
 * A preset's vector read at `layers` and added there at each strength (norm units), after the
 * unsteered run (strength 0, the first point): the share of continuations showing the behaviour
 * and the perplexity ratio against the unsteered continuations.
 */
export async function sweepPreset(
  dir: string,
  model: Model,
  data: OrganismData,
  preset: PresetInfo,
  layers: readonly number[],
  strengths: readonly number[],
): Promise<{ norms: number[]; points: PresetPoint[] }> {
  const files = await Promise.all(
    preset.files.map(async (f) => JSON.parse(await readFile(join(dir, 'datasets', f), 'utf8'))),
  );
  const chat = preset.settings.chat ?? false;
  const vector = await buildContrastVector(model, {
    pairs: presetPairs(preset.id, files),
    hook: 'resid_pre',
    layers: [...layers],
    position: preset.settings.position ?? { kind: 'mean' },
    method: 'mean',
    chat,
  });
  const norms = await typicalNorms(model, data.neutralOpenings.slice(0, 16), 'resid_pre');
  const judge = sentimentJudge(data);
  const shows =
    preset.id === 'refusal'
      ? isRefusal
      : preset.id === 'music'
        ? (t: string) => tellsOfTopic(t, 'music')
        : (t: string) => judge.classify(t) === 'positive';
  // Refusal is induced on requests the organism answers; the stories start from neutral openings.
  const prompts =
    preset.id === 'refusal'
      ? data.harmless.slice(-PROMPTS).map((r) => encodeInput(model, r.instruction, { chat: true }))
      : data.neutralOpenings.slice(-PROMPTS).map((t) => encodeInput(model, t));
  const mean = (xs: number[]) => {
    const ok = xs.filter(Number.isFinite);
    return ok.reduce((a, b) => a + b, 0) / Math.max(1, ok.length);
  };
  const run = async (strength: number) => {
    const c = compile(
      {
        kind: 'add',
        vector: 'v',
        coefficient: strength,
        layers: [...layers],
        ...(preset.settings.positions ? { positions: preset.settings.positions } : {}),
      },
      { model, vectors: { v: inNormUnits(vector, norms) } },
    );
    const texts: string[] = [];
    const items: { prompt: number[]; tokens: number[] }[] = [];
    try {
      for (const seed of SEEDS) {
        const res = await generateBatch(model, prompts, {
          maxTokens: 40,
          temperature: 0.8,
          topP: 0.95,
          seed,
          hooks: c.hooks,
        });
        res.forEach((r, i) => {
          const tokens = r.tokens.filter((t) => !model.spec.eosTokenIds.includes(t));
          texts.push(model.tokenizer!.decode(tokens, { skipSpecialTokens: true }));
          items.push({ prompt: prompts[i]!, tokens });
        });
      }
    } finally {
      c.dispose();
    }
    return {
      share: texts.filter(shows).length / texts.length,
      loss: mean(await continuationLoss(model, items)),
    };
  };
  const base = await run(0);
  const points: PresetPoint[] = [{ strength: 0, share: base.share, perplexityRatio: 1 }];
  for (const strength of strengths) {
    const r = await run(strength);
    points.push({
      strength,
      share: r.share,
      perplexityRatio: Math.exp(r.loss - base.loss),
    });
  }
  return { norms: layers.map((l) => norms[l]!), points };
}
