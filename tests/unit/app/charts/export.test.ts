import { describe, expect, it } from 'vitest';
import { toCsv } from '../../../../src/app/charts/export';

describe('CSV export', () => {
  it('neutralises text cells that a spreadsheet would run as a formula', () => {
    const cells = ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'];
    const lines = toCsv(
      ['token'],
      cells.map((c) => [c]),
    ).split('\r\n');
    expect(lines.slice(1, -1)).toEqual([
      `"'=HYPERLINK(""http://x"",""y"")"`,
      "'+1+1",
      "'-2+3",
      "'@SUM(A1)",
      "'\tcmd",
      `"'\rcmd"`,
    ]);
  });

  it('keeps numbers, negative ones included, and ordinary text as they are', () => {
    expect(
      toCsv(
        ['layer', 'logit', 'token'],
        [
          [3, -0.25, ' happy'],
          [4, null, 'a, "b"'],
        ],
      ),
    ).toBe('layer,logit,token\r\n3,-0.25, happy\r\n4,,"a, ""b"""\r\n');
  });

  it('keeps markup in token text as plain text in the file', () => {
    expect(toCsv(['token'], [['<img src=x onerror=alert(1)>']])).toBe(
      'token\r\n<img src=x onerror=alert(1)>\r\n',
    );
  });
});
