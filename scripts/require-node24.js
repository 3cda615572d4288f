// Run before the tests (npm's pretest) and by CI after `npm ci`: the project runs on the Node 24 that the `node` dev
// dependency installs into node_modules/.bin, and every installed package must run on it.
//
// 1. If that install step was skipped (npm ci --ignore-scripts), npm silently falls back to the system Node: stop.
// 2. Every package's "engines.node" is checked against this Node, the one berth and its tools run on. npm checks
//    the same field against the Node that runs npm itself, which on a fresh machine is the system Node (20): its
//    EBADENGINE warnings are about the wrong Node, so .npmrc keeps npm's log to errors and the check is made here.
//
// Plain JavaScript with old syntax (no top-level await, no ?. or ??), so that any Node can parse it and say why.
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { pathToFileURL } from 'url';

var REQUIRED_MAJOR = 24;

/** The numeric parts of a version or partial version ("20", "20.x", "v22.19.0"); null parts are wildcards. */
function parts(text) {
  var p = String(text)
    .trim()
    .replace(/^[v=]+/, '')
    .split('-')[0]
    .split('.');
  var out = [];
  for (var i = 0; i < 3; i++) {
    var x = p[i];
    out.push(x === undefined || x === '' || x === 'x' || x === 'X' || x === '*' ? null : Number(x));
  }
  return out;
}

function compare(a, b) {
  for (var i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** The [lowest, below] bounds a partial version stands for: "20" is [20.0.0, 21.0.0). */
function bounds(p) {
  var lo = [p[0] || 0, p[1] || 0, p[2] || 0];
  if (p[0] === null) return [lo, null];
  if (p[1] === null) return [lo, [p[0] + 1, 0, 0]];
  if (p[2] === null) return [lo, [p[0], p[1] + 1, 0]];
  return [lo, [p[0], p[1], p[2] + 1]];
}

function comparatorHolds(v, comparator) {
  var m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(comparator);
  if (!m) return false;
  var op = m[1] || '';
  var p = parts(m[2]);
  var b = bounds(p);
  if (op === '>=') return compare(v, b[0]) >= 0;
  if (op === '>') return b[1] === null ? false : compare(v, b[1]) >= 0;
  if (op === '<') return compare(v, b[0]) < 0;
  if (op === '<=') return b[1] === null ? true : compare(v, b[1]) < 0;
  if (op === '^') {
    var cap =
      p[0] !== 0 || p[1] === null ? [b[0][0] + 1, 0, 0] : p[1] !== 0 || p[2] === null ? [0, b[0][1] + 1, 0] : b[1];
    return compare(v, b[0]) >= 0 && compare(v, cap) < 0;
  }
  if (op === '~') {
    var top = p[1] === null ? [b[0][0] + 1, 0, 0] : [b[0][0], b[0][1] + 1, 0];
    return compare(v, b[0]) >= 0 && compare(v, top) < 0;
  }
  return compare(v, b[0]) >= 0 && (b[1] === null || compare(v, b[1]) < 0);
}

/** Whether `version` satisfies an npm semver range: "||" alternatives of space-separated comparators, a - b. */
export function satisfies(version, range) {
  var v = parts(version);
  var alternatives = String(range).split('||');
  for (var i = 0; i < alternatives.length; i++) {
    var set = alternatives[i].trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1');
    var hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(set);
    var comparators = hyphen ? ['>=' + hyphen[1], '<=' + hyphen[2]] : set === '' ? ['*'] : set.split(/\s+/);
    var all = true;
    for (var j = 0; j < comparators.length; j++) if (!comparatorHolds(v, comparators[j])) all = false;
    if (all) return true;
  }
  return false;
}

/** Installed packages (node_modules, nested ones included) whose engines.node `nodeVersion` does not satisfy. */
export function engineProblems(root, nodeVersion) {
  var problems = [];
  function visit(dir) {
    if (!existsSync(dir)) return;
    var names = readdirSync(dir);
    for (var i = 0; i < names.length; i++) {
      var name = names[i];
      if (name.charAt(0) === '.') continue;
      var path = join(dir, name);
      if (name.charAt(0) === '@') {
        visit(path);
        continue;
      }
      var manifest = join(path, 'package.json');
      if (existsSync(manifest)) {
        var pkg = JSON.parse(readFileSync(manifest, 'utf8'));
        var wanted = pkg.engines && typeof pkg.engines.node === 'string' ? pkg.engines.node : null;
        if (wanted !== null && !satisfies(nodeVersion, wanted))
          problems.push({ name: pkg.name, version: pkg.version, required: wanted });
      }
      visit(join(path, 'node_modules'));
    }
  }
  visit(join(root, 'node_modules'));
  return problems;
}

function main() {
  var major = Number(process.versions.node.split('.')[0]);
  if (major < REQUIRED_MAJOR) {
    console.error(
      'berth needs Node ' +
        REQUIRED_MAJOR +
        ' or later, but npm ran Node ' +
        process.versions.node +
        ". Run 'npm ci' (without --ignore-scripts) so node_modules/.bin/node is Node " +
        REQUIRED_MAJOR +
        '.',
    );
    return 1;
  }
  var root = join(new URL('.', import.meta.url).pathname, '..');
  var problems = engineProblems(root, process.versions.node);
  for (var i = 0; i < problems.length; i++) {
    var p = problems[i];
    console.error(
      'berth: ' +
        p.name +
        '@' +
        p.version +
        ' requires Node ' +
        p.required +
        ', and the project runs on Node ' +
        process.versions.node +
        ' (node_modules/.bin/node).',
    );
  }
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
