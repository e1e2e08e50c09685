/**
 * `rudder circuit`: the refusal circuit of a chat model (gate and amplifier heads, cascade edges)
 * and the refusal score per layer, as JSON on stdout. Harmful and harmless requests come from the
 * model folder's datasets (or --harmful/--harmless files in the same format).
 */
import { readFileSync } from 'node:fs';
import { sourceFromArg } from '../engine/node';
import { encodeInput, findRefusalCircuit, readOrganismData, refusalByLayer } from '../interp';
import { helpRequested, num, parse, UsageError } from './args';

export const CIRCUIT_USAGE = `  rudder circuit  --model <chat model dir> [--harmful <file.json>] [--harmless <file.json>] [--pairs 8]
                  [--gates 3] [--amplifiers 5] [--ablation mean|zero] [--positions last|all]
                  (JSON: the refusal circuit's gate and amplifier heads and the refusal score per layer)`;

import { loadFromArgs, MODEL_OPTIONS } from './common';

export async function circuitCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${CIRCUIT_USAGE}`)) return;
  const values = parse(args, {
    ...MODEL_OPTIONS,
    harmful: { type: 'string' },
    harmless: { type: 'string' },
    pairs: { type: 'string' },
    gates: { type: 'string' },
    amplifiers: { type: 'string' },
    ablation: { type: 'string' },
    positions: { type: 'string' },
  });
  const ablation = values.ablation ?? 'mean';
  if (ablation !== 'zero' && ablation !== 'mean') throw new UsageError('--ablation must be zero or mean');
  const positions = values.positions ?? 'last';
  if (positions !== 'last' && positions !== 'all') throw new UsageError('--positions must be last or all');
  const model = await loadFromArgs(values);
  try {
    const data = await readOrganismData(sourceFromArg(values.model!));
    const instructions = (file: string | undefined, fallback: readonly { instruction: string }[]) =>
      (file
        ? (JSON.parse(readFileSync(file, 'utf8')) as { items: { instruction: string }[] }).items
        : fallback
      ).map((i) => i.instruction);
    const sets = {
      harmful: instructions(values.harmful, data.harmful),
      harmless: instructions(values.harmless, data.harmless),
    };
    if (!sets.harmful.length || !sets.harmless.length)
      throw new UsageError(
        'no harmful/harmless requests: give --harmful and --harmless (datasets/*.json format)',
      );
    const started = Date.now();
    const { circuit, ...tokens } = await findRefusalCircuit(model, sets, {
      pairs: num(values, 'pairs', 8),
      gates: num(values, 'gates', 3),
      amplifiers: num(values, 'amplifiers', 5),
      ablation,
      positions,
      onProgress: (stage, done, total) => console.error(`${stage} ${done}/${total}`),
    });
    const enc = (t: string) => encodeInput(model, t, { chat: true });
    const byLayer = await refusalByLayer(model, sets.harmful.map(enc), sets.harmless.map(enc));
    console.error(`circuit in ${Date.now() - started} ms`);
    const text = (ids: number[]) =>
      ids.map((id) => ({ id, text: model.tokenizer?.decode([id]) ?? String(id) }));
    console.log(
      JSON.stringify({
        model: model.id,
        refuseTokens: text(tokens.refuse),
        complyTokens: text(tokens.comply),
        circuit,
        refusalByLayer: {
          labels: byLayer.labels,
          harmful: [...byLayer.harmful],
          harmless: [...byLayer.harmless],
          separation: [...byLayer.separation],
        },
      }),
    );
  } finally {
    model.dispose();
  }
}
