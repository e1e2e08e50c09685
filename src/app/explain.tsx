/**
 * The page explains itself: every panel and view has a folded "What am I looking at?" with a few
 * plain sentences, the jargon it uses defined there (<dfn>), and a link to the method in the
 * methods page shipped with the app (docs/METHODS.md rendered as methods.html). The texts live
 * together so that they read as one voice and are reviewed in one place.
 */
import type { ReactNode } from 'react';

/** A link to a numbered section of the methods page, in a new tab (the experiment stays). */
export function MethodLink({ n, children }: { readonly n: number; readonly children: ReactNode }) {
  return (
    <a href={`methods.html#method-${n}`} target="_blank" rel="noopener" data-testid="method-link">
      {children}
    </a>
  );
}

const TEXTS = {
  prompt: (
    <p>
      The text the model continues. <b>Max tokens</b> is how many tokens (word pieces) it adds;{' '}
      <b>Temperature</b> and <b>Top-p</b> set how freely it picks among likely tokens (0 always takes the
      likeliest); the <b>Seed</b> makes a random run repeatable, so the baseline and the steered text differ
      only by the steering. <b>Chat template</b> wraps the prompt as a user’s message, which a chat model then
      answers.
    </p>
  ),
  share: (
    <p>
      The whole experiment (model, prompt, pairs, strength, views) is kept in the page’s address.{' '}
      <b>Copy link</b> gives it to someone else, who sees the same thing with no server involved;{' '}
      <b>Export</b> and <b>Import</b> save it as a file and open it again.
    </p>
  ),
  model: (
    <p>
      The language model running in this tab, on this computer: nothing is sent anywhere. The shipped
      organisms are tiny models trained for these demos; you can also load one from the Hugging Face Hub or a
      folder. The <dfn>backend</dfn> is how it runs: WebGPU on the graphics card, or WebAssembly on the
      processor. <dfn>16-bit weights</dfn> store each of the model&apos;s numbers in half the space (bfloat16,
      each within about 0.4%), which lets larger models fit and run faster, at the cost of results that differ
      slightly from the published model&apos;s.
    </p>
  ),
  steering: (
    <p>
      <dfn>Steering</dfn> changes what a model writes by nudging its activations (the numbers inside it) while
      it runs, with no retraining. <dfn>Contrast pairs</dfn> are two texts that differ only in the behaviour
      you want, such as a happy and a sad sentence. Rudder reads the activations of both at a{' '}
      <dfn>hook point</dfn> inside a layer; their average difference is the <dfn>steering vector</dfn>. The{' '}
      <dfn>operator</dfn> says how it is applied (added, removed, rotated) and <b>Strength</b> how much:
      positive pushes towards the first text of each pair, negative towards the second. A layer’s bar shows
      how consistently the pairs differ there. <MethodLink n={2}>How the vector is built</MethodLink>.
    </p>
  ),
  baseline: (
    <p>
      What the model writes on its own for the prompt, with the settings under it: the reference the steered
      text is compared with.
    </p>
  ),
  steered: (
    <p>
      The same prompt, settings and seed with the steering applied at the chosen layers and strength, so any
      difference from the baseline comes from the steering.
    </p>
  ),
  lens: (
    <p>
      The <dfn>logit lens</dfn> reads the model’s guess for the next token at every layer, not only the last:
      a cell is the token the model would predict at that position (column) if it stopped after that layer
      (row), coloured by how sure it is. <b>Steered</b> shows the steered run, <b>Difference</b> what the
      steering changed. <dfn>KL</dfn> (Kullback–Leibler divergence, in nats) says how far a layer’s guess is
      from the final one: 0 is the same prediction.{' '}
      <MethodLink n={12}>The logit lens and the tuned lens</MethodLink>.
    </p>
  ),
  heads: (
    <p>
      A layer’s attention is split into <dfn>heads</dfn>, each choosing which earlier tokens to read from.
      Each square is one head, coloured by the measure you pick (how much it pushes the chosen token, how much
      the refusal score depends on it, how spread its attention is); hovering shows its attention pattern.{' '}
      <dfn>Gating</dfn> a head (click it) scales what it writes in the steered run: 0 switches it off, so you
      see what a behaviour needs. <MethodLink n={9}>Head circuits</MethodLink>.
    </p>
  ),
  methods: (
    <p>
      Two measures of each layer on the prompt, without steering. <dfn>Layer activity</dfn> is how much a
      block changes the running sum it reads and writes (the residual stream): a layer below <b>τ</b> barely
      changes it, so it is called idle. <dfn>Sparsity</dfn> is the share of a layer’s MLP activations that are
      near zero (below <b>ε</b>): a sparse layer uses few of its units on this text.{' '}
      <MethodLink n={14}>Layer activity</MethodLink>, <MethodLink n={15}>activation sparsity</MethodLink>.
    </p>
  ),
  fv: (
    <p>
      A model shown a few examples of a task (<i>walk -&gt; walked, jump -&gt; jumped, …</i>) does it on the
      next word. A few attention heads carry “which task” to the last token. Patching one head’s mean output
      from the examples into the bare query (<i>sing -&gt;</i>) and measuring how much the right answer gains
      is its <dfn>average indirect effect</dfn> (AIE). The <dfn>function vector</dfn> (FV) is the sum of the
      top k heads’ mean outputs; added at one layer to the bare query, it can make the task happen with no
      examples. Its <dfn>readout</dfn> is the logit lens of the FV itself: the tokens it points at directly.{' '}
      <MethodLink n={13}>Function vectors</MethodLink>.
    </p>
  ),
  sae: (
    <p>
      A <dfn>sparse autoencoder</dfn> (SAE) rewrites each activation of one layer as a sum of a few{' '}
      <dfn>features</dfn> out of many, trained here in the page on the model’s own texts. Each feature is a
      direction; the texts where it is strongest (its token highlighted) hint at what it stands for.{' '}
      <dfn>Explained variance</dfn> says how much of the activation the features rebuild (1 is all),{' '}
      <dfn>L0</dfn> how many features are on per token, and <dfn>dead</dfn> features never turn on.{' '}
      <b>Steer with this feature</b> adds its direction as the steering vector.{' '}
      <MethodLink n={17}>Sparse autoencoders</MethodLink>.
    </p>
  ),
  refusal: (
    <p>
      Chat models refuse harmful requests, and much of that runs through one direction in their activations,
      the <dfn>refusal direction</dfn>: the mean activation on harmful requests minus that on harmless ones.
      Rudder tries one candidate per layer and position and scores each. <dfn>Bypass</dfn>: how strongly
      harmful requests are still refused with the direction removed (lower is better). <dfn>Induce</dfn>: how
      strongly harmless requests are refused with it added (kept only above 0). <dfn>KL</dfn>: how much
      removing it changes the answers to harmless requests (kept only when small). Removing (ablating) the
      chosen direction should make the model answer; adding it should make it refuse.{' '}
      <MethodLink n={5}>The refusal direction, exactly</MethodLink>.
    </p>
  ),
} as const;

export type ExplainerId = keyof typeof TEXTS;

/** The folded explanation of one panel or view. */
export function Explainer({ id }: { readonly id: ExplainerId }) {
  return (
    <details className="explainer" data-testid="explainer" data-explains={id}>
      <summary>What am I looking at?</summary>
      {TEXTS[id]}
    </details>
  );
}
