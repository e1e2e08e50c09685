/** The lens view's job: the Experiment's prompt through the lens, baseline and steered, in the lens slot. */
import type { LensMethods } from '../api';
import type { HostContext } from './context';
import { resolveSteering } from './steering';

export function lensMethods(ctx: HostContext): LensMethods {
  return {
    lens: (request) =>
      ctx.slots.lens.run(async (signal) => {
        const { cur, exp, prompt: tokens } = ctx.read(request.experiment);
        const steering = await resolveSteering(cur, exp, tokens, signal);
        const { kind, track } = exp.view.lens;
        return cur.lens.run({
          tokens,
          kind,
          k: request.k ?? 5,
          track: track === undefined ? [] : [track],
          ...(steering.interventions.length > 0 ? { steered: steering.interventions } : {}),
          vectors: steering.context.vectors ?? {},
          context: steering.context,
          signal,
        });
      }),
  };
}
