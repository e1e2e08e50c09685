/**
 * One place that turns any vector recipe back into a vector, so that every consumer (the worker,
 * the CLI, a replayed link) rebuilds contrast, ActAdd and refusal recipes alike. An imported vector
 * has no recipe to rebuild from: its values travel with it (inline in a link, or its file).
 */
import { type Model, RudderError } from '../../engine';
import type { VectorRecipe } from '../recipe';
import type { SteeringVector } from '../vector';
import { buildActAdd } from './actadd';
import { buildContrastVector, type ContrastOptions } from './contrast';
import { candidateVector, refusalCandidates } from './refusal';

export async function buildFromRecipe(
  model: Model,
  recipe: VectorRecipe,
  opts: Pick<ContrastOptions, 'batchSize' | 'onProgress'> = {},
): Promise<SteeringVector> {
  switch (recipe.from) {
    case 'contrast':
      return buildContrastVector(model, { ...recipe, ...opts });
    case 'actadd':
      return buildActAdd(model, recipe);
    case 'refusal': {
      // The difference of means at the recipe's one position and layer (METHODS.md §5).
      const c = await refusalCandidates(model, {
        harmful: recipe.harmful,
        harmless: recipe.harmless,
        positions: [recipe.position],
        layers: [recipe.layer],
        batchSize: opts.batchSize,
      });
      return candidateVector(c, recipe.position, recipe.layer);
    }
    case 'import':
      throw new RudderError(
        'no-recipe',
        `A vector imported from ${recipe.format} has no recipe to rebuild it from; load it from its file.`,
      );
  }
}
