/**
 * The refusal view's jobs on one model: its own harmful/harmless sets (read once from its
 * folder), the selection, the profile and the circuit. A newer selection or circuit makes an older
 * one of the same kind stop at its next step; `idle()` settles once nothing holds the model, so
 * the host frees a replaced model only after that.
 */
import { CancelledError, type Model, type ModelSource } from '../engine';
import {
  encodeInput,
  findRefusalCircuit,
  findRefusalDirection,
  type RefusalByLayer,
  refusalProfile,
  refusalReferences,
} from '../interp';
import type {
  RefusalCircuitResult,
  RefusalFound,
  RefusalProfile,
  RefusalProfileRequest,
  RefusalProgress,
  RefusalSets,
  RefusalSetsRequest,
} from './api';
import { ownSets, requestSets } from './refusal';
import { recipeKey, refusalVectorCached, seed } from './refusal-vector';

export class RefusalJobs {
  private own: Promise<RefusalSets> | undefined;
  private findCtl: AbortController | undefined;
  private circuitCtl: AbortController | undefined;
  private running = new Set<Promise<unknown>>();
  /** The profile's references depend on the direction only: computed once, not on every prompt edit. */
  private references: { key: string; refs: RefusalByLayer } | undefined;

  constructor(
    readonly model: Model,
    private readonly source: ModelSource | undefined,
  ) {}

  sets(): Promise<RefusalSets> {
    this.own ??= ownSets(this.source).catch((e) => {
      this.own = undefined; // a network hiccup may pass
      throw e;
    });
    return this.own;
  }

  find(req: RefusalSetsRequest, onProgress?: (p: RefusalProgress) => void): Promise<RefusalFound> {
    this.findCtl?.abort();
    const ctl = new AbortController();
    this.findCtl = ctl;
    return this.track(async () => {
      const sets = await requestSets(req, () => this.sets());
      const { found, direction } = await findRefusalDirection(this.model, sets, {
        ...(onProgress ? { onProgress } : {}),
        signal: ctl.signal,
      });
      if (found.vector && direction) seed(this.model, found.vector, direction);
      return found;
    });
  }

  profile(req: RefusalProfileRequest): Promise<RefusalProfile> {
    return this.track(async () => {
      const r = req.vector;
      const direction = (await refusalVectorCached(this.model, r)).layers[r.layer]!;
      const key = recipeKey(r);
      if (this.references?.key !== key)
        this.references = { key, refs: await refusalReferences(this.model, r, direction, r.position) };
      const prompt = encodeInput(this.model, req.prompt, { chat: req.chat });
      return refusalProfile(this.model, prompt, direction, r.position, this.references.refs);
    });
  }

  circuit(
    req: RefusalSetsRequest,
    onProgress?: (p: { stage: string; done: number; total: number }) => void,
  ): Promise<RefusalCircuitResult> {
    this.circuitCtl?.abort();
    const ctl = new AbortController();
    this.circuitCtl = ctl;
    return this.track(async () => {
      const sets = await requestSets(req, () => this.sets());
      const started = performance.now();
      const found = await findRefusalCircuit(this.model, sets, {
        maxPrompts: 16,
        onProgress: (stage, done, total) => {
          if (ctl.signal.aborted) throw new CancelledError();
          onProgress?.({ stage, done, total });
        },
      });
      const text = (ids: readonly number[]) => ids.map((id) => this.model.tokenizer!.decode([id]));
      return {
        circuit: found.circuit,
        refuseTokens: text(found.refuse),
        complyTokens: text(found.comply),
        nLayers: this.model.spec.nLayers,
        nHeads: this.model.spec.nHeads,
        prompts: found.prompts,
        ms: Math.round(performance.now() - started),
      };
    });
  }

  /** Stops running jobs at their next step (the model is being replaced). */
  cancel(): void {
    this.findCtl?.abort();
    this.circuitCtl?.abort();
  }

  /** Settles when no job of this model is running. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private track<T>(fn: () => Promise<T>): Promise<T> {
    const p = fn();
    this.running.add(p);
    const done = () => this.running.delete(p);
    p.then(done, done);
    return p;
  }
}
