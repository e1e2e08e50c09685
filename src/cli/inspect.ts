import {
  describeSpec,
  estimateMemory,
  formatBytes,
  parameterCount,
  readSpec,
  sourceFromArg,
} from '../engine/node';
import { helpRequested, parse, UsageError } from './args';
import { precisionArg } from './common';

export const INSPECT_USAGE = `  rudder inspect  --model <dir|url|owner/name> [--precision bfloat16] [--json]
                  (reads config.json only: the family, shapes, parameters and memory before any download;
                   with --precision, the memory WebAssembly needs for 16-bit weights)`;

/** Reads only config.json: a model can be inspected before anything large is downloaded. */
export async function inspectCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${INSPECT_USAGE}`)) return;
  const values = parse(args, {
    model: { type: 'string' },
    precision: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.model) throw new UsageError('--model is required');
  const halfMatrices = precisionArg(values.precision) === 'bfloat16';
  const source = sourceFromArg(values.model);
  const spec = await readSpec(source);
  const params = parameterCount(spec);
  const memory = estimateMemory(spec, { contextTokens: Math.min(1024, spec.nCtx), halfMatrices });
  if (values.json) {
    console.log(JSON.stringify({ id: source.id, spec, parameters: params, memory }, null, 2));
    return;
  }
  console.log(`${source.id}`);
  console.log(describeSpec(spec));
  console.log(`parameters: ${params.toLocaleString('en-US')}`);
  console.log(
    `memory (${halfMatrices ? '16-bit weights on WebAssembly' : 'float32'}, ${memory.contextTokens}-token context): ${formatBytes(memory.totalBytes)} ` +
      `(weights ${formatBytes(memory.weightBytes)}, KV cache ${formatBytes(memory.kvCacheBytes)}, ` +
      `activations ${formatBytes(memory.activationBytes)})`,
  );
}
