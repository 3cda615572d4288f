/**
 * Records the filter and prioritize answers of the answer-replay cluster (test/server/kube/replay-cluster.ts)
 * from the extender in another checkout, e.g. the commit before a change to the informers:
 *
 *   git archive <commit> | tar -x -C /tmp/berth-before && ln -s $PWD/node_modules /tmp/berth-before/
 *   node bench/scale/record-answers.ts /tmp/berth-before test/fixtures/scale-answers/answers.json <commit>
 *
 * test/server/kube/answers-replay.test.ts then checks that this checkout answers exactly the same.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { replayAnswers } from '../../test/server/kube/answers-replay.ts';

const [root, out, commit] = process.argv.slice(2);
if (root === undefined || out === undefined || commit === undefined) {
  process.stderr.write('usage: node bench/scale/record-answers.ts <checkout> <out.json> <commit of the checkout>\n');
  process.exit(2);
}
const answers = await replayAnswers(resolve(root));
writeFileSync(out, `${JSON.stringify({ recordedFrom: commit, answers }, null, 1)}\n`);
process.stdout.write(`${answers.length} requests recorded from ${commit} into ${out}\n`);
