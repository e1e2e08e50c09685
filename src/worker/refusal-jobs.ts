/**
 * The refusal view's jobs on one model: its own harmful/harmless sets (read once from its
 * folder), the selection, the profile and the circuit. A newer selection or circuit makes an older
 * one of the same kind stop at its next step; `idle()` settles once nothing holds the model, so
 * the host frees a replaced model only after that.
 */
import { CancelledError, type Model, type ModelSource } from '../engine';
import type {
  RefusalCircuitResult,
  RefusalFound,
  RefusalProfile,
  RefusalProfileRequest,
  RefusalProgress,
  RefusalSets,
  RefusalSetsRequest,
} from './api';
import { findCircuit, findRefusalDirection, ownSets, refusalProfile, requestSets } from './refusal';
import { refusalVectorCached } from './refusal-vector';

export class RefusalJobs {
  private own: Promise<RefusalSets> | undefined;
  private findTicket = 0;
  private circuitTicket = 0;
  private running = new Set<Promise<unknown>>();
  private cancelled = false;

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
    const ticket = ++this.findTicket;
    return this.track(async () => {
      const sets = await requestSets(req, () => this.sets());
      return findRefusalDirection(this.model, sets, {
        ...(onProgress ? { onProgress } : {}),
        stale: () => this.cancelled || ticket !== this.findTicket,
      });
    });
  }

  profile(req: RefusalProfileRequest): Promise<RefusalProfile> {
    return this.track(async () =>
      refusalProfile(this.model, req, await refusalVectorCached(this.model, req.vector)),
    );
  }

  circuit(
    req: RefusalSetsRequest,
    onProgress?: (p: { stage: string; done: number; total: number }) => void,
  ): Promise<RefusalCircuitResult> {
    const ticket = ++this.circuitTicket;
    return this.track(async () => {
      const sets = await requestSets(req, () => this.sets());
      return findCircuit(this.model, sets, {
        onProgress: (p) => {
          if (this.cancelled || ticket !== this.circuitTicket) throw new CancelledError();
          onProgress?.(p);
        },
      });
    });
  }

  /** Stops running jobs at their next step (the model is being replaced). */
  cancel(): void {
    this.cancelled = true;
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
