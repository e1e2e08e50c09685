/**
 * zod as the app uses it: jitless, configured before any schema is built (a module that imports
 * this one is evaluated after it). zod otherwise probes `new Function("")` to compile fast
 * parsers, and the built app's Content-Security-Policy forbids eval: the probe would be refused
 * and reported as a violation on every page load. Import `z` from here, never from 'zod'.
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
