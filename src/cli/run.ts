import { writeFile } from 'node:fs/promises';
import { disposeResult, type HookName, type HostTensor, writeSafetensors } from '../engine/node';
import { helpRequested, parse, UsageError } from './args';

export const RUN_USAGE = `  rudder run      --model <dir|url|owner/name> --prompt <text> --cache <hook name> [--cache ...]
                  --out <file.safetensors> [--chat]`;

import { encodePrompt, loadFromArgs, MODEL_OPTIONS } from './common';

/** One forward pass; writes the cached activations (batch dimension dropped) as safetensors. */
export async function runCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${RUN_USAGE}`)) return;
  const values = parse(args, {
    ...MODEL_OPTIONS,
    prompt: { type: 'string' },
    cache: { type: 'string', multiple: true },
    out: { type: 'string' },
    chat: { type: 'boolean' },
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required');
  if (!values.cache?.length)
    throw new UsageError('name at least one --cache hook (e.g. blocks.0.hook_resid_post)');
  if (!values.out) throw new UsageError('--out is required');
  const model = await loadFromArgs(values);
  try {
    const tokens = encodePrompt(model, values.prompt, values.chat ?? false);
    const result = model.run(tokens, { cache: values.cache as HookName[], logits: 'none' });
    const tensors: Record<string, HostTensor> = {};
    try {
      for (const [name, t] of result.cache)
        tensors[name] = { shape: t.shape.slice(1), data: (await t.data()) as Float32Array };
    } finally {
      disposeResult(result);
    }
    await writeFile(
      values.out,
      writeSafetensors(tensors, { prompt: values.prompt, tokens: JSON.stringify(tokens) }),
    );
    for (const [name, t] of Object.entries(tensors)) console.log(`${name} [${t.shape}]`);
    console.error(`wrote ${values.out}`);
  } finally {
    model.dispose();
  }
}
