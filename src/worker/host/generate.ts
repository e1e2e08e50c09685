/**
 * Generation from the Experiment: the baseline and the steered continuation of its prompt, with
 * its sampling settings (bounded by its schema, nowhere else), in the generation slot.
 *
 * Greedy runs put the steered row in one batch with a baseline row, even when only the steered
 * side is asked for: a batch of two and a run of one may round differently, and strength 0 must
 * reproduce the baseline token for token. `rudder replay` runs this same job in Node.
 */
import { compile } from '../../interp';
import type { GenerateMethods, GenerateOutcome, Side } from '../api';
import { generateRows } from '../rows';
import type { HostContext } from './context';
import { resolveSteering } from './steering';

export function generateMethods(ctx: HostContext): GenerateMethods {
  return {
    generate: (request, onToken) =>
      ctx.slots.generation.run(async (signal): Promise<GenerateOutcome> => {
        const cur = ctx.require();
        const { model } = cur;
        const exp = ctx.experiment(request.experiment);
        const prompt = ctx.prompt(model, exp);
        const tokenizer = model.tokenizer!;
        const steering = await resolveSteering(cur, exp, prompt, signal);
        const steers = steering.interventions.length > 0;
        const greedy = exp.generation.temperature <= 0;
        const sides: (Side | undefined)[] =
          request.sides === 'both'
            ? steers
              ? ['baseline', 'steered']
              : ['baseline']
            : !steers
              ? []
              : greedy
                ? [undefined, 'steered']
                : ['steered'];
        if (sides.length === 0) return { promptTokens: prompt.length, ms: 0, batched: false };
        const compiled = sides.map((side) =>
          compile(side === 'steered' ? steering.interventions : [], { model, ...steering.context }),
        );
        try {
          const decoders = sides.map(() => tokenizer.createStreamDecoder({ skipSpecialTokens: true }));
          const started = performance.now();
          const { results, batched } = await generateRows(model, prompt, compiled, {
            maxTokens: exp.generation.maxTokens,
            temperature: exp.generation.temperature,
            topP: exp.generation.topP,
            seed: exp.generation.seed,
            signal,
            onToken: (row, id, index) => {
              const side = sides[row];
              // Not awaited: a round trip per token would stall generation on the main thread.
              if (side) void onToken?.({ side, id, index, text: decoders[row]!.push(id) });
            },
          });
          const outcome = (row: number) => {
            const r = results[row]!;
            const text = tokenizer.decode(r.tokens, { skipSpecialTokens: true });
            return { tokens: r.tokens, text, stopReason: r.stopReason };
          };
          const steered = sides.indexOf('steered');
          return {
            promptTokens: prompt.length,
            ...(sides[0] === 'baseline' ? { baseline: outcome(0) } : {}),
            ...(steered >= 0 ? { steered: { ...outcome(steered), applied: steering.interventions } } : {}),
            ms: Math.round(performance.now() - started),
            batched,
          };
        } finally {
          for (const c of compiled) c.dispose();
        }
      }),
  };
}
