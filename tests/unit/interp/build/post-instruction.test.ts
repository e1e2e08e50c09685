/**
 * Arditi's post-instruction positions on the shipped organisms' real tokenizers and chat
 * templates: exactly the template's "<|end|>\n<|assistant|>\n", never a token of the message.
 */
import { describe, expect, it } from 'vitest';
import { organismDirs, withOrganism } from '../../../../src/cli/eval-organisms';
import { encodeInput, postInstructionLength } from '../../../../src/interp';
import { useBackend } from '../../../support/backend';

describe('post-instruction positions', () => {
  for (const dir of organismDirs()) {
    it(`are the four template tokens after the message on ${dir.split('/').pop()}`, async () => {
      await useBackend('cpu');
      await withOrganism(dir, async (model) => {
        const n = postInstructionLength(model);
        expect(n).toBe(4);
        // Messages ending in the same sub-word ("alpha", "beta") must not stretch the count.
        const ids = encodeInput(model, 'Tell me about beta', { chat: true });
        expect(model.tokenizer!.decode(ids.slice(-n), { skipSpecialTokens: false })).toBe(
          '<|end|>\n<|assistant|>\n',
        );
      });
    });
  }
});
