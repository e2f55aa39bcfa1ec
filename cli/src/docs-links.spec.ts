/**
 * Docs cite only files that exist: every relative markdown link and every repo path quoted in
 * backticks in README.md, docs/**\/*.md, libs/*\/README.md and services/*\/README.md must name a
 * file or folder of this checkout. A path in backticks counts when it starts with one of the repo's
 * top-level folders (`libs/kafka/src/producer.ts`, `deploy/local/kafka.sh`); placeholder segments
 * (`<name>`, `*`, `{a,b}`) match any name, and a `...` / `…` segment ends the part that is checked.
 */
import { existsSync, globSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url)); // cli/dist/ → the repo

/** Top-level folders whose paths docs cite. */
const TOP_LEVEL = ['libs', 'services', 'cli', 'tests', 'deploy', 'docs', 'proto', 'tools', 'patches'];

interface Citation {
  /** The markdown file, relative to the repo. */
  file: string;
  line: number;
  /** As written. */
  text: string;
  /** Repo-relative path (or glob) that must match something. */
  target: string;
}

const isPlaceholder = (segment: string) => /[<>*{}$]/.test(segment);
const isEllipsis = (segment: string) => segment === '...' || segment === '…' || segment.endsWith('…');

/** The repo path a backticked token names, or undefined when it is not one (a command, a key, a URL). */
function repoPathIn(token: string): string | undefined {
  let path = token.replace(/^\.\//, '').replace(/[.,;:)]+$/, '');
  path = path.replace(/:\d+(-\d+)?$/, '').replace(/#.*$/, ''); // file.ts:42, file.md#section
  const segments = path.split('/');
  if (segments.length < 2 || !TOP_LEVEL.includes(segments[0]!)) return undefined;
  const end = segments.findIndex(isEllipsis);
  const kept = (end === -1 ? segments : segments.slice(0, end)).filter((s) => s !== '');
  return kept.join('/');
}

/** The target of a markdown link, relative to the repo, or undefined for URLs and in-page anchors. */
function linkTarget(fromFile: string, href: string): string | undefined {
  const target = href.trim().replace(/^<|>$/g, '').split(/\s+/)[0]!.replace(/[#?].*$/, '');
  if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // #anchor, https:, mailto:
  return normalize(join(dirname(fromFile), decodeURIComponent(target)));
}

/** Every link and backticked repo path in one markdown text; fenced code blocks are skipped. */
function citationsIn(file: string, markdown: string): Citation[] {
  const out: Citation[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((line, index) => {
    const opener = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (opener !== undefined && (fence === undefined || opener.startsWith(fence))) {
      fence = fence === undefined ? opener : undefined;
      return;
    }
    if (fence !== undefined) return;
    const lineNo = index + 1;
    // Code spans first; links are looked for in what remains.
    const prose = line.replace(/(`+)(.+?)\1/g, (_, __, code: string) => {
      for (const token of code.trim().split(/\s+/)) {
        const target = repoPathIn(token);
        if (target !== undefined) out.push({ file, line: lineNo, text: `\`${token}\``, target });
      }
      return ' ';
    });
    for (const match of prose.matchAll(/!?\[[^\]]*\]\(([^)]+)\)|^\s*\[[^\]]+\]:\s*(\S+)/g)) {
      const href = match[1] ?? match[2]!;
      const target = linkTarget(file, href);
      if (target !== undefined) out.push({ file, line: lineNo, text: match[0], target });
    }
  });
  return out;
}

/** Whether `target` (a repo-relative path, placeholders allowed) names something in `base`. */
function exists(base: string, target: string): boolean {
  if (target.startsWith('..')) return existsSync(join(base, target)); // outside the repo (../shared)
  const segments = target.split('/');
  if (!segments.some(isPlaceholder)) return existsSync(join(base, target));
  const pattern = segments.map((s) => (isPlaceholder(s) && !s.includes('*') && !s.includes('{') ? '*' : s)).join('/');
  return globSync(pattern, { cwd: base }).length > 0;
}

/** The markdown files whose citations are checked. */
function docFiles(base: string): string[] {
  return ['README.md', 'docs/**/*.md', 'libs/*/README.md', 'services/*/README.md']
    .flatMap((pattern) => globSync(pattern, { cwd: base }))
    .sort();
}

/** Citations in the repo's docs whose target does not exist, as `file:line: text → target`. */
function brokenCitations(base: string): string[] {
  return docFiles(base).flatMap((file) =>
    citationsIn(file, readFileSync(join(base, file), 'utf8'))
      .filter((c) => !exists(base, c.target))
      .map((c) => `${c.file}:${c.line}: ${c.text} → ${c.target} does not exist`),
  );
}

void describe('docs cite only files that exist', () => {
  void test('every relative link and backticked repo path in README.md, docs/, libs/*/README.md and services/*/README.md exists', () => {
    const files = docFiles(root);
    assert.ok(files.includes('README.md') && files.some((f) => f.startsWith('docs/adr/')), `docs found: ${files.join(', ')}`);
    const broken = brokenCitations(root);
    assert.equal(broken.length, 0, `${broken.length} broken citation(s) (fix the doc, or the path it names):\n${broken.join('\n')}`);
  });

  void test('which backticked tokens count as repo paths', () => {
    const cases: [string, string | undefined][] = [
      ['libs/kafka/src/producer.ts', 'libs/kafka/src/producer.ts'],
      ['./deploy/local/kafka.sh', 'deploy/local/kafka.sh'],
      ['libs/kafka/', 'libs/kafka'],
      ['services/<name>/src/main.ts', 'services/<name>/src/main.ts'],
      ['services/<name>/...', 'services/<name>'],
      ['tests/src/bench/*.bench.ts', 'tests/src/bench/*.bench.ts'],
      ['docs/adr/0018-kafkajs-partition-grouping.md#decision', 'docs/adr/0018-kafkajs-partition-grouping.md'],
      ['cli/src/main.ts:12', 'cli/src/main.ts'],
      ['libs/kafka/src/producer.ts,', 'libs/kafka/src/producer.ts'],
      ['./clickwise', undefined],
      ['src/producer/groupMessagesPerPartition.js', undefined], // inside kafkajs, not this repo
      ['KAFKA_MAX_BATCH_RECORDS', undefined],
      ['POST', undefined],
      ['/v1/events', undefined],
      ['redis://127.0.0.1:6379', undefined],
      ['application/json', undefined],
      ['libs', undefined],
    ];
    for (const [token, expected] of cases) assert.equal(repoPathIn(token), expected, token);
  });

  void test('finds links and paths outside fenced code, with their line numbers', () => {
    const markdown = [
      'See [the ADR](adr/0001-x.md#context) and `libs/kafka/src/a.ts` or `./clickwise up`.', // 1
      'A [site](https://kafka.apache.org) and [anchor](#top); ![img](../img/a.png)', // 2
      '```sh', // 3
      'node services/ingestion/dist/main.js [x](nope.md)', // 4
      '```', // 5
      '[ref]: specs/redis-keys.md', // 6
      'Code with a link inside: `[x](y.md)` is not a link.', // 7
    ].join('\n');
    const found = citationsIn('docs/index.md', markdown).map((c) => `${c.line} ${c.target}`);
    assert.deepStrictEqual(found, ['1 libs/kafka/src/a.ts', '1 docs/adr/0001-x.md', '2 img/a.png', '6 docs/specs/redis-keys.md']);
  });

  void test('placeholders match any name; a missing path is reported with file and line', () => {
    assert.equal(exists(root, 'libs/<name>/package.json'), true);
    assert.equal(exists(root, 'libs/*/package.json'), true);
    assert.equal(exists(root, 'libs/<name>/no-such-file.md'), false);
    assert.equal(exists(root, 'docs/adr'), true);
    assert.equal(exists(root, 'docs/adr/9999-nothing.md'), false);
    const found = citationsIn('README.md', 'Run\n`deploy/local/no-such.sh` first.').filter((c) => !exists(root, c.target));
    assert.deepStrictEqual(found, [{ file: 'README.md', line: 2, text: '`deploy/local/no-such.sh`', target: 'deploy/local/no-such.sh' }]);
  });
});
