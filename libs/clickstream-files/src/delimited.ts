/** Options of a delimited-text parser. */
export interface DelimitedOptions {
  /** One character: `,` for CSV, `\t` for TSV. */
  delimiter: string;
  /**
   * The quote character (default `"`); `false` reads every character literally. A field is quoted
   * only when it starts with the quote; inside, a doubled quote is one quote (RFC 4180).
   */
  quote?: string | false;
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

/**
 * An incremental CSV/TSV parser: feed it chunks (`push`), get back the complete records, and call
 * `end` for the last one. Handles quoted fields with delimiters and newlines, CRLF and LF, and a
 * leading byte-order mark. Blank lines are skipped. Lenient: a stray quote inside an unquoted field
 * is kept as text.
 */
export class DelimitedParser {
  private readonly delimiter: string;
  private readonly quote: string | undefined;
  private state = State.FieldStart;
  private field = '';
  private record: string[] = [];
  private atStart = true;

  constructor(options: DelimitedOptions) {
    if (options.delimiter.length !== 1) throw new Error(`the delimiter must be one character, got ${JSON.stringify(options.delimiter)}`);
    this.delimiter = options.delimiter;
    const quote = options.quote ?? '"';
    this.quote = quote === false ? undefined : quote;
  }

  push(chunk: string): string[][] {
    const out: string[][] = [];
    let text = chunk;
    if (this.atStart && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.atStart = false;
    }
    const { delimiter, quote } = this;
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      switch (this.state) {
        case State.FieldStart:
          if (c === quote) this.state = State.Quoted;
          else if (c === delimiter) this.endField();
          else if (c === '\n') this.endRecord(out);
          else if (c !== '\r') {
            this.field = c;
            this.state = State.Unquoted;
          }
          break;
        case State.Unquoted:
          if (c === delimiter) this.endField();
          else if (c === '\n') this.endRecord(out);
          else if (c !== '\r') this.field += c;
          break;
        case State.Quoted:
          if (c === quote) this.state = State.QuoteInQuoted;
          else this.field += c;
          break;
        case State.QuoteInQuoted:
          if (c === quote) {
            this.field += c;
            this.state = State.Quoted;
          } else if (c === delimiter) this.endField();
          else if (c === '\n') this.endRecord(out);
          else if (c !== '\r') {
            this.field += c;
            this.state = State.Unquoted;
          }
          break;
      }
    }
    return out;
  }

  /** The last record, if the text did not end with a newline. */
  end(): string[][] {
    const out: string[][] = [];
    if (this.state !== State.FieldStart || this.field !== '' || this.record.length > 0) this.endRecord(out);
    return out;
  }

  private endField(): void {
    this.record.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
  }

  private endRecord(out: string[][]): void {
    this.record.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
    const record = this.record;
    this.record = [];
    if (record.length === 1 && record[0] === '') return; // blank line
    out.push(record);
  }
}

/** Parses a whole text at once. */
export function parseDelimited(text: string, options: DelimitedOptions): string[][] {
  const parser = new DelimitedParser(options);
  return [...parser.push(text), ...parser.end()];
}

/** The delimiter a file name suggests: tab for .tsv/.tab/.txt, comma otherwise. */
export function delimiterFor(fileName: string): string {
  return /\.(tsv|tab|txt)$/i.test(fileName) ? '\t' : ',';
}

/** A --delimiter value: `tab`, `\t`, `comma`, `semicolon`, `pipe`, or one character. */
export function parseDelimiterName(value: string): string {
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|', space: ' ' };
  const d = named[value.toLowerCase()] ?? value;
  if (d.length !== 1) throw new Error(`--delimiter must be one character or tab|comma|semicolon|pipe|space, got "${value}"`);
  return d;
}
