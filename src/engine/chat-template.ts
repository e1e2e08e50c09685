/**
 * Chat templates (Jinja, through @huggingface/jinja) parsed and rendered within fixed bounds. A
 * template comes with a model's files, so it may come from a stranger's link: a loop over
 * `range(10000000)` or a string doubled in a loop must end in a TokenizerError within about a
 * second, not freeze the tab or fill its memory. The library's own `Template.render` has no
 * bounds, so rendering runs here on its Interpreter, with every evaluation step counted and every
 * value it produces measured.
 */
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { TokenizerError } from './errors';

export const TEMPLATE_LIMITS = {
  /** Real chat templates are a few KB; tool-calling ones reach ~20 KB. */
  sourceChars: 256 * 1024,
  /** Evaluation steps of one render, each list counting its length (a conversation: thousands). */
  steps: 250_000,
  /** Wall time of one render, checked every 1024 steps. */
  ms: 1000,
  /** Characters of any string a render makes, its output included. */
  chars: 1_000_000,
  /** Items of any list a render makes (range() included). */
  items: 10_000,
  /** Spaces of `indent` and `tojson(indent=...)`, which repeat that many per line. */
  width: 64,
} as const;

/** Steps charged per list item (see BoundedInterpreter.evaluate). */
const ITEM_COST = 8;

type Program = Template['parsed'];
type Node = Parameters<Interpreter['evaluate']>[0];
type Value = ReturnType<Interpreter['evaluate']>;

/** A limit was reached; the render stops at once (the template's loops cannot catch it). */
class LimitReached extends Error {}

export interface ChatTemplate {
  readonly file: string;
  readonly parsed: Program;
  /** Argument nodes that set a repeat width (`indent(n)`, `tojson(indent=n)`). */
  readonly widthArgs: WeakSet<object>;
}

/** Parses a template; throws TokenizerError naming `file` when it is too long or does not parse. */
export function parseChatTemplate(source: string, file: string): ChatTemplate {
  if (source.length > TEMPLATE_LIMITS.sourceChars) {
    throw new TokenizerError(
      `${file}: the chat template is ${source.length} characters long, more than the ${TEMPLATE_LIMITS.sourceChars} a chat template may have.`,
    );
  }
  let parsed: Program;
  try {
    parsed = new Template(source).parsed;
  } catch (e) {
    throw new TokenizerError(`${file}: the chat template does not parse: ${errorText(e)}`);
  }
  return { file, parsed, widthArgs: widthArguments(parsed) };
}

/**
 * Renders a parsed template with `vars`. Throws TokenizerError naming the file: for a limit, one
 * that says which; for anything else (raise_exception included) the template's own message.
 */
export function renderChatTemplate(t: ChatTemplate, vars: Readonly<Record<string, unknown>>): string {
  try {
    const env = new Environment();
    for (const [name, value] of Object.entries({ ...vars, ...GLOBALS })) env.set(name, value);
    const out = new BoundedInterpreter(env, t.widthArgs).run(t.parsed).value;
    if (typeof out !== 'string') throw new Error('the template did not produce text');
    return out;
  } catch (e) {
    if (e instanceof LimitReached) throw new TokenizerError(`${t.file}: the chat template ${e.message}`);
    // raise_exception(...) in a template throws its own message (e.g. "roles must alternate");
    // the library gives no way to tell it from other render errors, so both read the same.
    throw new TokenizerError(`${t.file}: the chat template failed on these messages: ${errorText(e)}`);
  }
}

class BoundedInterpreter extends Interpreter {
  private steps = 0;
  private readonly deadline = performance.now() + TEMPLATE_LIMITS.ms;

  constructor(
    env: Environment,
    private readonly widthArgs: WeakSet<object>,
  ) {
    super(env);
  }

  override evaluate(node: Node, env: Environment): Value {
    this.charge(1);
    const value = super.evaluate(node, env);
    if (
      node &&
      this.widthArgs.has(node) &&
      typeof value.value === 'number' &&
      value.value > TEMPLATE_LIMITS.width
    )
      throw new LimitReached(
        `indents by ${value.value} spaces; at most ${TEMPLATE_LIMITS.width} are allowed.`,
      );
    // A for loop walks its list without evaluating anything per item when its body is empty, so
    // every list is charged by its length as it is made or named: what a loop over it may cost
    // (one loop iteration costs about as much as ITEM_COST evaluations).
    this.charge(ITEM_COST * measured(value));
    return value;
  }

  private charge(steps: number): void {
    const before = this.steps;
    this.steps += steps;
    const late = before >> 10 !== this.steps >> 10 && performance.now() > this.deadline;
    if (this.steps > TEMPLATE_LIMITS.steps || late) {
      throw new LimitReached(
        `ran for more than ${late ? `${TEMPLATE_LIMITS.ms} ms` : `${TEMPLATE_LIMITS.steps} steps`} (an endless or very long loop?), so it was stopped.`,
      );
    }
  }
}

/** Checks a value against the size limits; returns its item count (0 for a scalar). */
function measured(v: Value): number {
  const x = v.value as unknown;
  if (typeof x === 'string' && x.length > TEMPLATE_LIMITS.chars)
    throw new LimitReached(
      `made a text of ${x.length} characters; at most ${TEMPLATE_LIMITS.chars} are allowed.`,
    );
  const items = Array.isArray(x) ? x.length : x instanceof Map ? x.size : 0;
  if (items > TEMPLATE_LIMITS.items)
    throw new LimitReached(`made a list of ${items} items; at most ${TEMPLATE_LIMITS.items} are allowed.`);
  return items;
}

/** `range` as Python has it, refusing a range longer than the list limit before making it. */
function boundedRange(...args: unknown[]): number[] {
  if (args.length < 1 || args.length > 3 || !args.every((a) => Number.isInteger(a)))
    throw new Error('range() takes one to three integers');
  const [start, stop, step = 1] = (args.length === 1 ? [0, args[0]] : args) as number[];
  if (step === 0) throw new Error('range() step must not be zero');
  const n = Math.max(0, Math.ceil((stop! - start!) / step));
  if (n > TEMPLATE_LIMITS.items)
    throw new LimitReached(
      `asked for range() of ${n} numbers; at most ${TEMPLATE_LIMITS.items} are allowed.`,
    );
  return Array.from({ length: n }, (_, i) => start! + i * step);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Python's strftime for the codes chat templates use (Llama 3.1 writes "%d %b %Y"). */
function strftimeNow(format: unknown): string {
  if (typeof format !== 'string') throw new Error('strftime_now() takes a format string');
  const d = new Date();
  const month = (style: 'short' | 'long') => new Intl.DateTimeFormat('en-US', { month: style }).format(d);
  const codes: Record<string, () => string> = {
    '%Y': () => String(d.getFullYear()),
    '%m': () => pad2(d.getMonth() + 1),
    '%d': () => pad2(d.getDate()),
    '%b': () => month('short'),
    '%B': () => month('long'),
    '%H': () => pad2(d.getHours()),
    '%M': () => pad2(d.getMinutes()),
    '%%': () => '%',
  };
  return format.replace(/%[YmdbBHM%]/g, (code) => codes[code]!());
}

/**
 * The globals of the library's own render (it does not export its setup), with `range` bounded.
 * raise_exception's message reaches the person as the template's explanation.
 */
const GLOBALS: Readonly<Record<string, unknown>> = {
  false: false,
  true: true,
  none: null,
  False: false,
  True: true,
  None: null,
  range: boundedRange,
  strftime_now: strftimeNow,
  raise_exception: (message: unknown) => {
    throw new Error(String(message));
  },
};

const WIDTH_FILTERS = new Set(['indent', 'tojson']);

/** The argument nodes of `indent` and `tojson` calls anywhere in the template. */
function widthArguments(program: Program): WeakSet<object> {
  const found = new WeakSet<object>();
  const visit = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== 'object' || depth > 10_000) return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child, depth + 1);
      return;
    }
    const n = node as { type?: unknown; filter?: unknown };
    if (n.type === 'FilterExpression' || n.type === 'FilterStatement') {
      const call = n.filter as { type?: string; callee?: { value?: unknown }; args?: unknown[] };
      if (call.type === 'CallExpression' && WIDTH_FILTERS.has(String(call.callee?.value))) {
        for (const arg of call.args ?? []) {
          const a = arg as { type?: string; value?: object };
          found.add(a.type === 'KeywordArgumentExpression' && a.value ? a.value : (arg as object));
        }
      }
    }
    for (const child of Object.values(node)) visit(child, depth + 1);
  };
  visit(program, 0);
  return found;
}

function errorText(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
}
