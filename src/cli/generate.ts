import { generate } from '../engine/node';
import { num, parse, UsageError } from './args';
import { encodePrompt, loadFromArgs, MODEL_OPTIONS } from './common';

export async function generateCommand(args: string[]): Promise<void> {
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
      maxTokens: num(values, 'max-tokens', 64),
      temperature: num(values, 'temperature', 0),
      topK: num(values, 'top-k'),
      topP: num(values, 'top-p'),
      seed: num(values, 'seed', 0),
      onToken: (id) => process.stdout.write(decoder ? decoder.push(id) : ` ${id}`),
    });
    process.stdout.write(`${decoder?.flush() ?? ''}\n`);
    console.error(`(${result.tokens.length} tokens, stopped: ${result.stopReason})`);
  } finally {
    model.dispose();
  }
}
