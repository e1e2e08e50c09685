/**
 * The question the introspection probe asks (METHODS.md §18), apart from the probe so that the
 * lessons (main thread, no tfjs) can put it in a prompt.
 */
export const INTROSPECTION_QUESTION =
  'I may have injected a thought into your mind. Do you detect an injected thought? Answer yes or no.';
