import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { parseChatTemplate, renderChatTemplate, TEMPLATE_LIMITS } from '../../../src/engine/chat-template';
import { TokenizerError } from '../../../src/engine/errors';
import { CHATML_TOOLS, GEMMA, LLAMA3 } from '../../support/chat-templates';

const FILE = 'tokenizer_config.json';
const render = (source: string, vars: Record<string, unknown> = {}) =>
  renderChatTemplate(parseChatTemplate(source, FILE), vars);

/** Renders, expecting a TokenizerError; returns its message and how long the render took. */
function refused(source: string, vars: Record<string, unknown> = {}): { message: string; ms: number } {
  const start = performance.now();
  try {
    render(source, vars);
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerError);
    return { message: (e as Error).message, ms: performance.now() - start };
  }
  throw new Error('the template rendered');
}

describe('bounded chat-template rendering', () => {
  it('renders real-style templates exactly as the library does', () => {
    const conversations = [
      [{ role: 'user', content: 'Hi there' }],
      [
        { role: 'system', content: ' Be brief. ' },
        { role: 'user', content: 'Name a colour.' },
        { role: 'assistant', content: 'Blue.' },
        { role: 'user', content: 'Another?' },
      ],
    ];
    const tools = [{ type: 'function', function: { name: 'add', parameters: { a: 'int', b: 'int' } } }];
    for (const source of [LLAMA3, CHATML_TOOLS, GEMMA]) {
      for (const messages of conversations.slice(source === GEMMA ? 0 : 0, source === GEMMA ? 1 : 2)) {
        for (const add_generation_prompt of [true, false]) {
          const vars = {
            bos_token: '<s>',
            date_string: '26 Jul 2024',
            messages,
            tools,
            add_generation_prompt,
          };
          expect(render(source, vars)).toBe(new Template(source).render(vars));
        }
      }
    }
  });

  it("passes the template's raise_exception message on, naming the file", () => {
    const vars = { messages: [{ role: 'system', content: 'x' }] };
    expect(refused(GEMMA, vars).message).toBe(
      'tokenizer_config.json: the chat template failed on these messages: System role not supported',
    );
  });

  it('stops a loop over range(10000000) at once, with a message that says why', () => {
    const { message, ms } = refused('{% for i in range(10000000) %}{{ i }}{% endfor %}');
    expect(message).toBe(
      'tokenizer_config.json: the chat template asked for range() of 10000000 numbers; at most 10000 are allowed.',
    );
    expect(ms).toBeLessThan(1000);
  });

  it('stops nested loops within about a second by counting steps', () => {
    const { message, ms } = refused(
      '{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}',
    );
    expect(message).toMatch(
      /^tokenizer_config\.json: the chat template ran for more than (250000 steps|1000 ms)/,
    );
    expect(ms).toBeLessThan(2500);
  });

  it('stops a text that doubles in a loop before it grows past the size limit', () => {
    const source =
      "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}";
    expect(refused(source).message).toMatch(
      new RegExp(`made a text of \\d+ characters; at most ${TEMPLATE_LIMITS.chars} are allowed\\.$`),
    );
    expect(refused('{{ (range(6000) + range(6000)) | length }}').message).toMatch(
      /made a list of 12000 items; at most 10000 are allowed\.$/,
    );
  });

  it('refuses an indent wide enough to fill memory', () => {
    expect(refused("{{ 'a\\nb' | indent(1000000000) }}").message).toBe(
      'tokenizer_config.json: the chat template indents by 1000000000 spaces; at most 64 are allowed.',
    );
    expect(refused('{{ messages | tojson(indent=1000000000) }}', { messages: [1] }).message).toMatch(
      /indents by/,
    );
    expect(render("{{ 'a\\nb' | indent(4) }}")).toBe('a\n    b');
  });

  it('ends endless recursion and oversized sources in a TokenizerError', () => {
    expect(refused('{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}').message).toMatch(
      /^tokenizer_config\.json: the chat template/,
    );
    expect(() => parseChatTemplate('x'.repeat(TEMPLATE_LIMITS.sourceChars + 1), FILE)).toThrow(
      /^tokenizer_config\.json: the chat template is \d+ characters long/,
    );
  });

  it('names the file when a template does not parse', () => {
    expect(() => parseChatTemplate('{% for %}', 'chat_template.jinja')).toThrow(
      /^chat_template\.jinja: the chat template does not parse/,
    );
  });
});
