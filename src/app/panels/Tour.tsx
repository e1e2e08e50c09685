/**
 * The one-screen tour: five short lines that name what the page shows, in the order it shows
 * them. It sits in the page's flow under the top bar (never over it), so on a phone it pushes the
 * controls down rather than covering them. "Got it" or Escape closes it for good (tour.ts); the
 * top bar's Tour button opens it again.
 */
import { useEffect } from 'react';
import { useStore } from '../store';
import { closeTour, openTour } from '../tour';
import './Tour.css';

const STEPS: readonly { readonly what: string; readonly text: string }[] = [
  { what: 'Prompt', text: 'the text the model continues (here, the start of a story).' },
  {
    what: 'Steering pairs',
    text: 'happy and sad sentences; the difference of their activations is the steering vector.',
  },
  {
    what: 'Strength',
    text: 'how much of the vector is added while the model writes: right is happier, left of zero sadder.',
  },
  {
    what: 'Baseline and Steered',
    text: 'the same model and random seed, without and with the vector: compare the two stories.',
  },
  {
    what: 'Views below',
    text: 'the logit lens, head gates, refusal circuit and methods show what happens inside.',
  },
];

export function Tour() {
  const open = useStore((s) => s.tourOpen);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') closeTour();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open]);
  if (!open) return null;
  return (
    <section className="tour" aria-labelledby="tour-heading" data-testid="tour">
      <h2 id="tour-heading">What you are looking at</h2>
      <ol>
        {STEPS.map((s) => (
          <li key={s.what}>
            <strong>{s.what}:</strong> {s.text}
          </li>
        ))}
      </ol>
      <button type="button" onClick={closeTour}>
        Got it
      </button>
    </section>
  );
}

/** The top bar's way back to the tour. */
export function TourButton() {
  return (
    <button type="button" className="tour-button" onClick={openTour} data-testid="tour-button">
      Tour
    </button>
  );
}
