/**
 * The organisms' few-shot tasks (icl_tasks.json) split for function vectors (METHODS.md §13). Pure
 * (no tensors), so the experiment's lessons use the same split as the worker's job.
 */
import type { OrganismData } from './eval/organism-data';
import type { IclItem } from './function-vectors';

/**
 * The organism's few-shot tasks (icl_tasks.json items that carry their shots and query), by name,
 * each split in halves: the first builds the FV, the second (held out) measures it.
 */
export function iclTasks(
  data: Pick<OrganismData, 'fewShot'>,
): Map<string, { readonly build: IclItem[]; readonly heldOut: IclItem[] }> {
  const byTask = new Map<string, IclItem[]>();
  for (const it of data.fewShot) {
    if (!it.shots || it.query === undefined) continue;
    const item: IclItem = { shots: it.shots, query: it.query, answer: it.answer };
    byTask.set(it.task, [...(byTask.get(it.task) ?? []), item]);
  }
  return new Map(
    [...byTask].map(([task, items]) => {
      const half = Math.max(1, Math.floor(items.length / 2));
      return [task, { build: items.slice(0, half), heldOut: items.slice(half) }];
    }),
  );
}
