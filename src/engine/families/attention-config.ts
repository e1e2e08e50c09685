/**
 * config.json fields that the rotary families (Llama, Qwen2, Mistral, Gemma, Phi-3) read the same
 * way: head counts, the rotary layout, rope_scaling and sliding windows. Each reader names the
 * field and, for something the engine cannot run, what it is.
 */
import { UnsupportedModelError } from '../errors';
import type { RopeScaling, RotaryLayout, RotarySpec, SlidingWindow } from '../spec';
import { CONFIG_FILE, exactDiv, int, type Json, optInt, optPosNum, optStr, refuse } from './config';

/** num_attention_heads, num_key_value_heads (grouped-query attention) and head_dim. */
export function headCounts(c: Json, dModel: number): { nHeads: number; nKvHeads: number; dHead: number } {
  const nHeads = int(c, 'num_attention_heads');
  const nKvHeads = optInt(c, 'num_key_value_heads', nHeads);
  if (nHeads % nKvHeads !== 0) {
    throw new UnsupportedModelError(
      `${CONFIG_FILE}: "num_attention_heads" (${nHeads}) is not a multiple of "num_key_value_heads" (${nKvHeads}).`,
    );
  }
  // head_dim may be independent of hidden_size / heads (Gemma: 256 with hidden_size 2304 and 8 heads).
  const dHead = optInt(c, 'head_dim', 0) || exactDiv(dModel, 'hidden_size', nHeads, 'num_attention_heads');
  return { nHeads, nKvHeads, dHead };
}

/** rope_theta, the layout and rope_scaling, rotating the first `dim` features of each head. */
export function rotary(c: Json, dim: number): RotarySpec {
  const scaling = ropeScaling(c);
  return {
    theta: optPosNum(c, 'rope_theta', 10000),
    dim,
    layout: rotaryLayout(c),
    ...(scaling ? { scaling } : {}),
  };
}

function rotaryLayout(c: Json): RotaryLayout {
  // Not a Hugging Face field: fixtures written by our PyTorch reference in Meta's original layout
  // say so here. (SmolLM2's `rope_interleaved` is ignored because transformers ignores it too.)
  const layout = optStr(c, 'rotary_layout', 'half');
  if (layout !== 'half' && layout !== 'interleaved') {
    refuse('rotary_layout', layout, 'use "half" (Hugging Face) or "interleaved" (Meta, llama2.c).');
  }
  return layout;
}

const IMPLEMENTED_SCALING = ['llama3', 'linear'];

/**
 * rope_scaling (null, or an object whose `rope_type`, or older `type`, says how). `llama3` and
 * `linear` are computed; `dynamic` (NTK scaling that changes with the sequence length, so a KV
 * cache would mix two rotations), `yarn`, `longrope`/`su` (Phi-3's long-context variants) are
 * refused with their name.
 */
export function ropeScaling(c: Json): RopeScaling | undefined {
  const raw = c.rope_scaling;
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw))
    refuse('rope_scaling', raw, 'it must be null or an object.');
  const s = raw as Json;
  const type = s.rope_type ?? s.type;
  if (type === 'default') return undefined;
  if (typeof type !== 'string' || !IMPLEMENTED_SCALING.includes(type)) {
    refuse(
      'rope_scaling',
      raw,
      `rotary scaling of type ${JSON.stringify(type)} is not implemented; supported types: ${IMPLEMENTED_SCALING.join(', ')} (or null).`,
    );
  }
  const factor = optPosNum(s, 'factor', Number.NaN, 'rope_scaling');
  if (Number.isNaN(factor)) refuse('rope_scaling', raw, `type "${type}" needs a positive "factor".`);
  if (type === 'linear') return { type, factor };
  const need = (key: string) => {
    const v = optPosNum(s, key, Number.NaN, 'rope_scaling');
    if (Number.isNaN(v)) refuse('rope_scaling', raw, `type "llama3" needs a positive "${key}".`);
    return v;
  };
  const lowFreqFactor = need('low_freq_factor');
  const highFreqFactor = need('high_freq_factor');
  // The band between them is interpolated over their difference (rotary.ts): equal factors
  // divide by zero and make the rotary angles NaN.
  if (!(highFreqFactor > lowFreqFactor))
    refuse('rope_scaling', raw, '"high_freq_factor" must be larger than "low_freq_factor".');
  return {
    type: 'llama3',
    factor,
    lowFreqFactor,
    highFreqFactor,
    originalContext: need('original_max_position_embeddings'),
  };
}

/**
 * The layers a sliding window applies to: as `layer_types` lists them ("sliding_attention" |
 * "full_attention", newer configs of Gemma 2 and Qwen2), else the family's own rule.
 */
export function windowLayers(c: Json, nLayers: number, byDefault: (layer: number) => boolean): number[] {
  const types = c.layer_types;
  if (types === undefined || types === null) return range(nLayers).filter(byDefault);
  if (!Array.isArray(types) || types.length !== nLayers)
    refuse('layer_types', types, `it must list one attention type for each of the ${nLayers} layers.`);
  return range(nLayers).filter((l) => types[l] === 'sliding_attention');
}

/** `sliding_window` applied to `layers`, or undefined when the config has none (null). */
export function slidingWindow(c: Json, layers: readonly number[]): SlidingWindow | undefined {
  if (c.sliding_window === null || c.sliding_window === undefined) return undefined;
  return { size: int(c, 'sliding_window'), layers };
}

/** 0, 1, ..., n − 1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
