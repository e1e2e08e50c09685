/**
 * The lens view's worker side: the logit (or tuned) lens of one prompt, for the baseline and for
 * the steered run, reduced on the device to top-k, entropy, KL to the final layer and the tracked
 * tokens' probability and rank (interp's `logitLens` does the reduction), so only a few numbers
 * per layer and position cross to the page.
 *
 * One `LensSession` per loaded model. It keeps the tuned lens (read once, on first use) and the
 * last baseline grid: dragging the strength slider changes only the steered run, so the baseline
 * is not recomputed while the prompt, lens kind, k and tracked tokens stay the same.
 */
import { CancelledError, type Model, type ModelSource, yieldToEventLoop } from '../engine';
import {
  type CompileContext,
  compile,
  type Intervention,
  type LensResult,
  lensRows,
  loadTunedLens,
  logitLens,
  type SteeringVector,
  type TunedLens,
} from '../interp';
import type { LensGrid, LensKind, LensOutcome, LensRowInfo } from './api';

/** What one lens run needs, once the prompt is tokens and the vectors are built. */
export interface LensInput {
  readonly tokens: readonly number[];
  readonly kind: LensKind;
  /** Top tokens per cell (1..20). */
  readonly k: number;
  readonly track: readonly number[];
  /** The steered run's interventions; undefined when nothing steers (no steered grid). */
  readonly steered?: readonly Intervention[];
  readonly vectors: Readonly<Record<string, SteeringVector>>;
  /** Further compile context (planes, unit selections, head means), as the steered row gets. */
  readonly context?: Omit<CompileContext, 'model' | 'vectors'>;
  readonly signal?: AbortSignal;
}

export const MAX_LENS_K = 20;

export class LensSession {
  private tuned: Promise<{ lens?: TunedLens; error?: string }> | undefined;
  private baseline: { key: string; grid: LensGrid } | undefined;
  /** Token texts already decoded (the same few hundred ids come back on every edit). */
  private readonly tokenTexts = new Map<number, string>();
  private disposed = false;

  constructor(
    readonly model: Model,
    private readonly source?: ModelSource,
  ) {}

  /** The tuned lens beside the model, read once; a file that does not fit is reported, not thrown. */
  private tunedLens(): Promise<{ lens?: TunedLens; error?: string }> {
    this.tuned ??= (async () => {
      if (!this.source) return {};
      try {
        const lens = await loadTunedLens(this.source, this.model.spec);
        if (lens && this.disposed) {
          lens.dispose();
          return {};
        }
        return lens ? { lens } : {};
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    })();
    return this.tuned;
  }

  async run(input: LensInput): Promise<LensOutcome> {
    const { model } = this;
    const started = performance.now();
    const check = () => {
      if (input.signal?.aborted || this.disposed) throw new CancelledError();
    };
    const k = Math.max(1, Math.min(MAX_LENS_K, Math.round(input.k)));
    // A link may carry a token id of another model: track nothing rather than fail the lens.
    const track = input.track.filter((id) => Number.isInteger(id) && id >= 0 && id < model.spec.vocabSize);
    const tuned = await this.tunedLens();
    const kind: LensKind = input.kind === 'tuned' && tuned.lens ? 'tuned' : 'logit';
    const opts = { k, track, ...(kind === 'tuned' ? { tuned: tuned.lens! } : {}) };
    // Let a newer request (which cancels this one) arrive before the first pass.
    await yieldToEventLoop();
    check();
    const key = JSON.stringify([input.tokens, kind, k, track]);
    let baseline = this.baseline?.key === key ? this.baseline.grid : undefined;
    if (!baseline) {
      const res = await logitLens(model, input.tokens, opts);
      baseline = gridOf(res);
      this.baseline = { key, grid: baseline };
    }
    let steered: LensGrid | undefined;
    if (input.steered) {
      const compiled = compile(input.steered, { ...input.context, model, vectors: input.vectors });
      try {
        if (Object.keys(compiled.hooks).length === 0) {
          // Nothing hooks (strength 0): the steered run is the baseline, bit for bit.
          steered = baseline;
        } else {
          await yieldToEventLoop();
          check();
          const res = await logitLens(model, input.tokens, { ...opts, hooks: compiled.hooks });
          steered = gridOf(res);
        }
      } finally {
        compiled.dispose();
      }
    }
    check();
    return {
      kind,
      tunedAvailable: tuned.lens !== undefined,
      ...(tuned.error ? { tunedError: tuned.error } : {}),
      tokens: [...input.tokens],
      rows: lensRows(model).map((r): LensRowInfo => ({ label: r.label, layer: r.layer, point: r.point })),
      k,
      tracked: track,
      baseline,
      ...(steered ? { steered } : {}),
      texts: this.texts(input.tokens, [baseline, steered], track),
      ms: Math.round(performance.now() - started),
    };
  }

  /** Readable text of every token the page will show: the prompt's, the cells' and the tracked. */
  private texts(
    tokens: readonly number[],
    grids: readonly (LensGrid | undefined)[],
    track: readonly number[],
  ): Record<number, string> {
    const ids = new Set<number>([...tokens, ...track]);
    for (const g of grids) if (g) for (const id of g.topIds) ids.add(id);
    const out: Record<number, string> = {};
    const tok = this.model.tokenizer;
    for (const id of ids) {
      let text = this.tokenTexts.get(id);
      if (text === undefined) {
        text = tok ? tok.tokenString(id) : `#${id}`;
        this.tokenTexts.set(id, text);
      }
      out[id] = text;
    }
    return out;
  }

  /** Frees the tuned lens (once no run uses it: the host calls this after the lens job drains). */
  dispose(): void {
    this.disposed = true;
    this.baseline = undefined;
    void this.tuned?.then((t) => t.lens?.dispose());
  }
}

function gridOf(r: LensResult): LensGrid {
  return {
    topIds: r.topIds,
    topProbs: r.topProbs,
    entropy: r.entropy,
    kl: r.kl,
    trackedProbs: r.trackedProbs,
    trackedRanks: r.trackedRanks,
  };
}
