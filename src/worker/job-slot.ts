/**
 * The one way the worker runs a job: in a slot, one job at a time. A new job aborts the running
 * one, waits for it to let go of the model, then runs with its own AbortSignal (checked between
 * tokens, batches or candidates). Each kind of job has a slot of its own (generation, lens, head
 * scores, the refusal view's jobs, vector reads), so a lens request never stops a generation.
 * `idle()` settles once nothing runs: a replaced model is freed only after that.
 */
import { CancelledError } from '../engine';

export class JobSlot {
  private ctl: AbortController | undefined;
  /** Settles when the last job started here has let go (never rejects). */
  private last: Promise<void> = Promise.resolve();
  /** Jobs that share the model without taking the slot (see `alongside`). */
  private readonly beside = new Set<Promise<unknown>>();

  /** Aborts the running job, if any, and runs `fn` once it has let go. */
  run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.ctl?.abort();
    const ctl = new AbortController();
    this.ctl = ctl;
    const previous = this.last;
    const job = (async () => {
      await previous;
      if (ctl.signal.aborted) throw new CancelledError();
      try {
        return await fn(ctl.signal);
      } finally {
        if (this.ctl === ctl) this.ctl = undefined;
      }
    })();
    this.last = job.then(
      () => {},
      () => {},
    );
    return job;
  }

  /**
   * Runs `fn` now, beside the slot's job, without cancelling it (a cached read, hovering a head);
   * `idle()` still waits for it.
   */
  alongside<T>(fn: () => Promise<T>): Promise<T> {
    const p = fn();
    this.beside.add(p);
    const done = () => this.beside.delete(p);
    p.then(done, done);
    return p;
  }

  /** Aborts the running job (it stops at its next check). */
  abort(): void {
    this.ctl?.abort();
  }

  /** Settles once no job of this slot is running. */
  async idle(): Promise<void> {
    for (;;) {
      const last = this.last;
      await Promise.allSettled([last, ...this.beside]);
      if (last === this.last && this.beside.size === 0) return;
    }
  }
}

/** Aborts every slot, then settles once all are idle. */
export function drain(slots: readonly JobSlot[]): Promise<void> {
  for (const s of slots) s.abort();
  return Promise.all(slots.map((s) => s.idle())).then(() => undefined);
}
