/**
 * Steering vectors in the worker, built from recipes and cached so that an edit rebuilds only
 * what it changed. Contrast prompts are read at every layer in one pass and the rows are kept
 * per (model, pairs, hook, position, chat): choosing another layer or method then costs a host
 * reduction, not a forward pass, and the same pass gives the layer strip its per-layer scores.
 * Changing the coefficient touches none of this. Imported (inline) vectors, the planes of the
 * rotate operator and the unit rankings of AUSteer are cached here too.
 */
import {
  CancelledError,
  type HookName,
  hookName,
  type Model,
  RudderError,
  yieldToEventLoop,
} from '../engine';
import { type InlineVector, inlineLayers, type VectorSource, vectorScaleWarnings } from '../experiment';
import {
  aggregate,
  buildPlane,
  buildUnits,
  collectActivations,
  encodeInput,
  type PlaneRecipe,
  type SteeringPlane,
  type SteeringVector,
  type UnitSelection,
  type UnitsRecipe,
  type VectorRecipe,
  vectorLayers,
} from '../interp';
import type { BuildProgress, LayerStat, VectorInfo } from './api';
import { checkShape, hash, meanNorms, PROBE } from './inline-vectors';
import { refusalBuilt } from './refusal-vector';

type ContrastRecipe = Extract<VectorRecipe, { from: 'contrast' }>;

/** Activations of one pair set: per layer, the positive rows then the negative rows. */
interface PairRows {
  readonly n: number;
  readonly byLayer: readonly Float32Array[][];
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
  private generation = 0;

  /** Forgets everything (a new model was loaded). */
  clear(): void {
    this.rows.clear();
    this.vectors.clear();
    this.inline.clear();
    this.planes.clear();
    this.units.clear();
    this.reading.clear();
    ++this.generation; // a read of the old model's activations is stale
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
      vector = vectorFrom(model, r, rows);
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
    ++this.generation; // it reads a probe: a pending contrast build for the old vector is now stale
    const started = performance.now();
    const layers = inlineLayers(v);
    const vector: SteeringVector = { modelId: model.id, hook: v.hook, width: v.width, rows: 1, layers };
    checkShape(model, vector, v.name ?? 'The imported vector');
    const list = vectorLayers(vector);
    const probe = model.tokenizer ? encodeInput(model, PROBE) : [0, 1, 2, 3];
    const hooks = list.map((l) => hookName(v.hook, l));
    const norms = list.map((l) => norm(layers[l]!));
    const residualNorms = await meanNorms(model, probe, hooks);
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
    const ticket = ++this.generation;
    const listeners = new Set(onProgress ? [onProgress] : []);
    const promise = this.read(
      model,
      r,
      () => ticket !== this.generation,
      (p) => {
        for (const l of listeners) l(p);
      },
    )
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
    stale: () => boolean,
    onProgress?: (p: BuildProgress) => void,
  ): Promise<PairRows> {
    const nLayers = model.spec.nLayers;
    const enc = { chat: r.chat ?? false };
    const prompts = [
      ...r.pairs.map((p) => encodeInput(model, p.positive, enc)),
      ...r.pairs.map((p) => encodeInput(model, p.negative, enc)),
    ];
    if (r.position.kind === 'all')
      throw new RudderError(
        'bad-position',
        'A contrast vector reads one position per prompt, not all of them.',
      );
    const hooks: HookName[] = Array.from({ length: nLayers }, (_, l) => hookName(r.hook, l));
    const byLayer: Float32Array[][] = hooks.map(() => []);
    onProgress?.({ done: 0, total: prompts.length });
    for (let start = 0; start < prompts.length; start += BATCH) {
      // Let a newer request (a newer build, a cancel) arrive between batches.
      await yieldToEventLoop();
      if (stale()) throw new CancelledError();
      const acts = await collectActivations(model, prompts.slice(start, start + BATCH), hooks, r.position, {
        batchSize: BATCH,
      });
      hooks.forEach((h, l) => byLayer[l]!.push(...acts.get(h)!));
      onProgress?.({ done: Math.min(start + BATCH, prompts.length), total: prompts.length });
    }
    const n = r.pairs.length;
    return { n, byLayer, stats: byLayer.map((rows, layer) => layerStat(layer, rows, n)) };
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

function vectorFrom(model: Model, r: ContrastRecipe, rows: PairRows): SteeringVector {
  const layers: Record<number, Float32Array> = {};
  for (const l of r.layers) {
    const all = rows.byLayer[l];
    if (!all)
      throw new RudderError(
        'bad-layer',
        `Layer ${l} does not exist (the model has 0..${model.spec.nLayers - 1}).`,
      );
    layers[l] = aggregate(r.method, all.slice(0, rows.n), all.slice(rows.n));
  }
  const width = layers[r.layers[0]!]!.length;
  return { modelId: model.id, hook: r.hook, width, rows: 1, layers, recipe: { ...r, model: model.id } };
}

/**
 * How well one layer separates the pairs: the mean cosine between each pair's difference and
 * the mean difference of the other pairs (leave-one-out, so one pair cannot agree with itself);
 * 1 when every pair points the same way, about 0 for noise. Null with a single pair.
 */
function layerStat(layer: number, rows: readonly Float32Array[], n: number): LayerStat {
  const width = rows[0]?.length ?? 0;
  const diffs = Array.from({ length: n }, (_, i) => sub(rows[i]!, rows[n + i]!));
  const total = new Float32Array(width);
  for (const d of diffs) for (let j = 0; j < width; j++) total[j]! += d[j]!;
  let cos = 0;
  for (const d of diffs) {
    const rest = new Float32Array(width);
    for (let j = 0; j < width; j++) rest[j] = total[j]! - d[j]!;
    const den = norm(d) * norm(rest);
    cos += den > 0 ? dot(d, rest) / den : 0;
  }
  const residualNorm = rows.reduce((s, r) => s + norm(r), 0) / Math.max(1, rows.length);
  return {
    layer,
    separation: n > 1 ? cos / n : null,
    residualNorm,
    meanDiffNorm: norm(total) / Math.max(1, n),
  };
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

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));
function sub(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}
