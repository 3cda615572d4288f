#!/usr/bin/env node
// The berth command. In a checkout Node 24 runs the TypeScript sources directly (type stripping); the container
// image ships only the compiled dist/, so that is used when the sources are absent.
import { existsSync } from 'node:fs';

const source = new URL('../server/main.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../dist/server/main.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
