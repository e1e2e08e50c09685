/**
 * Node 20's V8 keeps WebAssembly relaxed SIMD behind a flag; Node 21 and later have it on, as
 * Chromium does. The engine's kernels use it for fused multiply-adds (native.ts picks that build
 * where it validates), so with it the CLI computes what the page computes, bit for bit on one
 * machine (`rudder replay` of a link made in the page). Every Node entry point imports this first:
 * the flag must be set before the engine's modules load.
 */
import { setFlagsFromString } from 'node:v8';

if (Number(process.versions.node.split('.')[0]) < 21) setFlagsFromString('--experimental-wasm-relaxed-simd');
