/**
 * Preset pair sets: read from the organism's shipped datasets (or built in), then editable. A
 * preset sets everything its demo needs in one edit: the pairs, where they are read, and whether
 * the prompt goes through the chat template (refusal is a chat behaviour: without the template
 * the organism never refuses). Undo restores what it replaced.
 */
import { PRESETS, type PresetInfo, presetPairs, type Steering, type TextPair } from '../../experiment';
import { MODELS_BASE } from '../shipped';
import { useStore } from '../store';
import { edit } from './experiment';

const { getState, setState } = useStore;

/** The organism whose datasets to read: the loaded one if shipped, else the default organism. */
function organism(): string {
  const c = getState().currentChoice;
  return c?.kind === 'shipped' ? c.name : 'organism-llama';
}

/**
 * A preset's pairs for an organism: its dataset files fetched from beside the model. Throws with
 * the file and status when a file is not there.
 */
export async function fetchPresetPairs(preset: PresetInfo, name: string): Promise<TextPair[]> {
  const files = await Promise.all(
    preset.files.map(async (f) => {
      const res = await fetch(`${MODELS_BASE}${name}/datasets/${f}`);
      if (!res.ok) throw new Error(`models/${name}/datasets/${f} answered ${res.status}`);
      return res.json();
    }),
  );
  return presetPairs(preset.id, files);
}

export async function applyPreset(id: PresetInfo['id']): Promise<void> {
  const preset = PRESETS.find((p) => p.id === id);
  if (!preset) return;
  let pairs: TextPair[];
  try {
    pairs = await fetchPresetPairs(preset, organism());
  } catch (e) {
    setState({
      shareNote: `The ${preset.label.toLowerCase()} pairs ship with the model organisms, which are not in this build (${(e as Error).message}). Paste your own pairs.`,
    });
    return;
  }
  if (pairs.length === 0) {
    setState({ shareNote: `The ${preset.label.toLowerCase()} dataset has no usable pairs.` });
    return;
  }
  // Where the preset was measured on this organism, its layer and default strength, in norm units.
  const tuning = preset.tuned?.[organism()];
  const patch: Partial<Steering> = {
    pairs,
    preset: id,
    ...preset.settings,
    ...(tuning ? { unit: 'norm', layers: [...tuning.layers], coefficient: tuning.strength } : {}),
  };
  // The prompt follows the pairs into (or out of) the chat template, where the model has one.
  const chat = (preset.settings.chat ?? false) && (getState().current?.hasChatTemplate ?? false);
  // What the preset overwrites, as it was: one Undo puts it back (typed pairs included).
  const before = getState().experiment;
  const steering = Object.fromEntries(
    Object.keys(patch).map((k) => [k, before.steering[k as keyof Steering]]),
  );
  applyPatch(patch, chat);
  setState({ presetUndo: { label: preset.label, previous: { steering, chat: before.prompt.chat } } });
}

/** Puts back what the last preset changed. */
export function undoPreset(): void {
  const undo = getState().presetUndo;
  if (!undo) return;
  setState({ presetUndo: undefined });
  applyPatch(undo.previous.steering, undo.previous.chat);
}

/** One edit, so the experiment changes (and generates) once. */
function applyPatch(steering: Partial<Steering>, chat: boolean): void {
  edit((e) => ({ ...e, steering: { ...e.steering, ...steering }, prompt: { ...e.prompt, chat } }));
}
