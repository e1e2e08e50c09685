/** The question a link's model raises before anything is downloaded (actions/model-ask.ts). */
import { useId } from 'react';
import { formatBytes } from '../../engine/bytes';
import { answerModelAsk } from '../actions/model-ask';
import { formatCount } from '../format';
import { choiceLabel, useStore } from '../store';

export function ModelAsk() {
  const ask = useStore((s) => s.modelAsk);
  const current = useStore((s) => s.currentChoice);
  const id = useId();
  if (!ask) return null;
  const label = choiceLabel(ask.choice);
  const { cost, costProblem } = ask;
  return (
    <div className="note banner" role="alertdialog" aria-labelledby={`${id}-h`} data-testid="model-ask">
      <p id={`${id}-h`}>
        This experiment names the model <strong>{label}</strong>
        {ask.choice.precision ? ' with 16-bit weights' : ''}, which is not loaded. Load it?
      </p>
      <p data-testid="model-ask-size">
        {cost
          ? `Download: ${formatBytes(cost.downloadBytes)} (${formatCount(cost.parameters)} parameters; about ${formatBytes(cost.memoryBytes)} in memory once loaded${cost.halfMatrices ? ', its matrices in 16 bits' : ''}).`
          : costProblem
            ? `Its size could not be read: ${costProblem}`
            : 'Reading its size…'}
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => answerModelAsk(true)}>
          Load {label}
        </button>
        <button type="button" onClick={() => answerModelAsk(false)}>
          {current ? `Keep ${choiceLabel(current)}` : 'Use the default model'}
        </button>
      </div>
    </div>
  );
}
