/**
 * An edit leaves the page as a model: the worker writes the edited model's Hugging Face folder
 * (weights, config, tokenizer, a README saying what was edited) and the page hands it over as one
 * store-only zip. The model on the page is not changed.
 */
import type { ModelEdit } from '../../worker';
import { download } from '../charts/export';
import { useStore } from '../store';
import { modelWorker } from '../worker';
import { zipStore } from '../zip';
import { errorOf } from './job';

const { getState, setState } = useStore;

export async function exportEditedModel(edit: ModelEdit): Promise<void> {
  const { current, experiment } = getState();
  if (!current) return;
  setState({ modelExport: { kind: edit.kind, status: 'running' } });
  try {
    const out = await modelWorker().exportModel({ experiment, edit });
    const zip = zipStore(out.files.map((f) => ({ name: `${out.name}/${f.name}`, data: f.data })));
    download(new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), `${out.name}.zip`);
    setState({
      modelExport: { kind: edit.kind, status: 'done', note: `Downloaded ${out.name}.zip: ${out.note}` },
    });
  } catch (e) {
    setState({ modelExport: { kind: edit.kind, status: 'error', note: errorOf(e).message } });
  }
}
