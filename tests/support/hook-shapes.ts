/** The shape HOOK_DIMS names for a hook of `spec`, for a run of `batch` rows of `pos` tokens. */
import { HOOK_DIMS, type HookName } from '../../src/engine/hooks';
import type { ModelSpec } from '../../src/engine/spec';

export function hookShape(spec: ModelSpec, name: HookName, batch: number, pos: number): number[] {
  const size: Record<string, number> = {
    batch,
    pos,
    query_pos: pos,
    key_pos: pos,
    d_model: spec.dModel,
    d_mlp: spec.dMlp,
    head: spec.nHeads,
    kv_head: spec.nKvHeads,
    d_head: spec.dHead,
    one: 1,
  };
  const point = name.replace(/^blocks\.\d+\./, '') as keyof typeof HOOK_DIMS;
  return HOOK_DIMS[point].map((d) => size[d]!);
}
