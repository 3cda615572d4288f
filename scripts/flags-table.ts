// Prints the README's extender flag table from the options table (test/docs-parity.test.ts checks they agree).
import { OPTIONS } from '../lib/extender/config.ts';

const rows = ['| flag | default | meaning |', '|---|---|---|'];
for (const [name, spec] of Object.entries(OPTIONS)) {
  rows.push(
    `| \`--${name}\` | ${spec.default === '' ? '' : `\`${String(spec.default)}\``} | ${spec.help.replaceAll('|', '\\|')} |`,
  );
}
process.stdout.write(`${rows.join('\n')}\n`);
