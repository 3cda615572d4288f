/** The in-process agent (berth extender --local-agent): its flags are checked once the extender runs. */
import t from 'tap';
import { startAgent } from '../../../server/agent/start.ts';

t.test('invalid in-process agent flags are BERTH_ERR_CONFIG, every problem named', async (t) => {
  await t.rejects(startAgent({ extender: 'http://127.0.0.1:9', args: ['--interval', '1ms', '--pool', 'x'] }), {
    name: 'BerthError',
    code: 'BERTH_ERR_CONFIG',
    message:
      /^invalid configuration: the in-process agent: --interval: must be between 1s and 3600s, got 1ms; --pool: must be name=mount/,
  });
  await t.rejects(startAgent({ extender: 'http://127.0.0.1:9', args: ['--bogus'] }), {
    code: 'BERTH_ERR_CONFIG',
    message: /Unknown option '--bogus'/,
  });
  await t.rejects(startAgent({ extender: 'http://127.0.0.1:9', args: ['--once'] }), {
    code: 'BERTH_ERR_CONFIG',
    message: /--once: not available in-process/,
  });
});
