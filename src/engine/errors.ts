/**
 * Every failure a person can cause ends in one of these: a stable `code` the UI can switch on,
 * and a message that says what happened and what to do.
 */
/** A value as JSON, cut short: a field may hold megabytes, and a message must stay readable. */
export function shownValue(value: unknown, max = 60): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

export class RudderError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A weights file (safetensors, index) is malformed; the message names the file. */
export class WeightsFormatError extends RudderError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super('weights-format', `${file}: ${problem}`);
  }
}

/** A file could not be fetched or read from a source. */
export class SourceError extends RudderError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super('source', `${file}: ${problem}`);
  }
}

/** config.json describes a model this engine cannot run, or misses a field it needs. */
export class UnsupportedModelError extends RudderError {
  constructor(message: string) {
    super('unsupported-model', message);
  }
}

/** The checkpoint's tensors do not match what the config says (missing, unexpected, wrong shape). */
export class ShapeMismatchError extends RudderError {
  constructor(message: string) {
    super('shape-mismatch', message);
  }
}

/** The model will not fit the backend's memory limits; carries the estimate. */
export class TooLargeError extends RudderError {
  constructor(
    readonly neededBytes: number,
    readonly limitBytes: number,
    message: string,
  ) {
    super('too-large', message);
  }
}

/** tokenizer.json / tokenizer_config.json / chat template could not be used. */
export class TokenizerError extends RudderError {
  constructor(message: string) {
    super('tokenizer', message);
  }
}

/** A hook name that does not exist for this model; suggests the nearest valid names. */
export class UnknownHookError extends RudderError {
  constructor(
    readonly hook: string,
    readonly suggestions: readonly string[],
  ) {
    super(
      'unknown-hook',
      `Unknown hook point "${hook}".${suggestions.length ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ''}`,
    );
  }
}

/** A hook returned a tensor of a different shape than the activation it replaces. */
export class HookShapeError extends RudderError {
  constructor(hook: string, expected: readonly number[], got: readonly number[]) {
    super('hook-shape', `Hook "${hook}" returned shape [${got}] but the activation has shape [${expected}].`);
  }
}

/** Generation was cancelled through its AbortSignal. */
export class CancelledError extends RudderError {
  constructor() {
    super('cancelled', 'The operation was cancelled.');
  }
}
