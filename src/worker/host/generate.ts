/**
 * Generation from the Experiment: the baseline and the steered continuation of its prompt, with
 * its sampling settings (bounded by its schema, nowhere else), in the generation slot.
 *
 * The sides are the rows of one batch, each with its own hooks, and every row draws the seed's
 * stream. A greedy steered row runs beside a baseline row even when only the steered side is
 * asked for (its text is then not sent): a batch of two and a run of one may round differently,
 * and strength 0 must reproduce the baseline token for token. A sampled steered-only run is one
 * row: on the organisms a batch of two costs a third more time per token, and a rounding
 * difference moves a sampled token only when a draw falls on a boundary. `rudder replay` runs
 * this same job in Node.
 */
import { generateBatch } from '../../engine';
import { compile } from '../../interp';
import type { GenerateMethods, GenerateOutcome, Side } from '../api';
import type { HostContext } from './context';
import { resolveSteering } from './steering';

export function generateMethods(ctx: HostContext): GenerateMethods {
  return {
    generate: (request, onToken) =>
      ctx.slots.generation.run(async (signal): Promise<GenerateOutcome> => {
        const { cur, exp, prompt } = ctx.read(request.experiment);
        const { model } = cur;
        const tokenizer = model.tokenizer!;
        const steering = await resolveSteering(cur, exp, prompt, signal);
        const steers = steering.interventions.length > 0;
        const both = request.sides === 'both';
        const greedy = exp.generation.temperature <= 0;
        // undefined: a baseline row whose text is not sent.
        const sides: (Side | undefined)[] = !steers
          ? both
            ? ['baseline']
            : []
          : both
            ? ['baseline', 'steered']
            : greedy
              ? [undefined, 'steered']
              : ['steered'];
        if (sides.length === 0) return { promptTokens: prompt.length, ms: 0 };
        const compiled = sides.map((side) =>
          compile(side === 'steered' ? steering.interventions : [], { model, ...steering.context }),
        );
        try {
          const decoders = sides.map(() => tokenizer.createStreamDecoder({ skipSpecialTokens: true }));
          const started = performance.now();
          const results = await generateBatch(
            model,
            sides.map(() => prompt),
            {
              maxTokens: exp.generation.maxTokens,
              temperature: exp.generation.temperature,
              topP: exp.generation.topP,
              seed: exp.generation.seed,
              signal,
              hooks: compiled.map((c) => c.hooks),
              onToken: (row, id, index) => {
                const side = sides[row];
                // Not awaited: a round trip per token would stall generation on the main thread.
                if (side) void onToken?.({ side, id, index, text: decoders[row]!.push(id) });
              },
            },
          );
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
          };
        } finally {
          for (const c of compiled) c.dispose();
        }
      }),
  };
}
