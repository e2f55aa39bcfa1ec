/**
 * A node:test reporter that counts leaf tests and writes one line: `N passed, N failed, N skipped`.
 * Suites are not counted; a file that fails to load counts as one failed test.
 */
interface TestEvent {
  type: string;
  data: { details?: { type?: string }; skip?: unknown; todo?: unknown; nesting?: number };
}

export default async function* summaryReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') {
      // A suite that failed on its own (a hook threw) has no failing leaf to count.
      continue;
    }
    if (event.data.skip !== undefined || event.data.todo !== undefined) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  yield `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
