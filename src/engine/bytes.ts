/**
 * Byte counts as people read them. A module of its own so that the weights readers, which a
 * browser bundle imports without the rest of the engine, can quote sizes in their messages.
 */

const UNITS = ['KB', 'MB', 'GB', 'TB'] as const;

/**
 * Bytes in human units. Powers of 1024, written KB/MB/GB as browsers and operating systems write
 * them, so that the wasm32 limit of 2^31 bytes reads "2.0 GB".
 */
export function formatBytes(bytes: number, decimals = 1): string {
  if (bytes < 1024) return `${Math.round(bytes)} bytes`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(decimals)} ${UNITS[unit]}`;
}
