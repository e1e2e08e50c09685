/**
 * Bounds on every number, text and list an Experiment may hold, so that a hostile or damaged link
 * or file cannot make the page do unbounded work or steer with a value no person would choose
 * (a coefficient of 1e308 steers into NaN; a position of 1e15 has no token). Each sits well past
 * what the page's own controls produce. The model's own shape (its depth, heads, vocabulary) is
 * checked where the experiment meets the model.
 */
import { MAX_LAYERS, MAX_VOCAB } from '../engine';

export const LIMITS = {
  promptChars: 20_000,
  pairTextChars: 4_000,
  pairs: 512,
  maxTokens: 4096,
  /** Layer numbers run 0..layer (config.json allows at most 1024 layers). */
  layer: MAX_LAYERS,
  /** Heads per layer run 0..head-1. */
  head: 1024,
  /** Token ids run 0..tokenId. */
  tokenId: MAX_VOCAB - 1,
  /** Token ids in one prompt given as ids. */
  promptTokens: 8192,
  /** |index| of a token position (the context bounds of real models are far below). */
  position: 65_536,
  /** |c| of an added vector (the slider's own range ends well below). */
  coefficient: 1e6,
  /** |angle| of a rotation, in degrees (any rotation is one within ±180°). */
  angle: 180,
  /** |α| of the units operator, and how many ranked units it may steer. */
  alpha: 1000,
  unitsK: 65_536,
  /** Names of vectors, planes and unit selections. */
  nameChars: 100,
  /** Named vectors or planes an experiment holds besides the steering loop's own. */
  named: 64,
  /** Model ids and hints a recipe carries (shown, never fetched). */
  modelChars: 500,
} as const;
