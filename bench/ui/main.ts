/**
 * `npm run bench:ui`: the playground's speed in Chromium on WebAssembly. Each module below
 * registers its measurements when imported (one import line per module); they run in this order.
 * `npm run bench:ui -- steer` runs one module; `real` (the published model shapes, minutes) and `soak`
 * (worker memory over many interactions, `--interactions=N`) run only when named; `--build` rebuilds dist/ first;
 * `--threads=N` runs the model worker on N WebAssembly threads (`?threads=N`; compare 1 and 2).
 */
import { runModules } from './harness';
import './steer';
import './lens';
import './heads';
import './refusal';
import './real';
import './soak';

await runModules();
