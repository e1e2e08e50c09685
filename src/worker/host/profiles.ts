/** The methods view's job: layer activity and sparsity of the Experiment's prompt, in its own slot. */
import { SPARSITY_EPSILONS } from '../../experiment';
import { layerActivity, sparsityProfile } from '../../interp';
import type { ProfileMethods } from '../api';
import type { HostContext } from './context';

export function profileMethods(ctx: HostContext): ProfileMethods {
  return {
    layerProfiles: (request) =>
      ctx.slots.profiles.run(async () => {
        const { cur, prompt: tokens } = ctx.read(request.experiment);
        const { model } = cur;
        const activity = await layerActivity(model, tokens);
        const sparsity = await sparsityProfile(model, [tokens], SPARSITY_EPSILONS);
        return {
          tokens: tokens.map((id) => model.tokenizer?.tokenString(id) ?? `#${id}`),
          layers: activity.layers,
          activity: activity.activity,
          epsilons: sparsity.epsilons,
          sparsity: sparsity.share,
          count: sparsity.count,
        };
      }),
  };
}
