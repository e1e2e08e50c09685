import { generate } from '../engine/node';
import { defaultExperiment } from '../experiment';
import { helpRequested, num, parse, UsageError } from './args';
import { encodePrompt, loadFromArgs, MODEL_OPTIONS } from './common';

/** The page's generation settings are the defaults (ExperimentSchema's). */
const DEFAULTS = defaultExperiment().generation;

export const GENERATE_USAGE = `  rudder generate --model <dir|url|owner/name> --prompt <text> [--max-tokens N (${DEFAULTS.maxTokens})]
                  [--temperature T (${DEFAULTS.temperature})] [--top-k K] [--top-p P (${DEFAULTS.topP})]
                  [--seed S (${DEFAULTS.seed})] [--chat] [--backend wasm|cpu] [--precision bfloat16]`;

export async function generateCommand(args: string[]): Promise<void> {
  if (helpRequested(args, `Usage:\n${GENERATE_USAGE}`)) return;
  const values = parse(args, {
    ...MODEL_OPTIONS,
    prompt: { type: 'string' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    chat: { type: 'boolean' },
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required');
  const model = await loadFromArgs(values);
  try {
    const prompt = encodePrompt(model, values.prompt, values.chat ?? false);
    const decoder = model.tokenizer?.createStreamDecoder({ skipSpecialTokens: true });
    if (!values.chat) process.stdout.write(values.prompt);
    const result = await generate(model, prompt, {
      maxTokens: num(values, 'max-tokens', DEFAULTS.maxTokens),
      temperature: num(values, 'temperature', DEFAULTS.temperature),
      topK: num(values, 'top-k'),
      topP: num(values, 'top-p', DEFAULTS.topP),
      seed: num(values, 'seed', DEFAULTS.seed),
      onToken: (id) => process.stdout.write(decoder ? decoder.push(id) : ` ${id}`),
    });
    process.stdout.write(`${decoder?.flush() ?? ''}\n`);
    console.error(`(${result.tokens.length} tokens, stopped: ${result.stopReason})`);
  } finally {
    model.dispose();
  }
}
