/** The steering loop's vector: built from the Experiment (or found built), its lens, its files. */
import { type Model, RudderError } from '../../engine';
import { STEERING_PLANE, STEERING_VECTOR, steeredPlan } from '../../experiment';
import type { BuildProgress, VectorMethods, VectorRequest } from '../api';
import { exportVectorFile, importVectorFile, lensOf } from '../vector-files';
import type { BuiltVector } from '../vectors';
import type { HostContext } from './context';
import { typicalNormsOf } from './steering';

export function vectorMethods(ctx: HostContext): VectorMethods {
  /** The loop's vector of the request's experiment (its pairs' recipe, or its imported vector). */
  const loopVector = async (
    request: VectorRequest,
    onProgress?: (p: BuildProgress) => void,
  ): Promise<BuiltVector & { model: Model }> => {
    const { model, vectors } = ctx.require();
    const exp = ctx.experiment(request.experiment);
    const source = steeredPlan(exp, { id: model.id, nLayers: model.spec.nLayers }).vectors[STEERING_VECTOR];
    if (!source)
      throw new RudderError(
        'no-vector',
        'There is no vector yet: add a contrast pair, or import a vector file.',
      );
    return { model, ...(await vectors.build(source, onProgress)) };
  };
  return {
    // Progress is not awaited: it must not wait for a round trip to the page.
    buildVector: async (request, onProgress) => {
      const { info, vector } = await loopVector(request, onProgress && ((p) => void onProgress(p)));
      const typical = await typicalNormsOf(ctx.require(), vector.hook);
      return { ...info, typicalNorms: info.layers.map((l) => typical[l] ?? 0) };
    },
    vectorLens: async (request) => {
      const { model, vector } = await loopVector(request);
      return lensOf(model, vector, request.k ?? 12);
    },
    exportVector: async (request) => {
      const { model, vector } = await loopVector(request);
      return exportVectorFile(model, vector, request.format);
    },
    importVector: async (bytes, fileName) => importVectorFile(ctx.require().model, bytes, fileName),
    steeringPlane: async (request) => {
      const { model, vectors } = ctx.require();
      const exp = ctx.experiment(request.experiment);
      const recipe = steeredPlan(exp, { id: model.id, nLayers: model.spec.nLayers }).planes[STEERING_PLANE];
      if (!recipe)
        throw new RudderError(
          'no-plane',
          'There is no plane yet: choose the rotate operator and add a contrast pair.',
        );
      const plane = await vectors.plane(recipe);
      return {
        modules: plane.modules.map((m) => ({ layer: m.layer, point: m.point })),
        discriminative: recipe.discriminative,
      };
    },
  };
}
