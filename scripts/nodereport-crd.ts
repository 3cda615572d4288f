// Writes the NodeReport CRD's status schema (manifests/crd/nodereports.yaml) from the one NodeReport schema
// (lib/core/report.ts, lib/core/node-report-resource.ts): `node scripts/nodereport-crd.ts` replaces the `status:`
// block in place and leaves the rest of the file as it is. test/lib/core/node-report-resource.test.ts fails when the
// file's schema differs from the generated one.
import { readFileSync, writeFileSync } from 'node:fs';
import { Document, isScalar, isSeq, visit } from 'yaml';
import { nodeReportStatusOpenApi } from '../lib/core/node-report-resource.ts';

export const CRD_FILE = new URL('../manifests/crd/nodereports.yaml', import.meta.url);
const INDENT = ' '.repeat(12); // status sits under spec.versions[0].schema.openAPIV3Schema.properties

export function statusYaml(): string {
  const doc = new Document({ status: nodeReportStatusOpenApi() });
  // Leaves without a description on one line ({ type: string, maxLength: 253 }); described ones one key a line.
  visit(doc, {
    Map(_, map) {
      const leaf = map.items.every((p) => isScalar(p.value) || (isSeq(p.value) && p.value.items.every(isScalar)));
      if (leaf && !map.has('description')) map.flow = true;
    },
    Seq(_, seq) {
      if (seq.items.every(isScalar)) seq.flow = true;
    },
  });
  return doc
    .toString({ lineWidth: 0, flowCollectionPadding: false })
    .trimEnd()
    .split('\n')
    .map((line) => INDENT + line)
    .join('\n');
}

/** The file with its status block (from `            status:` to the end) generated. */
export function withGeneratedStatus(text: string): string {
  const start = text.indexOf(`\n${INDENT}status:\n`);
  if (start < 0) throw new Error('manifests/crd/nodereports.yaml has no status schema');
  return `${text.slice(0, start + 1)}${statusYaml()}\n`;
}

if (import.meta.main) writeFileSync(CRD_FILE, withGeneratedStatus(readFileSync(CRD_FILE, 'utf8')));
