/* eslint-disable no-console */
/**
 * Queue mode, 1 vs 2 workers: the packed package in a real n8n cluster (scripts/n8n/queue.ts:
 * PostgreSQL + Redis + main + workers, n8n line 1 on this machine's Node 20), against the bench
 * emulator. The "node" side runs with 2 workers, the "baseline" side with 1 (worker 2 stopped),
 * so the ratio row is 2 workers ÷ 1 worker. Each side of a run isolates fresh machines (no
 * pending action to reuse) and lists all alerts with Return All in parallel executions.
 */
import type { IDataObject } from 'n8n-workflow';

import { emulatorCredentials } from '../test/harness';
import { N8N_VERSIONS, packPackage, REPO_ROOT, run, setupOwnerAndLogin, waitFor, type N8nRest } from '../scripts/n8n/harness';
import { createQueueCluster, type QueueCluster } from '../scripts/n8n/queue';
import type { CaseDef, CaseEnv, RunMetrics } from './cases';
import { isApiCall, rawPages, rawToken, SCOPES } from './lib';

const SCALE = 60;
const QUOTA = 100;
const EXECUTIONS = 10;
const LISTINGS = 4;
const bulkSize = (q: boolean) => (q ? 60 : 500);
const alertCount = (q: boolean) => (q ? 1000 : 10000);
const runsOf = (q: boolean) => (q ? 1 : 2);
const CRED = { id: 'benchQueueCred01', name: 'bench emulator' };

function webhook(path: string, id: string) {
	return {
		id,
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId: id,
		parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
	};
}

const BULK_WF = {
	id: 'benchQueueBulk01',
	name: 'bench: bulk isolate',
	nodes: [
		webhook('bench/isolate', 'c0000000-0000-4000-8000-000000000001'),
		{
			id: 'c0000000-0000-4000-8000-000000000002',
			name: 'Split Out',
			type: 'n8n-nodes-base.splitOut',
			typeVersion: 1,
			position: [220, 0],
			parameters: { fieldToSplitOut: 'body.machines', options: {} },
		},
		{
			id: 'c0000000-0000-4000-8000-000000000003',
			name: 'Isolate',
			type: 'n8n-nodes-microsoft-defender.microsoftDefender',
			typeVersion: 1,
			position: [440, 0],
			onError: 'continueRegularOutput',
			parameters: {
				resource: 'machine',
				operation: 'isolate',
				machineId: { __rl: true, mode: 'id', value: '={{ $json.machineId }}' },
				comment: 'bench: bulk containment',
			},
			credentials: { microsoftDefenderEntraAppApi: CRED },
		},
	],
	connections: {
		Webhook: { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
		'Split Out': { main: [[{ node: 'Isolate', type: 'main', index: 0 }]] },
	},
};

const LIST_WF = {
	id: 'benchQueueList01',
	name: 'bench: list all alerts',
	nodes: [
		webhook('bench/list', 'c0000000-0000-4000-8000-000000000011'),
		{
			id: 'c0000000-0000-4000-8000-000000000012',
			name: 'List alerts',
			type: 'n8n-nodes-microsoft-defender.microsoftDefender',
			typeVersion: 1,
			position: [220, 0],
			parameters: { resource: 'alert', operation: 'getAll', returnAll: true },
			credentials: { microsoftDefenderEntraAppApi: CRED },
		},
	],
	connections: { Webhook: { main: [[{ node: 'List alerts', type: 'main', index: 0 }]] } },
};

interface QueueState {
	cluster: QueueCluster;
	api: N8nRest;
	nextMachine: number;
	machines: string[];
}

const state = (env: CaseEnv) => env.state.queue as QueueState;

async function post(url: string, body: unknown): Promise<void> {
	const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
	if (r.status !== 200) throw new Error(`POST ${url}: HTTP ${r.status} ${await r.text()}`);
}

/** Executions of a workflow, waiting until `count` have finished. */
async function finished(api: N8nRest, workflowId: string, count: number) {
	return await waitFor(async () => {
		const l = await api.listExecutions(workflowId);
		return l.length >= count && l.every((e) => e.status && ['success', 'error', 'crashed', 'canceled'].includes(e.status)) ? l : undefined;
	}, 600_000, 250);
}

async function workers(env: CaseEnv, n: 1 | 2): Promise<void> {
	const c = state(env).cluster;
	const second = c.workers[1];
	const running = second && second.child.exitCode === null && second.child.signalCode === null;
	if (n === 2 && !running) await c.startWorker(1);
	if (n === 1 && running) {
		await second.stop();
		c.workers[1] = undefined;
	}
}

async function measure(env: CaseEnv, n: 1 | 2): Promise<RunMetrics> {
	await workers(env, n);
	const s = state(env);
	const q = env.quick;
	const base = s.cluster.main!.baseUrl;
	const size = bulkSize(q);
	const ids = s.machines.slice(s.nextMachine, s.nextMachine + size);
	s.nextMachine += size;
	if (ids.length < size) throw new Error('the emulator has too few machines for this many runs');
	await env.control.resetQuotas();
	await env.control.clearLog();
	const bulkBefore = (await s.api.listExecutions(BULK_WF.id)).length;
	const t0 = Date.now();
	const per = Math.ceil(size / EXECUTIONS);
	await Promise.all(
		Array.from({ length: EXECUTIONS }, (_, i) =>
			post(`${base}/webhook/bench/isolate`, { machines: ids.slice(i * per, (i + 1) * per).map((machineId) => ({ machineId })) }),
		),
	);
	const bulkRuns = await finished(s.api, BULK_WF.id, bulkBefore + EXECUTIONS);
	const bulkMs = Date.now() - t0;
	const log = (await env.control.log()).filter(isApiCall);
	const mde = log.filter((e) => e.family === 'mde');
	const throttled = mde.filter((e) => e.status === 429).length;
	const accepted = mde.filter((e) => e.method === 'POST' && /\/isolate$/.test(e.path) && e.status === 201).length;
	const failedExecutions = bulkRuns.filter((e) => e.status !== 'success').length;

	const listBefore = (await s.api.listExecutions(LIST_WF.id)).length;
	await env.control.clearLog();
	const t1 = Date.now();
	await Promise.all(Array.from({ length: LISTINGS }, () => post(`${base}/webhook/bench/list`, {})));
	const listRuns = await finished(s.api, LIST_WF.id, listBefore + LISTINGS);
	const listMs = Date.now() - t1;
	const pages = (await env.control.log()).filter((e) => isApiCall(e) && e.status === 200).length;
	return {
		bulkMs,
		accepted,
		throttled,
		mdeCalls: mde.length,
		minimumMs: ((mde.length - throttled) / QUOTA) * (60_000 / SCALE),
		failedExecutions: failedExecutions + listRuns.filter((e) => e.status !== 'success').length,
		listMs,
		pages,
	};
}

export const queueCase: CaseDef = {
	name: 'queue-workers',
	title: (q) =>
		`n8n ${N8N_VERSIONS[1]} queue mode, 1 vs 2 workers: isolate ${bulkSize(q)} machines (${EXECUTIONS} executions, ${QUOTA}/min quota ×${SCALE}) and list ${alertCount(q).toLocaleString('en-US')} alerts with Return All (${LISTINGS} executions at once)`,
	emulator: (q) => ({
		sizes: { machines: bulkSize(q) * 2 * runsOf(q) + 10, alerts: alertCount(q), incidents: 10, huntingRows: 10 },
		timeScale: SCALE,
		quotas: { mde: { perMinute: QUOTA, perHour: 1500 } },
		actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 },
	}),
	runs: runsOf,
	warmups: () => 0,
	method:
		`A real n8n ${N8N_VERSIONS[1]} cluster (scripts/n8n/queue.ts): PostgreSQL and Redis on loopback, main + workers (concurrency 5 each), the packed package installed ` +
		`in each process's user folder; the workers' pacing clock and the emulator run ×${SCALE} (a quota minute lasts 1 s). "node" = 2 workers, "baseline" = 1 worker ` +
		`(worker 2 stopped), Quota Share left at 100 %. Bulk: ${EXECUTIONS} webhook calls at once, each an execution isolating its share of fresh machines (Continue On Fail); ` +
		`timed from the first webhook call until n8n lists every execution as finished. Listing: ${LISTINGS} webhook calls at once, each listing every alert (Graph alerts_v2, ` +
		`Return All, pages of 1,000); n8n saves each execution's items in PostgreSQL. Quota-bound minimum = MDE calls answered ÷ ${QUOTA} per quota minute. Both sides share this 2-core machine with the emulator, PostgreSQL and Redis.`,
	async setup(env) {
		console.error('[bench queue] building and packing the package, starting PostgreSQL, Redis, n8n main and 2 workers…');
		const build = await run('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, timeoutMs: 300_000 });
		if (build.code !== 0) throw new Error(`npm run build failed: ${build.stderr.slice(-500)}`);
		const tarball = await packPackage(REPO_ROOT);
		const cluster = await createQueueCluster({
			line: 1,
			tarball,
			workers: 2,
			concurrency: 5,
			timeScale: SCALE,
			log: (s) => console.error(`[bench queue] ${s}`),
		});
		env.state.queue = { cluster } as QueueState;
		await cluster.importCredentials([
			{ ...CRED, type: 'microsoftDefenderEntraAppApi', data: emulatorCredentials({ httpUrl: env.url }, { app: 'full', tenant: 'A' }) },
		]);
		await cluster.importWorkflows([BULK_WF, LIST_WF], [BULK_WF.id, LIST_WF.id]);
		await cluster.start();
		await cluster.main!.waitForWebhook('bench/isolate');
		await cluster.main!.waitForWebhook('bench/list');
		const api = await setupOwnerAndLogin(cluster.main!);
		const token = await rawToken(env.client, env.url, SCOPES.mde);
		const machines = (await rawPages(env.client, `${env.url}/api/machines`, token)) as IDataObject[];
		Object.assign(env.state.queue as QueueState, { api, nextMachine: 0, machines: machines.map((m) => String(m.id)) });
	},
	async teardown(env) {
		await (env.state.queue as QueueState | undefined)?.cluster.stop();
	},
	node: (env) => measure(env, 2),
	baseline: (env) => measure(env, 1),
	rows(r) {
		const t = r.timing;
		const ratio = (a: string, b: string) => (t[a] ?? []).map((v, k) => v / (t[b]?.[k] ?? Number.NaN));
		const zero = (v: number[] | undefined) => (v ?? []).length > 0 && (v ?? []).every((x) => x === 0);
		return [
			{ metric: 'bulk isolation wall time, 1 worker', values: t['baseline.bulkMs'], unit: 'ms' },
			{ metric: 'bulk isolation wall time, 2 workers', values: t['node.bulkMs'], unit: 'ms' },
			{ metric: 'bulk: 2 workers ÷ 1 worker', values: ratio('node.bulkMs', 'baseline.bulkMs'), unit: '×' },
			{ metric: 'bulk quota-bound minimum (MDE calls ÷ quota)', values: t['node.minimumMs'], unit: 'ms' },
			{ metric: '429 answers absorbed, 1 worker', values: t['baseline.throttled'], unit: 'answers' },
			{ metric: '429 answers absorbed, 2 workers', values: t['node.throttled'], unit: 'answers' },
			{ metric: 'isolations accepted, 2 workers', values: t['node.accepted'], unit: 'POSTs' },
			{
				metric: 'failed executions (both sides)',
				values: [...(t['node.failedExecutions'] ?? []), ...(t['baseline.failedExecutions'] ?? [])],
				unit: 'executions',
				target: '= 0',
				pass: zero([...(t['node.failedExecutions'] ?? []), ...(t['baseline.failedExecutions'] ?? [])]),
			},
			{ metric: `Return All listing ×${LISTINGS} wall time, 1 worker`, values: t['baseline.listMs'], unit: 'ms' },
			{ metric: `Return All listing ×${LISTINGS} wall time, 2 workers`, values: t['node.listMs'], unit: 'ms' },
			{ metric: 'listing: 2 workers ÷ 1 worker', values: ratio('node.listMs', 'baseline.listMs'), unit: '×' },
		];
	},
};
