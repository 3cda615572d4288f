/**
 * Same cluster, same requests, same answers: the filter and prioritize answers of this checkout, fed through its
 * informers by the fake API server (replay-cluster.ts: reports, claims, StatefulSets, finished pods, then watch
 * events), must equal those recorded from the extender before the informers were rewritten
 * (test/fixtures/scale-answers/answers.json; bench/scale/record-answers.ts says how to record them again).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayAnswers, type RecordedAnswer } from './answers-replay.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const recorded = JSON.parse(readFileSync(join(root, 'test/fixtures/scale-answers/answers.json'), 'utf8')) as {
  recordedFrom: string;
  answers: RecordedAnswer[];
};

t.test(`answers equal those recorded from ${recorded.recordedFrom}`, async (t) => {
  const answers = await replayAnswers(root);
  t.equal(answers.length, recorded.answers.length, `${answers.length} requests replayed`);
  const rejected = answers.reduce(
    (n, a) =>
      n +
      Object.keys((a.filter as { body: { FailedAndUnresolvableNodes?: object } }).body.FailedAndUnresolvableNodes ?? {})
        .length,
    0,
  );
  t.ok(rejected > 500, `the replay exercises rejections (${rejected} nodes rejected)`);
  for (const [i, a] of answers.entries()) t.same(a, recorded.answers[i], `${a.pod}: filter and prioritize unchanged`);
});
