/**
 * "Export … model": one button that downloads the current model with an edit as a zipped Hugging
 * Face folder (actions/export-model.ts), and what became of the last such export of that kind.
 */
import type { ModelEdit } from '../../worker';
import { exportEditedModel } from '../actions/export-model';
import { useStore } from '../store';

export function ModelExport(props: {
  readonly label: string;
  readonly kind: ModelEdit['kind'];
  /** The edit, or undefined while there is nothing to export (the button is then disabled). */
  readonly edit: ModelEdit | undefined;
  readonly title: string;
}) {
  const { edit } = props;
  const state = useStore((s) => s.modelExport);
  const hasModel = useStore((s) => s.current !== undefined);
  const mine = state?.kind === props.kind ? state : undefined;
  const running = state?.status === 'running';
  return (
    <div className="model-export" data-testid={`model-export-${props.kind}`}>
      <button
        type="button"
        disabled={!hasModel || !edit || running}
        title={props.title}
        onClick={() => edit && void exportEditedModel(edit)}
      >
        {mine?.status === 'running' ? 'Exporting…' : props.label}
      </button>
      {mine?.status === 'done' && (
        <p className="muted" role="status" data-testid="model-export-note">
          {mine.note}
        </p>
      )}
      {mine?.status === 'error' && (
        <p className="error-text" role="alert" data-testid="model-export-error">
          {mine.note}
        </p>
      )}
    </div>
  );
}
