/**
 * Steering vectors in the worker, built from their sources and cached so that an edit rebuilds
 * only what it changed. Contrast prompts are read at every layer in one pass (interp's
 * contrastRows) and the rows are kept per (model, pairs, hook, position, chat): choosing another
 * layer or method then costs a host reduction, not a forward pass, and the same pass gives the
 * layer strip its per-layer scores. Changing the coefficient touches none of this. Refusal
 * directions (§5), imported (inline) vectors, the planes of the rotate operator and the unit
 * rankings of AUSteer are cached here too, per model: a new model gets a new store.
 *
 * Reads of activations run in one job slot: a read of other pairs aborts an older one still
 * reading; a build whose pairs are being read already joins that read instead.
 */
import { hookName, type Model, RudderError } from '../engine';
import { type InlineVector, inlineLayers, type VectorSource, vectorScaleWarnings } from '../experiment';
import {
  buildFromRecipe,
  buildPlane,
  buildUnits,
  type ContrastRecipe,
  type ContrastRows,
  collectActivations,
  contrastRows,
  encodeInput,
  type LayerStat,
  layerStats,
  mean,
  NEUTRAL_TEXTS,
  norm,
  type PlaneRecipe,
  type RefusalRecipe,
  type SteeringPlane,
  type SteeringVector,
  TYPICAL_TEXTS,
  typicalNorms,
  type UnitSelection,
  type UnitsRecipe,
  type VectorHook,
  type VectorRecipe,
  vectorFromRows,
  vectorLayers,
} from '../interp';
import type { BuildProgress, VectorInfo } from './api';
import { checkShape, hash, meanNorms, PROBE } from './inline-vectors';
import { JobSlot } from './job-slot';

type ActAddRecipe = Extract<VectorRecipe, { from: 'actadd' }>;

/** One pair set's rows at every layer, and each layer's scores for the strip. */
interface PairRows extends ContrastRows {
  readonly stats: readonly LayerStat[];
}

export interface BuiltVector {
  readonly vector: SteeringVector;
  readonly info: VectorInfo;
}

/** Prompts per forward pass; also the step at which a stale read notices it is stale. */
const BATCH = 16;
/** Entries kept per cache (a person flips between a few presets, edits and directions). */
const KEEP = 6;

export class VectorStore {
  private readonly rows = new Map<string, PairRows>();
  private readonly vectors = new Map<string, Promise<SteeringVector>>();
  private readonly inline = new Map<string, Promise<BuiltVector>>();
  private readonly refusal = new Map<string, Promise<SteeringVector>>();
  private readonly actadd = new Map<string, Promise<BuiltVector>>();
  private readonly planes = new Map<string, Promise<SteeringPlane>>();
  private readonly units = new Map<string, Promise<UnitSelection>>();
  private readonly typical = new Map<string, Promise<number[]>>();
  /** Pair sets being read now, by rows key, with the builds waiting for each. */
  private readonly reading = new Map<
    string,
    { promise: Promise<PairRows>; listeners: Set<(p: BuildProgress) => void> }
  >();
  readonly reads = new JobSlot();

  constructor(readonly model: Model) {}

  /** The plane of a recipe (rotate), built once per pair set. */
  plane(r: PlaneRecipe): Promise<SteeringPlane> {
    const key = JSON.stringify([r.positive, r.negative, r.discriminative]);
    return cached(this.planes, key, () =>
      buildPlane(this.model, {
        positive: r.positive,
        negative: r.negative,
        discriminative: r.discriminative,
      }),
    );
  }

  /** The ranked units of a recipe (AUSteer), built once per pair set and point. */
  unitSelection(r: UnitsRecipe): Promise<UnitSelection> {
    const key = JSON.stringify([r.pairs, r.point, r.position, r.k]);
    return cached(this.units, key, () =>
      buildUnits(this.model, { pairs: r.pairs, point: r.point, position: r.position, k: r.k }),
    );
  }

  /**
   * The typical activation norm at `hook`, every layer (METHODS.md §19: the unit of the strength),
   * measured once per model and hook on the model's neutral texts (`neutral`, e.g. the organism's
   * openings), or on built-in neutral sentences for a model that ships none.
   */
  typicalNorms(hook: VectorHook, neutral: () => Promise<readonly string[]>): Promise<number[]> {
    return cached(this.typical, hook, async () => {
      const own = await neutral();
      const texts = (own.length > 0 ? own : NEUTRAL_TEXTS).slice(0, TYPICAL_TEXTS);
      return this.reads.alongside(() => typicalNorms(this.model, texts, hook));
    });
  }

  /** A refusal direction (§5) by its recipe; `seed` puts one the selection already built here. */
  refusalVector(r: RefusalRecipe): Promise<SteeringVector> {
    return cached(this.refusal, refusalKey(r), () => buildFromRecipe(this.model, r));
  }

  seed(r: RefusalRecipe, v: SteeringVector): void {
    remember(this.refusal, refusalKey(r), Promise.resolve(v));
  }

  /** Builds (or finds) the vector of a source, with the numbers the page shows for it. */
  async build(source: VectorSource, onProgress?: (p: BuildProgress) => void): Promise<BuiltVector> {
    switch (source.from) {
      case 'inline':
        return this.fromInline(source);
      case 'refusal':
        return this.fromRefusal(source);
      case 'contrast':
        return this.fromPairs(source, onProgress);
      case 'actadd':
        return this.fromActAdd(source);
      case 'import':
        throw new RudderError(
          'unsupported-recipe',
          `A vector imported from ${source.format} has no recipe to rebuild it from; import its file again.`,
        );
    }
  }

  private async fromPairs(r: ContrastRecipe, onProgress?: (p: BuildProgress) => void): Promise<BuiltVector> {
    const started = performance.now();
    const key = JSON.stringify([r.pairs, r.hook, r.position, r.chat ?? false, r.layers, r.method]);
    const rowsKey = JSON.stringify([r.pairs, r.hook, r.position, r.chat ?? false]);
    let rows = this.rows.get(rowsKey);
    const wasCached = rows !== undefined && this.vectors.has(key);
    rows ??= await this.readOnce(r, rowsKey, onProgress);
    const pairRows = rows;
    const vector = await cached(this.vectors, key, async () => vectorFromRows(this.model, r, pairRows));
    const layers = vectorLayers(vector);
    return {
      vector,
      info: {
        key,
        hook: r.hook,
        layers,
        norms: layers.map((l) => norm(vector.layers[l]!)),
        residualNorms: layers.map((l) => rows.stats[l]?.residualNorm ?? 0),
        perLayer: rows.stats,
        pairs: rows.n,
        ms: Math.round(performance.now() - started),
        cached: wasCached,
      },
    };
  }

  /**
   * A refusal direction with the numbers of its slider: its norm against the mean residual norm at
   * its layer and position over (a few of) its harmless prompts.
   */
  private async fromRefusal(r: RefusalRecipe): Promise<BuiltVector> {
    const started = performance.now();
    const wasCached = this.refusal.has(refusalKey(r));
    const vector = await this.refusalVector(r);
    const hook = hookName('resid_pre', r.layer);
    const prompts = r.harmless.slice(0, 8).map((p) => encodeInput(this.model, p, { chat: true }));
    const acts = await collectActivations(this.model, prompts, [hook], { kind: 'index', index: r.position });
    return {
      vector,
      info: {
        key: `refusal:${refusalKey(r)}`,
        hook: 'resid_pre',
        layers: [r.layer],
        norms: [norm(vector.layers[r.layer]!)],
        residualNorms: [mean(acts.get(hook)!.map((x) => norm(x)))],
        perLayer: [],
        pairs: Math.min(r.harmful.length, r.harmless.length),
        ms: Math.round(performance.now() - started),
        cached: wasCached,
      },
    };
  }

  /**
   * An ActAdd vector (one row per position of the padded pair) with the numbers of its slider:
   * its largest row's norm against the residual stream's at its layer over the probe text.
   */
  private async fromActAdd(r: ActAddRecipe): Promise<BuiltVector> {
    const key = `actadd:${JSON.stringify([r.positive, r.negative, r.layer])}`;
    const hit = this.actadd.get(key);
    if (hit) {
      const { vector, info } = await hit;
      return { vector, info: { ...info, cached: true, ms: 0 } };
    }
    return cached(this.actadd, key, async () => {
      const started = performance.now();
      const vector = await buildFromRecipe(this.model, r);
      const data = vector.layers[r.layer]!;
      const rowNorms = Array.from({ length: vector.rows }, (_, i) =>
        norm(data.subarray(i * vector.width, (i + 1) * vector.width)),
      );
      const probe = encodeInput(this.model, PROBE);
      const hook = hookName('resid_pre', r.layer);
      const residualNorms = await this.reads.alongside(() => meanNorms(this.model, probe, [hook]));
      const info: VectorInfo = {
        key,
        hook: 'resid_pre',
        layers: [r.layer],
        norms: [Math.max(...rowNorms)],
        residualNorms,
        perLayer: [],
        pairs: 1,
        ms: Math.round(performance.now() - started),
        cached: false,
      };
      return { vector, info };
    });
  }

  /**
   * An imported vector, bound to the model once its shape is checked. Its residual norm (for the
   * slider's range) is read from a short probe text, as it has no pairs of its own.
   */
  private async fromInline(v: InlineVector): Promise<BuiltVector> {
    const key = `inline:${hash(JSON.stringify(v))}`;
    const hit = this.inline.get(key);
    if (hit) {
      const { vector, info } = await hit;
      return { vector, info: { ...info, cached: true, ms: 0 } };
    }
    return cached(this.inline, key, () => this.probeInline(v, key));
  }

  private async probeInline(v: InlineVector, key: string): Promise<BuiltVector> {
    const model = this.model;
    const started = performance.now();
    const layers = inlineLayers(v);
    const vector: SteeringVector = { modelId: model.id, hook: v.hook, width: v.width, rows: 1, layers };
    checkShape(model, vector, v.name ?? 'The imported vector');
    const list = vectorLayers(vector);
    const probe = model.tokenizer ? encodeInput(model, PROBE) : [0, 1, 2, 3];
    const hooks = list.map((l) => hookName(v.hook, l));
    const norms = list.map((l) => norm(layers[l]!));
    const residualNorms = await this.reads.alongside(() => meanNorms(model, probe, hooks));
    const warnings = vectorScaleWarnings(list, norms, residualNorms);
    const info: VectorInfo = {
      key,
      hook: v.hook,
      layers: list,
      norms,
      residualNorms,
      perLayer: [],
      pairs: 0,
      ms: Math.round(performance.now() - started),
      cached: false,
      ...(warnings.length ? { warnings } : {}),
    };
    return { vector, info };
  }

  /** Reads a pair set's rows in the read slot, unless the same set is being read already: then joins it. */
  private readOnce(
    r: ContrastRecipe,
    rowsKey: string,
    onProgress?: (p: BuildProgress) => void,
  ): Promise<PairRows> {
    const running = this.reading.get(rowsKey);
    if (running) {
      if (onProgress) running.listeners.add(onProgress);
      return running.promise;
    }
    const listeners = new Set(onProgress ? [onProgress] : []);
    const progress = (p: BuildProgress) => {
      for (const l of listeners) l(p);
    };
    const promise = this.reads
      .run(async (signal) => {
        progress({ done: 0, total: 2 * r.pairs.length });
        const rows = await contrastRows(this.model, r, {
          batchSize: BATCH,
          signal,
          onProgress: (done, total) => progress({ done, total }),
        });
        return { ...rows, stats: layerStats(rows) };
      })
      .then((rows) => {
        remember(this.rows, rowsKey, rows);
        return rows;
      })
      .finally(() => {
        if (this.reading.get(rowsKey)?.promise === promise) this.reading.delete(rowsKey);
      });
    this.reading.set(rowsKey, { promise, listeners });
    return promise;
  }
}

const refusalKey = (r: RefusalRecipe) =>
  JSON.stringify([r.model, r.harmful, r.harmless, r.position, r.layer]);

/**
 * The cached value, or `make`'s. The promise is kept, so builds of the same thing that overlap
 * (the lens and a generation resolving a new plane) share one; a failed one is forgotten.
 */
function cached<V>(map: Map<string, Promise<V>>, key: string, make: () => Promise<V>): Promise<V> {
  const hit = map.get(key);
  if (hit) return hit;
  const p = make();
  remember(map, key, p);
  p.catch(() => {
    if (map.get(key) === p) map.delete(key);
  });
  return p;
}

/** Keeps the newest KEEP entries (re-setting a key makes it the newest). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > KEEP) map.delete(map.keys().next().value!);
}
