/**
 * The function vectors view's job (METHODS.md §13) on the experiment's `view.fv` settings: the
 * task's first half builds the FV (on the view's corruption: zero-shot by default, which finds the
 * heads on the organisms, or shuffled labels), the held-out half measures it. One slot: a newer run, or Stop, stops the running one.
 */
import { CancelledError, RudderError } from '../../engine';
import {
  buildFunctionVector,
  evaluateFunctionVector,
  iclPrompt,
  iclTasks,
  readOrganismData,
} from '../../interp';
import type { FunctionVectorMethods, FunctionVectorProgress } from '../api';
import type { Current, HostContext, IclTaskSet } from './context';

export function functionVectorMethods(ctx: HostContext): FunctionVectorMethods {
  return {
    functionVectorTasks: async () =>
      [...(await tasksOf(ctx.require())).tasks].map(([name, t]) => ({
        name,
        build: t.build.length,
        heldOut: t.heldOut.length,
      })),
    functionVector: (request, onProgress) =>
      ctx.slots.fv.run(async (signal) => {
        const cur = ctx.require();
        const { model } = cur;
        const { task, k, layer, corruption } = ctx.experiment(request.experiment).view.fv;
        const { tasks, format } = await tasksOf(cur);
        if (!task) throw new RudderError('no-task', 'Pick a task first.');
        const items = tasks.get(task);
        if (!items)
          throw new RudderError(
            'no-task',
            tasks.size
              ? `${model.id} has no few-shot task "${task}"; its tasks are ${[...tasks.keys()].join(', ')}.`
              : `${model.id} ships no few-shot tasks (datasets/icl_tasks.json), so it has no function vector to find.`,
          );
        // Not awaited: progress must not wait for a round trip to the page.
        const tell = (p: FunctionVectorProgress) => {
          if (signal.aborted) throw new CancelledError();
          void onProgress?.(p);
        };
        const started = performance.now();
        const fv = await buildFunctionVector(model, items.build, format, {
          corruption,
          signal,
          ...(k !== undefined ? { topHeads: k } : {}),
          ...(layer !== undefined ? { layer } : {}),
          onProgress: (stage, done, total) => tell({ stage, done, total }),
        });
        const figures = await evaluateFunctionVector(model, fv, items.heldOut, {
          ...(format ? { format } : {}),
          signal,
          onProgress: (done, total) => tell({ stage: 'evaluate', done, total }),
        });
        return {
          modelId: model.id,
          task,
          corruption,
          nLayers: model.spec.nLayers,
          nHeads: model.spec.nHeads,
          layer: fv.layer,
          k: fv.heads.length,
          aie: fv.aie,
          heads: fv.heads,
          fv: fv.fv,
          built: items.build.length,
          heldOut: items.heldOut.length,
          fewShot: figures.fewShot,
          zeroShot: figures.zeroShot,
          zeroShotFv: figures.zeroShotFv,
          readout: figures.readout,
          readoutIsAnswer: figures.readoutIsAnswer,
          answersInReadout: figures.answersInReadout,
          items: items.heldOut.map((it, i) => ({
            prompt: iclPrompt([], it.query, format),
            answer: it.answer,
            zeroShot: figures.zeroShotCorrect[i]!,
            zeroShotFv: figures.zeroShotFvCorrect[i]!,
          })),
          ms: Math.round(performance.now() - started),
        };
      }),
    stopFunctionVector: () => ctx.slots.fv.abort(),
  };
}

/** The model's few-shot tasks, read once per model from its folder (none when it ships none). */
function tasksOf(cur: Current): Promise<IclTaskSet> {
  cur.iclTasks ??= (async (): Promise<IclTaskSet> => {
    if (!cur.source) return { tasks: new Map(), format: undefined };
    const data = await readOrganismData(cur.source);
    return { tasks: iclTasks(data), format: data.fewShotFormat };
  })().catch((e) => {
    cur.iclTasks = undefined; // a network hiccup may pass
    throw e;
  });
  return cur.iclTasks;
}
