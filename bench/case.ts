/* eslint-disable @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * One benchmark case in its own process (so peak RSS is the case's own):
 *   node --import tsx bench/case.ts <case> --url <emulator> --mode timing [--quick] [--label "3/7"]
 *   node --import tsx bench/case.ts <case> --url <emulator> --mode memory --side node|baseline [--quick]
 * `timing`: warm-up, then N runs with node and baseline interleaved (order alternates per run).
 * `memory`: one run of one side (no setup, no warm-up); reports RSS before and process.resourceUsage().maxRSS.
 * Prints progress on stderr and one line `BENCH_RESULT {json}` on stdout.
 */
import { emulatorCredentials } from '../test/harness';
import { CASES, type CaseEnv, type RunMetrics } from './cases';
import { Control, rawClient } from './lib';

function arg(name: string): string | undefined {
	const k = process.argv.indexOf(`--${name}`);
	return k > 0 ? process.argv[k + 1] : undefined;
}

async function main() {
	const name = process.argv[2];
	const def = CASES.find((c) => c.name === name);
	if (!def) throw new Error(`unknown case ${name}; known: ${CASES.map((c) => c.name).join(', ')}`);
	const url = arg('url');
	if (!url) throw new Error('--url is required');
	const quick = process.argv.includes('--quick');
	const mode = arg('mode') ?? 'timing';
	const label = arg('label') ?? '';
	const env: CaseEnv = {
		url,
		quick,
		control: new Control(url),
		client: rawClient(),
		credentials: emulatorCredentials({ httpUrl: url }, { app: 'full', tenant: 'A' }),
		state: {},
	};
	const say = (s: string) => process.stderr.write(`[bench ${label}] ${def.title(quick)}: ${s}\n`);
	if (mode === 'memory') {
		// No setup here: what it allocates would stay in the RSS measured before the run.
		const side = arg('side') === 'baseline' ? 'baseline' : 'node';
		const fn = side === 'node' ? def.node : def.baseline;
		if (!fn) throw new Error(`case ${name} has no ${side} side`);
		if (def.beforeRun) await def.beforeRun(env);
		global.gc?.();
		const rssBefore = process.memoryUsage().rss;
		const extra = await fn.call(def, env, false);
		const maxRss = process.resourceUsage().maxRSS * 1024;
		say(
			`memory (${side}): peak RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB, before the run ${(rssBefore / 2 ** 20).toFixed(0)} MiB`,
		);
		console.log(`BENCH_RESULT ${JSON.stringify({ rssBefore, maxRss, extra })}`);
		return;
	}

	const metrics: Record<string, number[]> = {};
	try {
		if (def.setup) await def.setup(env);
		const record = (side: string, m: RunMetrics) => {
			for (const [k, v] of Object.entries(m)) (metrics[`${side}.${k}`] ??= []).push(v);
		};
		const sides = (run: number) => {
			const s: Array<'node' | 'baseline'> = def.baseline ? ['node', 'baseline'] : ['node'];
			return run % 2 ? s.reverse() : s;
		};
		const fmt = (m: RunMetrics) => (m.ms !== undefined ? `${m.ms.toFixed(0)} ms` : 'done');
		const warmups = def.warmups(quick);
		const runs = arg('runs') !== undefined ? Number(arg('runs')) : def.runs(quick);
		const runOffset = Number(arg('run-offset') ?? 0);
		const runTotal = Number(arg('run-total') ?? runs);
		for (let w = 0; w < warmups; w++) {
			for (const side of sides(w)) {
				if (def.beforeRun) await def.beforeRun(env);
				env.client = rawClient();
				const m = await (side === 'node' ? def.node(env, true) : def.baseline!(env, true));
				say(`warm-up ${w + 1}/${warmups} ${side} ${fmt(m)}`);
			}
		}
		for (let r = 0; r < runs; r++) {
			const parts: string[] = [];
			for (const side of sides(r)) {
				if (def.beforeRun) await def.beforeRun(env);
				// A fresh keep-alive pool per run: a pooled socket idle during the other side's run may be
				// closed by the server (keepAliveTimeout) just as it is reused.
				env.client = rawClient();
				const m = await (side === 'node' ? def.node(env, false) : def.baseline!(env, false));
				record(side, m);
				parts.push(`${side} ${fmt(m)}`);
			}
			say(`run ${runOffset + r + 1}/${runTotal}: ${parts.join(', ')}`);
		}
	} finally {
		if (def.teardown) await def.teardown(env);
	}
	console.log(`BENCH_RESULT ${JSON.stringify({ metrics })}`);
}

main()
	.then(() => process.exit(0))
	.catch((e) => {
		console.error(e instanceof Error ? e.stack : e);
		process.exit(1);
	});
