/** The head gates view's jobs on the Experiment's prompt: per-head scores and attention patterns. */
import { encodeInput } from '../../interp';
import type { HeadsMethods } from '../api';
import type { HostContext } from './context';

export function headsMethods(ctx: HostContext): HeadsMethods {
  /** The session, the prompt's tokens, and an encoder for other texts the same way (counterparts). */
  const read = (experiment: Parameters<HostContext['experiment']>[0]) => {
    const { cur, exp, prompt } = ctx.read(experiment);
    const { model, heads } = cur;
    const chat = exp.prompt.chat;
    return {
      heads,
      chat,
      tokens: prompt,
      encode: (text: string) => encodeInput(model, text, { chat }),
    };
  };
  return {
    headScores: async ({ experiment, ...request }) => {
      const { heads, chat, tokens, encode } = read(experiment);
      return heads.scores(tokens, { ...request, chat }, encode);
    },
    attentionPattern: async ({ experiment, layer, head }) => {
      const { heads, tokens } = read(experiment);
      return heads.pattern(tokens, layer, head);
    },
  };
}
