/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console */
/**
 * The package in n8n's queue mode, on each pinned n8n line: PostgreSQL + Redis + n8n main + 2
 * workers (scripts/n8n/queue.ts), the package installed in every process's own user folder,
 * against the emulator on loopback. The emulator's log tags every request with the n8n process
 * that sent it (main, worker1, worker2).
 *
 * 1. Two published triggers (new alerts, new incidents) run in main while alerts and incidents are
 *    injected over several polls, including late arrivals: each is emitted exactly once.
 * 2. The example webhook workflow isolates and releases a machine, answered through the cluster.
 * 3. 500 isolations in 10 concurrent executions spread over both workers, under the MDE quota of
 *    100 calls/min time-compressed ×60 (a quota minute lasts 1 s): 0 failed items, no machine
 *    action created twice, at most one token request per worker and audience.
 * 4. A worker is killed (SIGKILL) in the middle of a bulk isolation and restarted: no action is
 *    created twice and every item is accounted for.
 * The triggers keep polling (once a minute) while 2–4 run; their check comes last.
 * QUEUE_E2E=0 skips this file (it needs redis-server and postgresql: scripts/ci/services.sh).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { emulatorCredentials } from '../harness';
import { FIXTURE, startEmulator, type EmulatorHandle, type RequestLogEntry } from '../emulator';
import { REPO_ROOT, setupOwnerAndLogin, waitFor, type N8nLine, type N8nRest } from '../../scripts/n8n/harness';
import { createQueueCluster, type QueueCluster } from '../../scripts/n8n/queue';
import { e2eLines } from './global-setup';

const TIME_SCALE = 60;
const MDE_QUOTA = 100;
const BULK_EXECUTIONS = 10;
const BULK_PER_EXECUTION = 50;
const KILL_BATCH = 150;
const CRED = { id: 'defenderDemoCredential', name: 'Microsoft Defender (demo emulator)' };
const CRED_REF = { microsoftDefenderEntraAppApi: CRED };
const DEFENDER = 'n8n-nodes-microsoft-defender.microsoftDefender';
const TRIGGER = 'n8n-nodes-microsoft-defender.microsoftDefenderTrigger';

type Json = Record<string, unknown>;

function triggerWorkflow(id: string, event: 'newAlert' | 'newIncident'): Json {
	return {
		id,
		name: `queue e2e: ${event}`,
		nodes: [
			{
				id: `${id}-node-0000-0000-000000000001`.slice(0, 36),
				name: 'Trigger',
				type: TRIGGER,
				typeVersion: 1,
				position: [0, 0],
				parameters: { pollTimes: { item: [{ mode: 'everyMinute' }] }, event },
				credentials: CRED_REF,
			},
		],
		connections: {},
	};
}

/** Webhook (answers at once) → Split Out body.machines → Isolate each machine (Continue On Fail). */
function bulkWorkflow(id: string, path: string): Json {
	return {
		id,
		name: `queue e2e: bulk isolate (${path})`,
		nodes: [
			{
				id: 'b0000000-0000-4000-8000-000000000001',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: `b0000000-0000-4000-8000-${path.length.toString().padStart(12, '0')}`,
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
			},
			{
				id: 'b0000000-0000-4000-8000-000000000002',
				name: 'Split Out',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				position: [220, 0],
				parameters: { fieldToSplitOut: 'body.machines', options: {} },
			},
			{
				id: 'b0000000-0000-4000-8000-000000000003',
				name: 'Isolate',
				type: DEFENDER,
				typeVersion: 1,
				position: [440, 0],
				onError: 'continueRegularOutput',
				parameters: {
					resource: 'machine',
					operation: 'isolate',
					machineId: { __rl: true, mode: 'id', value: '={{ $json.machineId }}' },
					comment: 'queue e2e: bulk containment',
				},
				credentials: CRED_REF,
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
			'Split Out': { main: [[{ node: 'Isolate', type: 'main', index: 0 }]] },
		},
	};
}

const TRIGGER_ALERTS = triggerWorkflow('queueE2eAlertTrg', 'newAlert');
const TRIGGER_INCIDENTS = triggerWorkflow('queueE2eIncTrig1', 'newIncident');
const BULK = bulkWorkflow('queueE2eBulkIso1', 'queue-e2e/isolate');
const KILL = bulkWorkflow('queueE2eKillIso1', 'queue-e2e/isolate-kill');
const WEBHOOK_EXAMPLE = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', '2-webhook-isolate-or-release.json'), 'utf8')) as Json;

function isToken(e: RequestLogEntry): boolean {
	return e.family === 'entra' && e.path.endsWith('/oauth2/v2.0/token');
}

function machineOfPost(e: RequestLogEntry): string | undefined {
	return /\/api\/machines\/([^/]+)\/isolate$/i.exec(e.path)?.[1];
}

async function postJson(url: string, body: unknown): Promise<{ status: number; body: Json }> {
	const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
	const text = await r.text();
	let parsed: Json = {};
	try {
		parsed = JSON.parse(text) as Json;
	} catch {
		parsed = { text };
	}
	return { status: r.status, body: parsed };
}

interface Finished {
	id: string;
	status?: string;
	items: Json[];
	error?: string;
}

/** Wait until `count` executions of a workflow have finished; return their Isolate outputs. */
async function finishedExecutions(api: N8nRest, line: N8nLine, workflowId: string, count: number, timeoutMs: number): Promise<Finished[]> {
	const done = new Set(['success', 'error', 'crashed', 'canceled']);
	const list = await waitFor(async () => {
		const l = await api.listExecutions(workflowId);
		return l.length >= count && l.every((e) => e.status && done.has(e.status)) ? l : undefined;
	}, timeoutMs, 1000);
	const out: Finished[] = [];
	for (const e of list) {
		const full = await api.getExecution(e.id, line);
		const runs = full.data?.resultData.runData.Isolate ?? [];
		const items = runs.flatMap((r) => (r.data?.main?.[0] ?? []).map((it) => it.json));
		const err = full.data?.resultData.error;
		out.push({ id: e.id, status: full.status ?? e.status, items, error: err ? String(err.message ?? JSON.stringify(err)) : undefined });
	}
	return out;
}

// QUEUE_E2E=0 skips the queue-mode suite (e.g. on a machine without redis-server/postgresql).
const describeQueue = process.env.QUEUE_E2E === '0' ? describe.skip : describe;

describeQueue.each(e2eLines())('real n8n line %i in queue mode (PostgreSQL, Redis, main + 2 workers)', (line) => {
	let emu: EmulatorHandle;
	let cluster: QueueCluster;
	let api: N8nRest;
	let t0 = Date.now(); // reset in beforeAll: describe.each collects every line's block up front
	const report: string[] = [];
	const store = () => emu.store(FIXTURE.tenants.A.id);
	const say = (s: string) => {
		report.push(s);
		console.log(`[queue e2e line ${line}] ${s}`);
	};
	let alertsBefore = new Set<string>();
	let incidentsBefore = new Set<string>();

	beforeAll(async () => {
		t0 = Date.now();
		emu = await startEmulator({
			seed: 14,
			sizes: { machines: BULK_EXECUTIONS * BULK_PER_EXECUTION + KILL_BATCH + 10, alerts: 20, incidents: 6, huntingRows: 10 },
			timeScale: TIME_SCALE,
			quotas: { mde: { perMinute: MDE_QUOTA, perHour: 1500 } },
			// Bulk isolations stay pending for the whole test (a re-run must find them, not repeat them).
			actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 },
		});
		// History generated 30 minutes back: the trigger's first poll emits what changed in the 2
		// minutes before it (activation grace), and nothing generated may count as injected.
		emu.setNow(Date.now() - 30 * 60_000);
		store();
		emu.useRealTime();
		cluster = await createQueueCluster({
			line,
			tarball: process.env.E2E_TARBALL as string,
			workers: 2,
			concurrency: 5,
			timeScale: TIME_SCALE,
			log: (s) => say(s),
		});
		await cluster.importCredentials([
			{ ...CRED, type: 'microsoftDefenderEntraAppApi', data: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) },
		]);
		const workflows = [TRIGGER_ALERTS, TRIGGER_INCIDENTS, BULK, KILL, WEBHOOK_EXAMPLE];
		await cluster.importWorkflows(workflows, workflows.map((wf) => String(wf.id)));
		say(`credential and ${workflows.length} workflows imported and published (${Math.round((Date.now() - t0) / 1000)} s)`);
		alertsBefore = new Set((store().alerts as Array<{ id: string }>).map((a) => a.id));
		incidentsBefore = new Set((store().incidents as Array<{ incidentId: number }>).map((i) => String(i.incidentId)));
		emu.clearLog();
		await cluster.start();
		api = await setupOwnerAndLogin(cluster.main!);
		say(`cluster up in ${Math.round((Date.now() - t0) / 1000)} s`);
	}, 15 * 60_000);

	afterAll(async () => {
		await cluster?.stop();
		await emu?.close();
		say(`queue suite wall time ${Math.round((Date.now() - t0) / 1000)} s`);
	}, 120_000);

	// --- 1 (set-up): injections over several polls; checked at the end --------------------------
	const added = { alerts: [] as string[], incidents: [] as string[] };
	// One poll may send several GETs (new records, then a re-read of the overlap window); polls
	// come a minute apart, so requests more than 15 s apart belong to different polls.
	const polls = (what: RegExp) => {
		const times = emu.log
			.filter((e) => e.client === 'main' && e.method === 'GET' && e.status === 200 && what.test(e.path))
			.map((e) => Date.parse(e.time));
		return times.filter((t, k) => k === 0 || t - times[k - 1] > 15_000).length;
	};
	const alertPolls = () => polls(/alerts_v2$/);
	const incidentPolls = () => polls(/security\/incidents$/);
	let injections: Promise<void> | undefined;

	it('1a. both triggers are active in main and poll (activation poll)', async () => {
		await waitFor(async () => alertPolls() >= 1 && incidentPolls() >= 1, 120_000, 500);
		const workerPolls = emu.log.filter((e) => e.client !== 'main' && /alerts_v2$|security\/incidents$/.test(e.path));
		expect(workerPolls).toHaveLength(0);
		// Injections in the background while 2–4 run: new records after each poll, late arrivals
		// (stamped 90 s in the past, before records already emitted) after the second.
		injections = (async () => {
			const after = async (n: number) => waitFor(async () => alertPolls() >= n && incidentPolls() >= n, 150_000, 1000);
			added.alerts.push(store().addAlert({ severity: 'High', title: 'queue e2e 1' }).id, store().addAlert({ title: 'queue e2e 2' }).id);
			added.incidents.push(String(store().addIncident({ incidentName: 'queue e2e incident 1', alerts: 0 }).incidentId));
			await after(2);
			added.alerts.push(store().addAlert({ title: 'queue e2e 3' }).id);
			added.alerts.push(store().addAlert({ title: 'queue e2e late' }, Date.now() - 90_000).id);
			added.incidents.push(String(store().addIncident({ incidentName: 'queue e2e incident late', alerts: 0 }, Date.now() - 90_000).incidentId));
			await after(3);
			added.alerts.push(store().addAlert({ title: 'queue e2e 4' }).id);
			await after(4);
		})();
		injections.catch(() => undefined);
	}, 180_000);

	// --- 2 ---------------------------------------------------------------------------------------
	it('2. a webhook isolates and releases a machine through the cluster (main answers, a worker runs it)', async () => {
		await cluster.main!.waitForWebhook('defender/machine-action');
		const machine = (store().machines as Array<{ id: string; computerDnsName: string }>)[store().machines.length - 1];
		store().setActionBehaviour(machine.id, { pendingMs: 300, inProgressMs: 300 });
		const url = `${cluster.main!.baseUrl}/webhook/defender/machine-action`;
		for (const action of ['isolate', 'release']) {
			const from = emu.log.length;
			const res = await postJson(url, { machine: machine.computerDnsName, action, reason: 'queue e2e' });
			say(`webhook ${action}: HTTP ${res.status}, ${String(res.body.type)} ${String(res.body.status)}`);
			expect(res.status).toBe(200);
			expect(res.body.type).toBe(action === 'isolate' ? 'Isolate' : 'Unisolate');
			expect(res.body.status).toBe('Succeeded');
			expect(res.body.machineId).toBe(machine.id);
			const apiCalls = emu.log.slice(from).filter((e) => e.family === 'mde');
			expect(apiCalls.length).toBeGreaterThan(0);
			expect(apiCalls.every((e) => e.client === 'worker1' || e.client === 'worker2')).toBe(true);
		}
		expect(store().machineState(machine.id).isolated).toBe(false);
	}, 180_000);

	// --- 3 ---------------------------------------------------------------------------------------
	it(`3. ${BULK_EXECUTIONS * BULK_PER_EXECUTION} isolations in ${BULK_EXECUTIONS} concurrent executions over both workers, under the MDE quota`, async () => {
		await cluster.main!.waitForWebhook('queue-e2e/isolate');
		const machines = (store().machines as Array<{ id: string }>).slice(0, BULK_EXECUTIONS * BULK_PER_EXECUTION).map((m) => m.id);
		const from = emu.log.length;
		const started = Date.now();
		const answers = await Promise.all(
			Array.from({ length: BULK_EXECUTIONS }, (_, i) =>
				postJson(`${cluster.main!.baseUrl}/webhook/queue-e2e/isolate`, {
					machines: machines.slice(i * BULK_PER_EXECUTION, (i + 1) * BULK_PER_EXECUTION).map((machineId) => ({ machineId })),
				}),
			),
		);
		expect(answers.every((a) => a.status === 200)).toBe(true);
		const runs = await finishedExecutions(api, line, BULK.id as string, BULK_EXECUTIONS, 300_000);
		const seconds = (Date.now() - started) / 1000;
		const log = emu.log.slice(from);
		const items = runs.flatMap((r) => r.items);
		const failed = items.filter((j) => j.error !== undefined);
		say(`bulk: executions ${runs.map((r) => r.status).join(', ')}`);
		expect(runs.map((r) => r.status)).toEqual(Array(BULK_EXECUTIONS).fill('success'));
		expect(failed).toEqual([]);
		expect(items).toHaveLength(machines.length);
		expect(new Set(items.map((j) => j.machineId)).size).toBe(machines.length);

		const posts = log.filter((e) => e.method === 'POST' && machineOfPost(e));
		const accepted = posts.filter((e) => e.status === 201);
		const perMachine = new Map<string, number>();
		for (const p of accepted) perMachine.set(machineOfPost(p)!, (perMachine.get(machineOfPost(p)!) ?? 0) + 1);
		expect(perMachine.size).toBe(machines.length);
		expect([...perMachine.values()].every((n) => n === 1)).toBe(true);
		for (const id of machines) {
			expect(store().actionsOfMachine(id).filter((a: { type: string }) => a.type === 'Isolate')).toHaveLength(1);
		}
		// Both workers did part of the work; each asked Entra at most once per audience.
		const byWorker = (w: string) => accepted.filter((e) => e.client === w).length;
		expect(byWorker('worker1')).toBeGreaterThan(0);
		expect(byWorker('worker2')).toBeGreaterThan(0);
		const tokens = emu.log.filter((e) => isToken(e) && e.status === 200);
		const tokenKeys = tokens.map((e) => `${e.client}|${e.tenantId}|${e.scope}`);
		for (const k of new Set(tokenKeys)) expect(tokenKeys.filter((x) => x === k)).toHaveLength(1);
		const mdeCalls = log.filter((e) => e.family === 'mde');
		const throttled = mdeCalls.filter((e) => e.status === 429).length;
		const answered = mdeCalls.length - throttled;
		const minimum = answered / MDE_QUOTA; // quota minutes, each 1 s at ×60
		say(
			`bulk: ${items.length} items, 0 failed, ${accepted.length} isolations accepted (worker1 ${byWorker('worker1')}, worker2 ${byWorker('worker2')}), ` +
				`${mdeCalls.length} MDE calls of which ${throttled} answered 429 and absorbed, ${tokens.length} token requests in total; ` +
				`${seconds.toFixed(1)} s from the first webhook to the last finished execution vs ${minimum.toFixed(1)} s quota-bound minimum ` +
				`(${answered} calls ÷ ${MDE_QUOTA}/min ×${TIME_SCALE})`,
		);
	}, 600_000);

	// --- 4 ---------------------------------------------------------------------------------------
	it('4. a worker killed mid bulk isolation and restarted: nothing sent twice, every item accounted for', async () => {
		await cluster.main!.waitForWebhook('queue-e2e/isolate-kill');
		const all = store().machines as Array<{ id: string }>;
		const offset = BULK_EXECUTIONS * BULK_PER_EXECUTION;
		const machines = all.slice(offset, offset + KILL_BATCH).map((m) => m.id);
		const from = emu.log.length;
		// Slow each answer down so the execution is still running when the worker dies.
		emu.faults.latency(60);
		try {
			const answer = await postJson(`${cluster.main!.baseUrl}/webhook/queue-e2e/isolate-kill`, { machines: machines.map((machineId) => ({ machineId })) });
			expect(answer.status).toBe(200);
			const postsSoFar = () => emu.log.slice(from).filter((e) => e.method === 'POST' && machineOfPost(e) && e.status === 201);
			await waitFor(async () => postsSoFar().length >= KILL_BATCH / 3, 120_000, 100);
			const victim = postsSoFar()[0].client!;
			const index = cluster.workerFolders.findIndex((_, i) => cluster.workerName(i) === victim);
			expect(index).toBeGreaterThanOrEqual(0);
			await cluster.killWorker(index, 'SIGKILL');
			const sentBeforeKill = postsSoFar().length;
			say(`killed ${victim} (SIGKILL) after ${sentBeforeKill} of ${KILL_BATCH} isolations; restarting it`);
			await cluster.startWorker(index);
		} finally {
			emu.faults.latency(0);
		}
		// n8n either re-runs the stalled job or marks the execution failed/crashed. The operator's
		// answer to a failed run is to run it again: the node's pending-action check must then
		// find the isolations already created instead of sending them again.
		let runs = await finishedExecutions(api, line, KILL.id as string, 1, 300_000);
		say(`after the kill: execution ${runs[0].id} ended '${runs[0].status}'${runs[0].error ? ` (${runs[0].error})` : ''}, ${runs[0].items.length} items in its output`);
		if (runs[0].status !== 'success') {
			const again = await postJson(`${cluster.main!.baseUrl}/webhook/queue-e2e/isolate-kill`, { machines: machines.map((machineId) => ({ machineId })) });
			expect(again.status).toBe(200);
			runs = await finishedExecutions(api, line, KILL.id as string, 2, 300_000);
		}
		const final = runs.find((r) => r.status === 'success');
		expect(final).toBeDefined();
		const items = final!.items;
		expect(items).toHaveLength(KILL_BATCH);
		const failed = items.filter((j) => j.error !== undefined);
		for (const f of failed) expect(String(f.error)).toMatch(/\w/);
		const done = items.filter((j) => j.error === undefined);
		expect(done.every((j) => typeof j.id === 'string' && j.type === 'Isolate')).toBe(true);
		expect(new Set(done.map((j) => j.machineId)).size).toBe(done.length);
		const reused = done.filter((j) => j.alreadyPending === true).length;

		const accepted = emu.log.slice(from).filter((e) => e.method === 'POST' && machineOfPost(e) && e.status === 201);
		const perMachine = new Map<string, number>();
		for (const p of accepted) perMachine.set(machineOfPost(p)!, (perMachine.get(machineOfPost(p)!) ?? 0) + 1);
		expect([...perMachine.values()].every((n) => n === 1)).toBe(true);
		for (const id of machines) {
			expect(store().actionsOfMachine(id).filter((a: { type: string }) => a.type === 'Isolate').length).toBeLessThanOrEqual(1);
		}
		say(
			`kill: ${items.length} items accounted for (${done.length} done of which ${reused} found already pending and not re-sent, ${failed.length} failed), ` +
				`${accepted.length} isolations created, none twice; ${runs.length} execution(s) in n8n: ${runs.map((r) => r.status).join(', ')}`,
		);
	}, 600_000);

	// --- 1 (check) -------------------------------------------------------------------------------
	it('1b. every injected alert and incident (incl. late arrivals) was emitted exactly once across the cluster', async () => {
		await injections;
		const emitted = async (workflowId: string): Promise<string[]> => {
			const ids: string[] = [];
			const runs = await finishedExecutions(api, line, workflowId, 0, 60_000);
			expect(runs.every((r) => r.status === 'success')).toBe(true);
			for (const e of await api.listExecutions(workflowId)) {
				const full = await api.getExecution(e.id, line);
				for (const r of full.data?.resultData.runData.Trigger ?? []) {
					for (const it of r.data?.main?.[0] ?? []) ids.push(String(it.json.id ?? it.json.alertId ?? it.json.incidentId));
				}
			}
			return ids;
		};
		const newAlerts = (store().alerts as Array<{ id: string }>).map((a) => a.id).filter((id) => !alertsBefore.has(id));
		const newIncidents = (store().incidents as Array<{ incidentId: number }>).map((i) => String(i.incidentId)).filter((id) => !incidentsBefore.has(id));
		// The 4th poll's executions run on a worker after the poll: wait until they are saved.
		let alertIds: string[] = [];
		let incidentIds: string[] = [];
		await waitFor(async () => {
			alertIds = await emitted(TRIGGER_ALERTS.id as string);
			incidentIds = await emitted(TRIGGER_INCIDENTS.id as string);
			return newAlerts.every((id) => alertIds.includes(id)) && newIncidents.every((id) => incidentIds.includes(id));
		}, 60_000, 2000).catch(() => undefined);
		// Every alert added without an incident also opens one (as in Defender), so the incidents
		// expected are all incidents new in the store: the ones added here and those of the alerts.
		expect(newAlerts.sort()).toEqual([...added.alerts].sort());
		expect(newIncidents).toEqual(expect.arrayContaining(added.incidents));
		expect([...alertIds].sort()).toEqual(newAlerts.sort());
		expect([...incidentIds].sort()).toEqual(newIncidents.sort());
		say(
			`triggers: ${alertPolls()} alert polls and ${incidentPolls()} incident polls by main, ${alertIds.length} alerts and ${incidentIds.length} incidents ` +
				`emitted (one late alert and one late incident among them), each exactly once`,
		);
	}, 400_000);
});
