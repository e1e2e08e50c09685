/**
 * `rudder activity | sparsity | fingerprint`: layer activity and skipping idle layers (METHODS.md
 * §14), MLP activation sparsity and zeroing it (§15), and the activation fingerprint a share link
 * carries (§16). Each prints JSON on stdout; prompts default to the organism's validation texts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { generate, type Model, sourceFromArg } from '../engine/node';
import { fingerprintField, fingerprintFromField } from '../experiment';
import {
  activationFingerprint,
  compareFingerprints,
  compile,
  defaultFingerprintSpec,
  idleCells,
  type LayerActivity,
  layerActivity,
  quantileThresholds,
  readOrganismData,
  skipIdle,
  sparsifyEffect,
  sparsityProfile,
} from '../interp';
import { helpRequested, num, numbers, parse, UsageError } from './args';
import { encodePrompt, loadFromArgs, MODEL_OPTIONS } from './common';

const PROMPT_OPTIONS = {
  ...MODEL_OPTIONS,
  prompt: { type: 'string' },
  chat: { type: 'boolean' },
  texts: { type: 'string' },
} as const;

/**
 * --prompt, or the first --texts (default 16) validation texts of the model's folder; with
 * `preferTexts`, the texts whenever the folder has them.
 */
async function prompts(
  model: Model,
  values: { model?: string; prompt?: string; chat?: boolean; texts?: string },
  preferTexts = false,
): Promise<number[][]> {
  const own = values.prompt !== undefined ? [encodePrompt(model, values.prompt, values.chat ?? false)] : [];
  if (own.length && !preferTexts) return own;
  const texts = (await readOrganismData(sourceFromArg(values.model!))).validation;
  if (!texts.length) {
    if (own.length) return own;
    throw new UsageError('give --prompt (the model folder has no datasets/validation.json)');
  }
  return texts
    .slice(0, num(values, 'texts', 16))
    .map((t) => encodePrompt(model, t, false).slice(0, Math.min(128, model.spec.nCtx)));
}

export const ACTIVITY_USAGE = `  rudder activity --model <dir> [--prompt <text> [--chat] | --texts N] [--tau 0.2,0.3,0.4]
                  (JSON: per layer mean a[l,t] = ‖Δresid‖/‖resid‖; per τ the idle share, and the KL of skipping
                   the idle cells and the share of block updates skipped)`;

export async function activityCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${ACTIVITY_USAGE}`)) return;
  const values = parse(args, { ...PROMPT_OPTIONS, tau: { type: 'string' } });
  const taus = numbers(values, 'tau', [0.2, 0.3, 0.4]);
  const model = await loadFromArgs(values);
  try {
    const L = model.spec.nLayers;
    const list = await prompts(model, values);
    const acts: LayerActivity[] = [];
    for (const p of list) acts.push(await layerActivity(model, p));
    const tokens = list.reduce((s, p) => s + p.length, 0);
    const meanActivity = Array.from(
      { length: L },
      (_, l) =>
        acts.reduce(
          (s, a) =>
            s + a.activity.subarray(l * a.positions, (l + 1) * a.positions).reduce((x, y) => x + y, 0),
          0,
        ) / tokens,
    );
    const byTau = [];
    for (const tau of taus) {
      const idle = new Float64Array(L);
      const skip = { skipped: 0, klMean: 0, klLast: 0, sameTop: 0 };
      for (const [i, a] of acts.entries()) {
        const mask = idleCells(a, tau);
        mask.forEach((m, j) => {
          idle[Math.floor(j / a.positions)]! += m / tokens;
        });
        const r = await skipIdle(model, list[i]!, mask);
        skip.skipped += r.skipped / list.length;
        skip.klMean += r.klMean / list.length;
        skip.klLast += r.klLast / list.length;
        skip.sameTop += (r.sameTop ? 1 : 0) / list.length;
      }
      byTau.push({ tau, idleShareByLayer: [...idle], ...skip });
    }
    console.log(
      JSON.stringify({ model: model.id, prompts: list.length, tokens, meanActivity, byTau }, null, 1),
    );
  } finally {
    model.dispose();
  }
}

export const SPARSITY_USAGE = `  rudder sparsity --model <dir> [--prompt <text> | --texts N] [--epsilon 0.01,0.05,0.1,0.5]
                  [--quantile Q | --zero E] [--max-tokens N]
                  (JSON: per layer the share of |mlp_post| ≤ ε, then zeroing under per-layer Q-quantile
                   thresholds (or a fixed E): share zeroed, KL and loss change; with --prompt, both generations)`;

export async function sparsityCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${SPARSITY_USAGE}`)) return;
  const values = parse(args, {
    ...PROMPT_OPTIONS,
    epsilon: { type: 'string' },
    quantile: { type: 'string' },
    zero: { type: 'string' },
    'max-tokens': { type: 'string' },
  });
  const epsilons = numbers(values, 'epsilon', [0.01, 0.05, 0.1, 0.5]);
  const model = await loadFromArgs(values);
  try {
    // The shares and costs are measured over the texts; --prompt only adds the two generations.
    const list = await prompts(model, values, true);
    const profile = await sparsityProfile(model, list, epsilons);
    const E = epsilons.length;
    const zero = num(values, 'zero');
    const thresholds =
      zero !== undefined
        ? Array.from({ length: model.spec.nLayers }, () => zero)
        : await quantileThresholds(model, list, num(values, 'quantile', 0.5));
    const effect = await sparsifyEffect(model, list, thresholds);
    let generations: { full: string; sparse: string } | undefined;
    if (values.prompt !== undefined && model.tokenizer) {
      const c = compile({ kind: 'sparsify', thresholds }, { model });
      const opts = { maxTokens: num(values, 'max-tokens', 32) };
      const prompt = encodePrompt(model, values.prompt, values.chat ?? false);
      const text = async (hooks?: typeof c.hooks) =>
        model.tokenizer!.decode((await generate(model, prompt, { ...opts, hooks })).tokens);
      generations = { full: await text(), sparse: await text(c.hooks) };
      c.dispose();
    }
    console.log(
      JSON.stringify(
        {
          model: model.id,
          prompts: list.length,
          epsilons,
          shareByLayer: Array.from({ length: profile.layers }, (_, l) => [
            ...profile.share.subarray(l * E, (l + 1) * E),
          ]),
          thresholds,
          zeroedByLayer: [...effect.zeroedByLayer],
          zeroed: effect.zeroed,
          kl: effect.kl,
          perplexityFull: Math.exp(effect.lossFull),
          perplexitySparse: Math.exp(effect.lossSparse),
          ...(generations ? { generations } : {}),
        },
        null,
        1,
      ),
    );
  } finally {
    model.dispose();
  }
}

export const FINGERPRINT_USAGE = `  rudder fingerprint --model <dir> --prompt <text> [--chat] [--seed S] [--k 8] [--layers a,b,c] [--positions 4]
                  [--against fingerprint.json] [--compare-backends]
                  (JSON: the fingerprint as a share link carries it; --against compares with one;
                   --compare-backends recomputes on the CPU backend and compares with WebAssembly)`;

export async function fingerprintCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${FINGERPRINT_USAGE}`)) return;
  const values = parse(args, {
    ...PROMPT_OPTIONS,
    seed: { type: 'string' },
    k: { type: 'string' },
    layers: { type: 'string' },
    positions: { type: 'string' },
    against: { type: 'string' },
    'compare-backends': { type: 'boolean' },
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required');
  const run = async (backend = values.backend) => {
    const model = await loadFromArgs({ ...values, backend });
    try {
      const base = defaultFingerprintSpec(model.spec.nLayers, num(values, 'seed', 1));
      const spec = {
        seed: base.seed,
        k: num(values, 'k', base.k),
        layers: numbers(values, 'layers', base.layers),
        positions: num(values, 'positions', base.positions),
      };
      return await activationFingerprint(
        model,
        encodePrompt(model, values.prompt!, values.chat ?? false),
        spec,
      );
    } finally {
      model.dispose();
    }
  };
  const fp = await run();
  const backend = tf.getBackend();
  const out: Record<string, unknown> = { fingerprint: fingerprintField(fp, backend) };
  if (values.against) {
    const { readFile } = await import('node:fs/promises');
    const ref = fingerprintFromField(JSON.parse(await readFile(values.against, 'utf8')).fingerprint);
    out.comparison = summary(compareFingerprints(ref.fingerprint, fp, [ref.backend, backend]));
  }
  if (values['compare-backends']) {
    const other = backend === 'cpu' ? 'wasm' : 'cpu';
    const replay = await run(other);
    out.comparison = {
      backends: [backend, other],
      ...summary(compareFingerprints(fp, replay, [backend, other])),
    };
  }
  console.log(JSON.stringify(out, null, 1));
}

function summary(c: ReturnType<typeof compareFingerprints>) {
  return { verdict: c.verdict, maxRelDiff: c.maxRelDiff, tolerance: c.tolerance };
}
