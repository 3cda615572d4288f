#!/usr/bin/env node
// The berth command. In a checkout Node 24 runs the TypeScript sources directly (type stripping); the container
// image ships only the compiled dist/, so that is used when the sources are absent.
//
// Plain JavaScript with old syntax (no top-level await, no ?. or ??), so that an older Node parses this file and
// gets one clear line instead of a module-loader stack trace from the TypeScript behind it.
import { existsSync } from 'fs';

var REQUIRED_MAJOR = 24;
var major = Number(process.versions.node.split('.')[0]);

if (major < REQUIRED_MAJOR) {
  process.stderr.write(
    'berth needs Node ' +
      REQUIRED_MAJOR +
      ' or later, and this is Node ' +
      process.versions.node +
      ". From a checkout, run 'npx berth ...' or 'npm start': they use the Node " +
      REQUIRED_MAJOR +
      " that 'npm ci' installs in node_modules/.bin.\n",
  );
  process.exitCode = 1;
} else {
  var source = new URL('../server/main.ts', import.meta.url);
  var entry = existsSync(source) ? source : new URL('../dist/server/main.js', import.meta.url);
  import(entry.href)
    .then(function (m) {
      return m.main(process.argv.slice(2));
    })
    .then(
      function (code) {
        process.exitCode = code;
      },
      function (e) {
        process.stderr.write('berth: ' + (e && e.stack ? e.stack : String(e)) + '\n');
        process.exitCode = 1;
      },
    );
}
