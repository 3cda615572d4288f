/**
 * A real Prometheus (Debian's /usr/bin/prometheus; .ci/run installs it) on 127.0.0.1 in a temporary directory,
 * scraping given targets every second, with its HTTP API for instant and range queries.
 */
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { ManagedProcess } from '../../e2e/harness/processes.ts';
import { freePorts } from '../../e2e/harness/ports.ts';

export interface ScrapeJob {
  readonly job: string;
  readonly targets: readonly { readonly address: string; readonly labels: Readonly<Record<string, string>> }[];
}

export interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** The Prometheus binary: $PROMETHEUS_BIN, else /usr/bin/prometheus; null when neither is executable. */
export function prometheusBinary(): string | null {
  for (const path of [process.env['PROMETHEUS_BIN'], '/usr/bin/prometheus']) {
    if (path === undefined || path === '') continue;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  return null;
}

export class Prometheus {
  readonly url: string;
  readonly process: ManagedProcess;

  private constructor(url: string, proc: ManagedProcess) {
    this.url = url;
    this.process = proc;
  }

  static async start(binary: string, dir: string, jobs: readonly ScrapeJob[]): Promise<Prometheus> {
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
      scrape_configs: jobs.map((j) => ({
        job_name: j.job,
        static_configs: j.targets.map((x) => ({ targets: [x.address], labels: x.labels })),
      })),
    };
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(configPath, stringify(config));
    const [port] = await freePorts(1);
    const address = `127.0.0.1:${String(port)}`;
    const proc = new ManagedProcess(
      'prometheus',
      binary,
      [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=${address}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      join(dir, 'prometheus.log'),
    );
    proc.start();
    const prom = new Prometheus(`http://${address}`, proc);
    for (let i = 0; ; i++) {
      const exit = proc.describeExit();
      if (exit !== undefined) throw new Error(`${exit}; log:\n${proc.tail(20)}`);
      try {
        if ((await fetch(`${prom.url}/-/ready`)).ok) return prom;
      } catch {
        // not listening yet
      }
      if (i > 300) throw new Error(`prometheus not ready after 30 s; log:\n${proc.tail(20)}`);
      await sleep(100);
    }
  }

  async #api(path: string, params: Record<string, string>): Promise<Sample[]> {
    const res = await fetch(`${this.url}${path}?${new URLSearchParams(params).toString()}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`${path} ${params['query'] ?? ''}: ${body.error ?? res.statusText}`);
    return body.data?.result ?? [];
  }

  query(query: string): Promise<Sample[]> {
    return this.#api('/api/v1/query', { query });
  }

  queryRange(query: string, startS: number, endS: number, stepS: number): Promise<Sample[]> {
    return this.#api('/api/v1/query_range', { query, start: String(startS), end: String(endS), step: String(stepS) });
  }

  /** Targets and their scrape health, to explain a panel without data. */
  async targetHealth(): Promise<string[]> {
    const res = (await (await fetch(`${this.url}/api/v1/targets`)).json()) as {
      data: { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] };
    };
    return res.data.activeTargets.map(
      (x) => `${x.scrapeUrl} ${x.health}${x.lastError === '' ? '' : ` (${x.lastError})`}`,
    );
  }

  stop(): Promise<unknown> {
    return this.process.stop();
  }
}
