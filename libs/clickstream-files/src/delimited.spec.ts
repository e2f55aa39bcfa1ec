import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DelimitedParser, delimiterFor, parseDelimited, parseDelimiterName } from './delimited.js';

void describe('DelimitedParser', () => {
  const cases: [string, string, string, string[][]][] = [
    ['plain TSV', '\t', 'a\tb\n1\t2\n', [['a', 'b'], ['1', '2']]],
    ['CRLF, no final newline', ',', 'a,b\r\n1,2', [['a', 'b'], ['1', '2']]],
    ['BOM is dropped', ',', '\uFEFFa,b\n', [['a', 'b']]],
    ['empty fields', ',', ',a,,\n', [['', 'a', '', '']]],
    ['quoted delimiter and newline', ',', '"x,y","line1\nline2",z\n', [['x,y', 'line1\nline2', 'z']]],
    ['doubled quotes', ',', '"say ""hi""",b\n', [['say "hi"', 'b']]],
    ['stray quote inside an unquoted field is text', '\t', 'As for the "mains," ok\t0\n', [['As for the "mains," ok', '0']]],
    ['blank lines skipped', ',', 'a\n\n\nb\n', [['a'], ['b']]],
    ['quoted field in TSV with CRLF', '\t', '5\t"Love it!\tReally"\r\n4\tok\r\n', [['5', 'Love it!\tReally'], ['4', 'ok']]],
  ];
  for (const [name, delimiter, text, expected] of cases) {
    void test(name, () => {
      assert.deepEqual(parseDelimited(text, { delimiter }), expected);
    });
  }

  void test('any chunking gives the same records', () => {
    const text = 'h1,h2,h3\r\n"a ""q"", b",2,\n"multi\nline",x,y\r\nlast,1,2';
    const whole = parseDelimited(text, { delimiter: ',' });
    for (let size = 1; size <= text.length; size++) {
      const parser = new DelimitedParser({ delimiter: ',' });
      const records: string[][] = [];
      for (let i = 0; i < text.length; i += size) records.push(...parser.push(text.slice(i, i + size)));
      records.push(...parser.end());
      assert.deepEqual(records, whole, `chunk size ${size}`);
    }
  });

  void test('quote: false reads quotes literally', () => {
    assert.deepEqual(parseDelimited('"a\t"b\n', { delimiter: '\t', quote: false }), [['"a', '"b']]);
  });

  void test('delimiter helpers', () => {
    assert.equal(delimiterFor('x/events.tsv'), '\t');
    assert.equal(delimiterFor('export.csv'), ',');
    assert.equal(parseDelimiterName('tab'), '\t');
    assert.equal(parseDelimiterName(';'), ';');
    assert.throws(() => parseDelimiterName('ab'), /one character/);
    assert.throws(() => new DelimitedParser({ delimiter: '' }), /one character/);
  });
});
