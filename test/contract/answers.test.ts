/**
 * For the same cluster state, the same answers: every request of the recorded scenario set
 * (test/fixtures/answers) gets exactly the filter, prioritize and explain answers that were recorded, byte for byte.
 * A change that is meant to alter answers re-records them (test/fixtures/answers/record.ts) and says why.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayAll, type RecordedAnswer } from '../fixtures/answers/replay.ts';

const recorded = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/answers/recorded.json'), 'utf8'),
) as Record<string, Record<string, RecordedAnswer>>;

t.test('every recorded request gets the recorded answers', async (t) => {
  const now = await replayAll();
  t.same(Object.keys(now).sort(), Object.keys(recorded).sort(), 'the same scenarios');
  for (const [scenario, answers] of Object.entries(recorded)) {
    for (const [request, answer] of Object.entries(answers)) {
      t.same(now[scenario]?.[request], answer, `${scenario}/${request}`);
    }
  }
  const passing = Object.values(recorded).flatMap((s) => Object.values(s).map((a) => a.passed));
  t.ok(
    passing.some((n) => n === 0) && passing.filter((n) => n > 0).length > 10,
    'the set has requests where nothing passes and many where some pass',
  );
});
