/* eslint-disable @n8n/community-nodes/no-restricted-globals */
/**
 * The benchmark cases. Each drives the real node code through the test harness (`runNode` /
 * `runPoll`: the same execution path the tests use, over real HTTP to the emulator) beside a
 * raw-HTTP baseline written with axios, in the same process, runs interleaved.
 */
import type { AxiosInstance } from 'axios';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { PAGE_LIMITS } from '../nodes/MicrosoftDefender/helpers/limits';
import { SETTLE_SECONDS } from '../nodes/MicrosoftDefender/helpers/pollState';
import { resetTransportState, transportTuning } from '../nodes/MicrosoftDefender/transport';
import { runNode, runPoll } from '../test/harness';
import {
	type Control,
	type LogEntry,
	isApiCall,
	isTokenCall,
	medianAtMost,
	memoryRows,
	rawPages,
	rawToken,
	SCOPES,
	sleep,
} from './lib';
import { liveResponseCase } from './liveResponse.case';
import { MicrosoftDefender, MicrosoftDefenderTrigger } from './nodes';
import { queueCase } from './queue';

export interface CaseEnv {
	url: string;
	quick: boolean;
	control: Control;
	client: AxiosInstance;
	credentials: ICredentialDataDecryptedObject;
	/** Free-form state the case's setup keeps for its runs. */
	state: Record<string, unknown>;
}

/** Metrics of one run of one side (numbers only). */
export type RunMetrics = Record<string, number>;

export interface Row {
	metric: string;
	/** One value per run (median/min/max are shown) or a single value. */
	values: number[];
	unit: string;
	target?: string;
	/** undefined = informational. */
	pass?: boolean;
	note?: string;
}

export interface MemoryResult {
	rssBefore: number;
	maxRss: number;
	extra: RunMetrics;
}

export interface CaseResults {
	/** `node.<metric>` / `baseline.<metric>` → one value per measured run. */
	timing: Record<string, number[]>;
	/** One result per fresh process. */
	memory: { node: MemoryResult[]; baseline: MemoryResult[] };
}

export interface CaseDef {
	name: string;
	title(quick: boolean): string;
	emulator(quick: boolean): Record<string, unknown>;
	runs(quick: boolean): number;
	warmups(quick: boolean): number;
	/** Measure peak RSS per side in separate processes. */
	memory?: boolean;
	/** Start a new emulator for every run (runs would otherwise see each other's data). */
	freshEmulatorPerRun?: boolean;
	setup?(env: CaseEnv): Promise<void>;
	/** After the last run (stop what setup started). */
	teardown?(env: CaseEnv): Promise<void>;
	/** Before each run of either side (not timed). */
	beforeRun?(env: CaseEnv): Promise<void>;
	node(env: CaseEnv, warmup: boolean): Promise<RunMetrics>;
	baseline?(env: CaseEnv, warmup: boolean): Promise<RunMetrics>;
	rows(r: CaseResults, quick: boolean): Row[];
	/** How the numbers were obtained, for the doc. */
	method: string;
}

const node = new MicrosoftDefender();

/** Wall time and this process's CPU time (user + system; the emulator runs in another process). */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
	const c0 = process.cpuUsage();
	const t0 = process.hrtime.bigint();
	const value = await fn();
	const ms = Number(process.hrtime.bigint() - t0) / 1e6;
	const c = process.cpuUsage(c0);
	return { ms, cpuMs: (c.user + c.system) / 1000, value };
}

async function calls(env: CaseEnv): Promise<{ api: LogEntry[]; token: LogEntry[] }> {
	const log = await env.control.log();
	return { api: log.filter(isApiCall), token: log.filter(isTokenCall) };
}

const ratioValues = (t: Record<string, number[]>, a: string, b: string) =>
	(t[a] ?? []).map((v, k) => v / (t[b]?.[k] ?? Number.NaN));

const all = (values: number[], v: number) => values.length > 0 && values.every((x) => x === v);

/** Wall and CPU time rows; `target` = the wall-time ratio target (median of per-run ratios). */
function timeRows(t: Record<string, number[]>, target?: number): Row[] {
	const wall = ratioValues(t, 'node.ms', 'baseline.ms');
	const cpu = ratioValues(t, 'node.cpuMs', 'baseline.cpuMs');
	const rows: Row[] = [
		{ metric: 'wall time, node', values: t['node.ms'], unit: 'ms' },
		{ metric: 'wall time, baseline', values: t['baseline.ms'], unit: 'ms' },
		{
			metric: 'wall-time ratio node / baseline (per run pair)',
			values: wall,
			unit: '×',
			...(target !== undefined && { target: `≤ ${target} (median)`, pass: medianAtMost(wall, target) }),
		},
	];
	if (t['node.cpuMs'] && t['baseline.cpuMs']) {
		rows.push(
			{ metric: 'client CPU time, node', values: t['node.cpuMs'], unit: 'ms' },
			{ metric: 'client CPU time, baseline', values: t['baseline.cpuMs'], unit: 'ms' },
			{ metric: 'CPU-time ratio node / baseline (per run pair)', values: cpu, unit: '×' },
		);
	}
	return rows;
}

/* ------------------------------------------------------------------ list 100k alerts */

function listAlertsCase(api: 'mde' | 'graph'): CaseDef {
	const size = (q: boolean) => (q ? 3000 : 100_000);
	const endpoint = api === 'mde' ? PAGE_LIMITS.mdeAlerts : PAGE_LIMITS.graphAlerts;
	const path = api === 'mde' ? '/api/alerts' : '/v1.0/security/alerts_v2';
	const first = (env: CaseEnv) =>
		api === 'mde' ? `${env.url}${path}` : `${env.url}${path}?%24top=${endpoint.maxPageSize}`;
	return {
		name: `alerts-${api}`,
		title: (q) =>
			`list ${size(q).toLocaleString('en-US')} alerts, ${api === 'mde' ? 'MDE' : 'Graph'} path`,
		emulator: (q) => ({
			sizes: { alerts: size(q), incidents: 50, machines: 50, huntingRows: 10 },
			quotas: false,
		}),
		runs: (q) => (q ? 2 : 7),
		warmups: () => 1,
		memory: true,
		method:
			`Node: Alert → Get Many, API ${api}, Return All, Simplify off (records as returned). Baseline: axios, one token request, ` +
			(api === 'mde'
				? 'then GET /api/alerts without $top following @odata.nextLink (pages of 10,000: the fewest calls possible).'
				: 'then GET alerts_v2?$top=1000 following @odata.nextLink (1,000 = the Graph page cap).') +
			' Token and pacing state are reset before every run, so each run of both sides includes one token request. Emulator quotas off.',
		async setup(env) {
			// Total size of the JSON bodies, read once as text.
			const token = await rawToken(env.client, env.url, api === 'mde' ? SCOPES.mde : SCOPES.graph);
			let bytes = 0;
			let next: string | undefined = first(env);
			while (next) {
				const res: { data: unknown } = await env.client.get(next, {
					headers: { Authorization: `Bearer ${token}` },
					responseType: 'text',
				});
				bytes += Buffer.byteLength(res.data as string);
				next = (JSON.parse(res.data as string) as { '@odata.nextLink'?: string })[
					'@odata.nextLink'
				];
			}
			env.state.responseBytes = bytes;
		},
		async beforeRun(env) {
			resetTransportState();
			await env.control.clearLog();
		},
		async node(env) {
			const { ms, cpuMs, value } = await timed(() =>
				runNode(node, {
					parameters: {
						resource: 'alert',
						operation: 'getAll',
						api,
						returnAll: true,
						simplify: false,
					},
					credentials: env.credentials,
				}),
			);
			const c = await calls(env);
			const items = value[0].length;
			if (items !== size(env.quick))
				throw new Error(`node returned ${items} alerts, expected ${size(env.quick)}`);
			return {
				ms,
				cpuMs,
				calls: c.api.length,
				tokens: c.token.length,
				items,
				responseBytes: Number(env.state.responseBytes ?? 0),
			};
		},
		async baseline(env) {
			const { ms, cpuMs, value } = await timed(async () => {
				const token = await rawToken(
					env.client,
					env.url,
					api === 'mde' ? SCOPES.mde : SCOPES.graph,
				);
				return rawPages(env.client, first(env), token);
			});
			const c = await calls(env);
			if (value.length !== size(env.quick)) throw new Error(`baseline got ${value.length} alerts`);
			return { ms, cpuMs, calls: c.api.length, tokens: c.token.length, items: value.length };
		},
		rows(r, q) {
			const t = r.timing;
			const min = Math.ceil(size(q) / endpoint.maxPageSize);
			return [
				{
					metric: 'API calls, node',
					values: t['node.calls'],
					unit: 'calls',
					target: `= ${min} (⌈${size(q)} / ${endpoint.maxPageSize}⌉)`,
					pass: all(t['node.calls'], min),
				},
				{ metric: 'API calls, baseline', values: t['baseline.calls'], unit: 'calls' },
				{ metric: 'token requests per run, node', values: t['node.tokens'], unit: 'requests' },
				...timeRows(t, 1.15),
				{
					metric: 'response size (all pages)',
					values: [(t['node.responseBytes']?.[0] ?? 0) / 2 ** 20],
					unit: 'MiB',
				},
				...memoryRows(r, { bytes: t['node.responseBytes']?.[0] ?? 0, what: 'response size' }),
			];
		},
	};
}

/* ------------------------------------------------------------------ token reuse */

const tokenCase: CaseDef = {
	name: 'token-reuse',
	title: (q) => `token reuse, ${q ? 50 : 1000} items over two audiences`,
	emulator: (q) => ({
		sizes: { alerts: q ? 50 : 1000, incidents: 20, machines: 20, huntingRows: 10 },
		quotas: false,
	}),
	runs: (q) => (q ? 2 : 5),
	warmups: () => 1,
	method:
		'Node: Alert → Get, one execution with N input items, the API chosen per item by expression ({{ $json.api }}: even items Graph, odd items MDE), then a second execution with the same credential. ' +
		'Token cache reset before each run (not between the two executions). Baseline: axios, one token per audience, the same N GETs. ' +
		'Emulator quotas off and the transport pacing clock compressed ×1000 (pacing is not what this case measures; 500 MDE calls would otherwise take 5.5 minutes).',
	async setup(env) {
		const token = await rawToken(env.client, env.url, SCOPES.mde);
		const alerts = (await rawPages(env.client, `${env.url}/api/alerts`, token)) as IDataObject[];
		env.state.items = alerts.map((a, k) => ({
			json: { id: String(a.id), api: k % 2 ? 'mde' : 'graph' },
		}));
	},
	async beforeRun(env) {
		resetTransportState();
		transportTuning.timeScale = 1000;
		await env.control.clearLog();
	},
	async node(env) {
		const items = env.state.items as INodeExecutionData[];
		const parameters = {
			resource: 'alert',
			operation: 'get',
			api: '={{ $json.api }}',
			alertId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
		};
		const { ms, cpuMs, value } = await timed(() =>
			runNode(node, { parameters, items, credentials: env.credentials }),
		);
		if (value[0].length !== items.length) throw new Error(`node returned ${value[0].length} items`);
		const first = await calls(env);
		await env.control.clearLog();
		await runNode(node, { parameters, items: items.slice(0, 10), credentials: env.credentials });
		const second = await calls(env);
		transportTuning.timeScale = 1;
		const aud = (a: string) =>
			first.token.filter((e) => (e.scope ?? e.audience ?? '').includes(a)).length;
		return {
			ms,
			cpuMs,
			items: items.length,
			apiCalls: first.api.length,
			tokensMde: aud('securitycenter'),
			tokensGraph: aud('graph.microsoft.com'),
			tokensTotal: first.token.length,
			tokensSecondExecution: second.token.length,
		};
	},
	async baseline(env) {
		const items = env.state.items as INodeExecutionData[];
		const { ms, cpuMs } = await timed(async () => {
			const tokens = {
				mde: await rawToken(env.client, env.url, SCOPES.mde),
				graph: await rawToken(env.client, env.url, SCOPES.graph),
			};
			for (const it of items) {
				const api = it.json.api as 'mde' | 'graph';
				const id = encodeURIComponent(String(it.json.id));
				const url =
					api === 'mde'
						? `${env.url}/api/alerts/${id}`
						: `${env.url}/v1.0/security/alerts_v2/${id}`;
				await env.client.get(url, { headers: { Authorization: `Bearer ${tokens[api]}` } });
			}
		});
		const c = await calls(env);
		return { ms, cpuMs, apiCalls: c.api.length, tokensTotal: c.token.length };
	},
	rows(r) {
		const t = r.timing;
		return [
			{
				metric: 'token requests, MDE audience',
				values: t['node.tokensMde'],
				unit: 'requests',
				target: '= 1',
				pass: all(t['node.tokensMde'], 1),
			},
			{
				metric: 'token requests, Graph audience',
				values: t['node.tokensGraph'],
				unit: 'requests',
				target: '= 1',
				pass: all(t['node.tokensGraph'], 1),
			},
			{
				metric: 'token requests, second execution',
				values: t['node.tokensSecondExecution'],
				unit: 'requests',
				target: '= 0',
				pass: all(t['node.tokensSecondExecution'], 0),
			},
			{ metric: 'API calls, node', values: t['node.apiCalls'], unit: 'calls' },
			...timeRows(t),
		];
	},
};

/* ------------------------------------------------------------------ bulk isolate under quota */

const BULK_SCALE = 60;
const BULK_QUOTA = 100;
const scaledMinuteMs = 60_000 / BULK_SCALE;

function bulkCase(reuse: boolean): CaseDef {
	const count = (q: boolean) => (q ? 60 : 500);
	return {
		name: reuse ? 'bulk-isolate' : 'bulk-isolate-noreuse',
		title: (q) =>
			`isolate ${count(q)} machines under a ${BULK_QUOTA}/min quota (×${BULK_SCALE} time)${reuse ? '' : ', Reuse Pending Action off'}`,
		emulator: (q) => ({
			sizes: { machines: count(q) + 10, alerts: 10, incidents: 3, huntingRows: 10 },
			timeScale: BULK_SCALE,
			quotas: { mde: { perMinute: BULK_QUOTA, perHour: 1500 } },
			actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 },
		}),
		runs: (q) => (q ? 1 : 3),
		warmups: () => 0,
		method:
			`Node: Machine → Isolate, one execution with N items (distinct machines), Continue On Fail on, ` +
			(reuse
				? 'default options (Reuse Pending Action on: the node first looks for pending actions of the same type, then POSTs). '
				: 'Reuse Pending Action off (1 call per item). ') +
			`Emulator MDE quota ${BULK_QUOTA}/min and 1,500/h in fixed windows, time compressed ×${BULK_SCALE} (a quota minute lasts ${scaledMinuteMs} ms); ` +
			`the transport pacer runs on the same compressed clock (transportTuning.timeScale = ${BULK_SCALE}). ` +
			'Quota-bound minimum = calls ÷ 100 per minute (steady rate). Baseline: axios, one POST per machine, on 429 waits Retry-After and repeats. ' +
			'Emulator reset (stores, quotas, log) before each run.',
		async beforeRun(env) {
			await env.control.reset();
			const token = await rawToken(env.client, env.url, SCOPES.mde);
			const machines = (await rawPages(
				env.client,
				`${env.url}/api/machines`,
				token,
			)) as IDataObject[];
			env.state.machines = machines.slice(0, count(env.quick)).map((m) => String(m.id));
			resetTransportState();
			transportTuning.timeScale = BULK_SCALE;
			await env.control.resetQuotas();
			await env.control.clearLog();
		},
		async node(env) {
			const ids = env.state.machines as string[];
			const items = ids.map((id) => ({ json: { machineId: id } }));
			const { ms, value } = await timed(() =>
				runNode(node, {
					parameters: {
						resource: 'machine',
						operation: 'isolate',
						machineId: { __rl: true, mode: 'id', value: '={{ $json.machineId }}' },
						comment: 'bench: bulk containment',
						...(reuse ? {} : { options: { reusePendingAction: false } }),
					},
					items,
					credentials: env.credentials,
					continueOnFail: true,
				}),
			);
			transportTuning.timeScale = 1;
			const out = value[0];
			const failed = out.filter((o) => o.json.error !== undefined).length;
			const c = await calls(env);
			const throttled = c.api.filter((e) => e.status === 429).length;
			const posts = c.api.filter(
				(e) => e.method === 'POST' && e.path.endsWith('/isolate') && e.status === 201,
			).length;
			const apiCalls = c.api.length;
			return {
				ms,
				items: out.length,
				failed,
				throttled,
				posts,
				apiCalls,
				ratio: ms / ((apiCalls / BULK_QUOTA) * scaledMinuteMs),
				ratioEssential: ms / ((ids.length / BULK_QUOTA) * scaledMinuteMs),
			};
		},
		async baseline(env) {
			const ids = env.state.machines as string[];
			let retries = 0;
			let failed = 0;
			const { ms } = await timed(async () => {
				const token = await rawToken(env.client, env.url, SCOPES.mde);
				for (const id of ids) {
					for (;;) {
						const res = await env.client.post(
							`${env.url}/api/machines/${id}/isolate`,
							{ Comment: 'bench: bulk containment', IsolationType: 'Full' },
							{ headers: { Authorization: `Bearer ${token}` }, validateStatus: () => true },
						);
						if (res.status === 429) {
							retries++;
							await sleep(Number(res.headers['retry-after'] ?? 1) * 1000);
							continue;
						}
						if (res.status !== 201) failed++;
						break;
					}
				}
			});
			const c = await calls(env);
			return {
				ms,
				failed,
				throttled: c.api.filter((e) => e.status === 429).length,
				apiCalls: c.api.length,
				retries,
				ratioEssential: ms / ((ids.length / BULK_QUOTA) * scaledMinuteMs),
			};
		},
		rows(r, q) {
			const t = r.timing;
			return [
				{
					metric: 'failed items, node',
					values: t['node.failed'],
					unit: 'items',
					target: '= 0',
					pass: all(t['node.failed'], 0),
				},
				{
					metric: '429 answers seen by the node',
					values: t['node.throttled'],
					unit: 'answers',
					target: '= 0',
					pass: all(t['node.throttled'], 0),
				},
				{
					metric: 'isolations accepted (201), node',
					values: t['node.posts'],
					unit: 'POSTs',
					target: `= ${count(q)}`,
					pass: all(t['node.posts'], count(q)),
				},
				{ metric: 'API calls, node', values: t['node.apiCalls'], unit: 'calls' },
				{ metric: 'wall time, node', values: t['node.ms'], unit: 'ms' },
				{
					metric: "node time ÷ quota-bound minimum for the node's calls",
					values: t['node.ratio'],
					unit: '×',
					target: '≤ 1.1 (median)',
					pass: medianAtMost(t['node.ratio'], 1.1),
				},
				{
					metric: `node time ÷ quota-bound minimum for ${count(q)} calls (one per item)`,
					values: t['node.ratioEssential'],
					unit: '×',
				},
				{
					metric: 'wall time, baseline (no pacing, honours Retry-After)',
					values: t['baseline.ms'],
					unit: 'ms',
				},
				{
					metric: '429 answers seen by the baseline',
					values: t['baseline.throttled'],
					unit: 'answers',
				},
				{
					metric: `baseline time ÷ quota-bound minimum for ${count(q)} calls`,
					values: t['baseline.ratioEssential'],
					unit: '×',
				},
			];
		},
	};
}

/* ------------------------------------------------------------------ hunting 100k rows */

const HUNT = (q: boolean) => (q ? 2000 : 100_000);
const huntQuery = (q: boolean) => `DeviceProcessEvents | take ${HUNT(q)}`;

const huntingCase: CaseDef = {
	name: 'hunting',
	title: (q) => `advanced hunting, ${HUNT(q).toLocaleString('en-US')} rows (Graph runHuntingQuery)`,
	emulator: (q) => ({
		sizes: { huntingRows: HUNT(q), alerts: 100, incidents: 10, machines: 50 },
		quotas: false,
	}),
	runs: (q) => (q ? 2 : 5),
	warmups: () => 1,
	memory: true,
	method:
		`Node: Advanced Hunting → Run Query, API Graph, output One Item per Row, query \`${huntQuery(false)}\`. ` +
		'Baseline: axios, one token request, POST /v1.0/security/runHuntingQuery, rows taken from `results`. ' +
		'Response size = bytes of the JSON body (measured once with a raw call). Peak RSS from process.resourceUsage().maxRSS in a fresh process per side; ' +
		'"growth" = peak minus the RSS just before the run (after imports). Emulator quotas off; the transport pacer runs (45/min hunting bucket, never reached).',
	async setup(env) {
		const token = await rawToken(env.client, env.url, SCOPES.graph);
		const res = await env.client.post(
			`${env.url}/v1.0/security/runHuntingQuery`,
			{ Query: huntQuery(env.quick) },
			{ headers: { Authorization: `Bearer ${token}` }, responseType: 'arraybuffer' },
		);
		env.state.responseBytes = (res.data as Buffer).byteLength;
	},
	async beforeRun(env) {
		resetTransportState();
		await env.control.clearLog();
	},
	async node(env) {
		const { ms, cpuMs, value } = await timed(() =>
			runNode(node, {
				parameters: {
					resource: 'advancedHunting',
					operation: 'runQuery',
					api: 'graph',
					query: huntQuery(env.quick),
					output: 'perRow',
				},
				credentials: env.credentials,
			}),
		);
		if (value[0].length !== HUNT(env.quick))
			throw new Error(`node returned ${value[0].length} rows`);
		return {
			ms,
			cpuMs,
			rows: value[0].length,
			responseBytes: Number(env.state.responseBytes ?? 0),
		};
	},
	async baseline(env) {
		const { ms, cpuMs, value } = await timed(async () => {
			const token = await rawToken(env.client, env.url, SCOPES.graph);
			const res = await env.client.post(
				`${env.url}/v1.0/security/runHuntingQuery`,
				{ Query: huntQuery(env.quick) },
				{ headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
			);
			return (res.data as { results: unknown[] }).results;
		});
		if (value.length !== HUNT(env.quick)) throw new Error(`baseline got ${value.length} rows`);
		return { ms, cpuMs, rows: value.length };
	},
	rows(r) {
		const t = r.timing;
		const bytes = t['node.responseBytes']?.[0];
		return [
			{ metric: 'response size', values: [bytes / 2 ** 20], unit: 'MiB' },
			...timeRows(t),
			...memoryRows(r, { bytes, what: 'response size', target: { max: 2, text: '≤ 2 (median)' } }),
		];
	},
};

/* ------------------------------------------------------------------ trigger polls */

const HISTORY = (q: boolean) => (q ? 2000 : 100_000);
const BURSTS = (q: boolean) => (q ? [0, 10, 100] : [0, 10, 1000]);

function triggerCase(quiet: boolean): CaseDef {
	return {
		name: quiet ? 'trigger' : 'trigger-recent-history',
		freshEmulatorPerRun: true,
		title: (q) =>
			`trigger polls over a ${HISTORY(q).toLocaleString('en-US')}-alert history` +
			(quiet
				? ' (newest history change 20 min old)'
				: ' (history as generated: many changes in the last 10 min)'),
		emulator: (q) => ({
			sizes: { alerts: HISTORY(q), incidents: 50, machines: 50, huntingRows: 10 },
			quotas: false,
			// Recent history: generated 3 minutes back, so it sits inside the 10-minute overlap but
			// outside the activation grace (2 min) the first poll emits.
			historyAgeMs: quiet ? 20 * 60_000 : 3 * 60_000,
		}),
		runs: (q) => (q ? 1 : 3),
		warmups: () => 0,
		method:
			'Node: Microsoft Defender Trigger, event New Alert (Graph alerts_v2), default options (overlap 10 min, max 1,000 events per poll, page size 1,000), fresh static data and a fresh emulator per run: ' +
			'an activation poll, then polls after 0, 10 and 1,000 new alerts (added through the emulator control route, stamped 7 s before the poll: the trigger reads closed windows ending 5 s behind the clock, every page of each, with no $orderby, against the emulator\'s strict order: $orderby ignored, pages in no time order). ' +
			'Calls per poll are API calls in the emulator log (tokens excluded). Minimum = ⌈new events ÷ 1,000⌉, at least 1. ' +
			(quiet
				? 'The history was generated with the emulator clock 20 minutes back, so no history record falls inside the 10-minute overlap window.'
				: 'The emulator generator stamps a few per cent of the history (3,248 of 100,000 alerts at seed 1) with the generation time, here 3 minutes back: they sit inside the overlap window of every poll in this case (a burst of recent changes), outside the 2-minute activation grace.'),
		async beforeRun(env) {
			resetTransportState();
			await env.control.clearLog();
		},
		async node(env) {
			const staticData: IDataObject = {};
			const trigger = new MicrosoftDefenderTrigger();
			const poll = async () => {
				await env.control.clearLog();
				const { ms, value } = await timed(() =>
					runPoll(trigger, {
						parameters: { event: 'newAlert' },
						credentials: env.credentials,
						staticData,
						mode: 'trigger',
					}),
				);
				const c = await calls(env);
				return { ms, items: value ? value[0].length : 0, calls: c.api.length };
			};
			const out: RunMetrics = {};
			const act = await poll();
			out.activationCalls = act.calls;
			for (const n of BURSTS(env.quick)) {
				if (n > 0)
					// Stamped behind the trigger's settle time (its closed window ends at now − 5 s).
					await env.control.store('addAlerts', [n, { at: Date.now() - (SETTLE_SECONDS + 2) * 1000, spreadMs: 500 }]);
				await sleep(600);
				const p = await poll();
				if (p.items !== n) throw new Error(`poll after ${n} new alerts emitted ${p.items} items`);
				out[`calls${n}`] = p.calls;
				out[`ms${n}`] = p.ms;
			}
			return out;
		},
		rows(r, q) {
			const t = r.timing;
			const rows: Row[] = [
				{ metric: 'activation poll, calls', values: t['node.activationCalls'], unit: 'calls' },
			];
			for (const n of BURSTS(q)) {
				const min = Math.max(1, Math.ceil(n / 1000));
				rows.push({
					metric: `poll with ${n.toLocaleString('en-US')} new alerts, calls`,
					values: t[`node.calls${n}`],
					unit: 'calls',
					target: `= ${min}`,
					pass: all(t[`node.calls${n}`], min),
				});
				rows.push({
					metric: `poll with ${n.toLocaleString('en-US')} new alerts, wall time`,
					values: t[`node.ms${n}`],
					unit: 'ms',
				});
			}
			return rows;
		},
	};
}

export const CASES: CaseDef[] = [
	listAlertsCase('mde'),
	listAlertsCase('graph'),
	tokenCase,
	bulkCase(true),
	bulkCase(false),
	huntingCase,
	triggerCase(true),
	triggerCase(false),
	liveResponseCase('filesystem'),
	liveResponseCase('default'),
	queueCase,
];
