/** The method table's type: each method's kind, forced by its signature. */
type Fn = (...args: never[]) => unknown;
/** The last parameter's type (optional ones included). */
type Last<A extends readonly unknown[]> = Required<A> extends readonly [...unknown[], infer L] ? L : never;
/** 'callback' when a method's last parameter is a callback: proxied to the worker, released after the call. */
export type MethodKind<F> = F extends (...args: infer A) => unknown
  ? [Last<A>] extends [never]
    ? 'plain'
    : [NonNullable<Last<A>>] extends [Fn]
      ? 'callback'
      : 'plain'
  : never;
/** Every method of M with its kind; the type forces each entry to match the method's signature. */
export type MethodTable<M> = { readonly [K in keyof M]-?: MethodKind<M[K]> };
