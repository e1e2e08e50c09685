/**
 * Steering vectors in the worker, built from recipes and cached so that an edit rebuilds only
 * what it changed. Contrast prompts are read at every layer in one pass and the rows are kept
 * per (model, pairs, hook, position, chat): choosing another layer or method then costs a host
 * reduction, not a forward pass, and the same pass gives the layer strip its per-layer scores.
 * Changing the coefficient touches none of this. Imported (inline) vectors, the planes of the
 * rotate operator and the unit rankings of AUSteer are cached here too.
 */
import { hookName, type Model, RudderError } from '../engine';
import { type InlineVector, inlineLayers, type VectorSource } from '../experiment';
import {
  buildPlane,
  buildUnits,
  type ContrastRecipe,
  type ContrastRows,
  contrastRows,
  encodeInput,
  type LayerStat,
  layerStats,
  norm,
  type PlaneRecipe,
  type SteeringPlane,
  type SteeringVector,
  type UnitSelection,
  type UnitsRecipe,
  type VectorRecipe,
  vectorFromRows,
  vectorLayers,
} from '../interp';
import type { BuildProgress, VectorInfo } from './api';
import { checkShape, hash, meanNorms, PROBE } from './inline-vectors';
import { refusalBuilt } from './refusal-vector';

/** One pair set's rows at every layer, and each layer's scores for the strip. */
interface PairRows extends ContrastRows {
  readonly stats: readonly LayerStat[];
}

/** Prompts per forward pass; also the step at which a stale build notices it is stale. */
const BATCH = 16;
/** Pair sets kept (a person flips between a few presets and edits). */
const KEEP = 6;

export class VectorStore {
  private readonly rows = new Map<string, PairRows>();
  private readonly vectors = new Map<string, SteeringVector>();
  private readonly inline = new Map<string, { vector: SteeringVector; info: VectorInfo }>();
  private readonly planes = new Map<string, SteeringPlane>();
  private readonly units = new Map<string, UnitSelection>();
  /** Pair sets being read now, by rows key. */
  private readonly reading = new Map<
    string,
    { promise: Promise<PairRows>; listeners: Set<(p: BuildProgress) => void> }
  >();
  /** The read in progress: a newer read of other pairs aborts it. */
  private readCtl: AbortController | undefined;

  /** Forgets everything (a new model was loaded). */
  clear(): void {
    this.rows.clear();
    this.vectors.clear();
    this.inline.clear();
    this.planes.clear();
    this.units.clear();
    this.reading.clear();
    this.readCtl?.abort(); // a read of the old model's activations is stale
  }

  /** The plane of a recipe (rotate), built once per pair set. */
  async plane(model: Model, r: PlaneRecipe): Promise<SteeringPlane> {
    const key = JSON.stringify([model.id, r.positive, r.negative, r.discriminative]);
    let p = this.planes.get(key);
    if (!p) {
      p = await buildPlane(model, {
        positive: r.positive,
        negative: r.negative,
        discriminative: r.discriminative,
      });
      remember(this.planes, key, p);
    }
    return p;
  }

  /** The ranked units of a recipe (AUSteer), built once per pair set and point. */
  async unitSelection(model: Model, r: UnitsRecipe): Promise<UnitSelection> {
    const key = JSON.stringify([model.id, r.pairs, r.point, r.position, r.k]);
    let u = this.units.get(key);
    if (!u) {
      u = await buildUnits(model, { pairs: r.pairs, point: r.point, position: r.position, k: r.k });
      remember(this.units, key, u);
    }
    return u;
  }

  /**
   * Builds (or finds) the vector of a recipe. A newer build that must read activations makes an
   * older one still reading stop at its next batch with CancelledError; one that finds its rows
   * cached (or being read already) takes no slot, so resolving a known vector (a lens, a steered
   * run) never cancels a build that is still reading.
   */
  async build(
    model: Model,
    recipe: VectorSource,
    onProgress?: (p: BuildProgress) => void,
  ): Promise<{ vector: SteeringVector; info: VectorInfo }> {
    if (recipe.from === 'inline') return await this.fromInline(model, recipe);
    // The refusal view's direction (METHODS.md §5), built and cached by its own module.
    if (recipe.from === 'refusal') return refusalBuilt(model, recipe);
    const started = performance.now();
    const r = contrastOnly(recipe);
    const key = vectorKey(model, r);
    const rowsKey = pairsKey(model, r);
    let cached = this.vectors.has(key);
    let rows = this.rows.get(rowsKey);
    if (!rows) {
      cached = false;
      rows = await this.readOnce(model, r, rowsKey, onProgress);
    }
    let vector = this.vectors.get(key);
    if (!vector) {
      vector = vectorFromRows(model, r, rows);
      remember(this.vectors, key, vector);
    }
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
        cached,
      },
    };
  }

  /**
   * An imported vector, bound to the current model once its shape is checked. Its residual norm
   * (for the slider's range) is read from a short probe text, as it has no pairs of its own.
   */
  private async fromInline(
    model: Model,
    v: InlineVector,
  ): Promise<{ vector: SteeringVector; info: VectorInfo }> {
    const key = `inline:${hash(JSON.stringify(v))}`;
    const hit = this.inline.get(key);
    if (hit) return { vector: hit.vector, info: { ...hit.info, cached: true, ms: 0 } };
    this.readCtl?.abort(); // it reads a probe: a pending contrast build for the old vector is now stale
    const started = performance.now();
    const layers = inlineLayers(v);
    const vector: SteeringVector = { modelId: model.id, hook: v.hook, width: v.width, rows: 1, layers };
    checkShape(model, vector, v.name ?? 'The imported vector');
    const list = vectorLayers(vector);
    const probe = model.tokenizer ? encodeInput(model, PROBE) : [0, 1, 2, 3];
    const hooks = list.map((l) => hookName(v.hook, l));
    const info: VectorInfo = {
      key,
      hook: v.hook,
      layers: list,
      norms: list.map((l) => norm(layers[l]!)),
      residualNorms: await meanNorms(model, probe, hooks),
      perLayer: [],
      pairs: 0,
      ms: Math.round(performance.now() - started),
      cached: false,
    };
    remember(this.inline, key, { vector, info });
    return { vector, info };
  }

  /**
   * Reads a pair set's rows, taking the slot, unless the same set is being read already: then
   * this build waits for that read (and shares its cancellation) instead of cancelling it.
   */
  private readOnce(
    model: Model,
    r: ContrastRecipe,
    rowsKey: string,
    onProgress?: (p: BuildProgress) => void,
  ): Promise<PairRows> {
    const running = this.reading.get(rowsKey);
    if (running) {
      if (onProgress) running.listeners.add(onProgress);
      return running.promise;
    }
    this.readCtl?.abort();
    const ctl = new AbortController();
    this.readCtl = ctl;
    const listeners = new Set(onProgress ? [onProgress] : []);
    const promise = this.read(model, r, ctl.signal, (p) => {
      for (const l of listeners) l(p);
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

  private async read(
    model: Model,
    r: ContrastRecipe,
    signal: AbortSignal,
    onProgress?: (p: BuildProgress) => void,
  ): Promise<PairRows> {
    onProgress?.({ done: 0, total: 2 * r.pairs.length });
    const rows = await contrastRows(model, r, {
      batchSize: BATCH,
      signal,
      onProgress: (done, total) => onProgress?.({ done, total }),
    });
    return { ...rows, stats: layerStats(rows) };
  }
}

function contrastOnly(recipe: VectorRecipe): ContrastRecipe {
  if (recipe.from !== 'contrast')
    throw new RudderError(
      'unsupported-recipe',
      `Vectors from “${recipe.from}” recipes cannot be rebuilt in the page yet; only contrast pairs can.`,
    );
  return recipe;
}

function vectorKey(model: Model, r: ContrastRecipe): string {
  return JSON.stringify([model.id, r.pairs, r.hook, r.position, r.chat ?? false, r.layers, r.method]);
}

function pairsKey(model: Model, r: ContrastRecipe): string {
  return JSON.stringify([model.id, r.pairs, r.hook, r.position, r.chat ?? false]);
}

export function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > KEEP) map.delete(map.keys().next().value!);
}
