/**
 * A WebGPU device can go away under the page (a driver reset, another tab's out-of-memory, the
 * laptop switching GPUs). tfjs does not watch for it, so the worker does: on `device.lost` it
 * throws outside any call, which reaches the page as the Worker's error event; the page's client
 * then fails the calls in flight with `device-lost`, and the page restarts the worker on
 * WebAssembly and reloads the model (app/actions/recover.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Watches the WebGPU backend's device; call once the backend is set. */
export function watchGpuDevice(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device) return;
  // For the e2e test: destroys the device as a driver reset would (Playwright calls it in the worker).
  (self as unknown as { rudderDestroyGpuDevice?: () => void }).rudderDestroyGpuDevice = () =>
    device.destroy();
  void device.lost.then((info) => {
    setTimeout(() => {
      throw new Error(`The GPU device was lost (${info.message || info.reason})`);
    });
  });
}
