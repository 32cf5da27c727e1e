/* eslint-disable @n8n/community-nodes/no-restricted-globals */
/**
 * The nodes doing real work inside a real n8n (each pinned line), against the emulator on loopback
 * with SSRF protection on (2.x) and only 127.0.0.1 allowed:
 * - the action node run headless with `n8n execute --id` (output items, paired items, the requests
 *   the emulator saw);
 * - a PUBLISHED workflow with the Microsoft Defender Trigger, run by `n8n start`, fires on alerts the
 *   emulator adds after activation, each exactly once.
 */
import { emulatorCredentials } from '../harness';
import { FIXTURE, startEmulator, type EmulatorHandle } from '../emulator';
import {
	createUserFolder,
	executeWorkflow,
	importCredentials,
	importWorkflows,
	installPackageTarball,
	publishWorkflow,
	setupOwnerAndLogin,
	startN8n,
	waitFor,
	type ExecutionRun,
	type N8nFolder,
} from '../../scripts/n8n/harness';
import { e2eLines } from './global-setup';

const CRED = { id: 'e2eWfCredGood001', name: 'Emulator (good)' };
const CRED_REF = { microsoftDefenderEntraAppApi: CRED };

const START = {
	id: 'e0000000-0000-4000-8000-000000000001',
	name: 'Start',
	type: 'n8n-nodes-base.manualTrigger',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

const LIST_ALERTS_WF = {
	id: 'e2eListAlerts001',
	name: 'e2e: list alerts',
	nodes: [
		START,
		{
			id: 'e0000000-0000-4000-8000-000000000002',
			name: 'List alerts',
			type: 'n8n-nodes-microsoft-defender.microsoftDefender',
			typeVersion: 1,
			position: [220, 0],
			parameters: { resource: 'alert', operation: 'getAll', returnAll: false, limit: 3 },
			credentials: CRED_REF,
		},
	],
	connections: { Start: { main: [[{ node: 'List alerts', type: 'main', index: 0 }]] } },
};

const TRIGGER_WF = {
	id: 'e2eAlertTrigger1',
	name: 'e2e: new alert trigger',
	nodes: [
		{
			id: 'e0000000-0000-4000-8000-000000000011',
			name: 'New alert',
			type: 'n8n-nodes-microsoft-defender.microsoftDefenderTrigger',
			typeVersion: 1,
			position: [0, 0],
			// n8n refuses polls more often than once a minute ("The polling interval is too short").
			// It polls once at activation (sets our watermark), then every minute.
			parameters: { pollTimes: { item: [{ mode: 'everyMinute' }] }, event: 'newAlert' },
			credentials: CRED_REF,
		},
	],
	connections: {},
};

function items(run: ExecutionRun, node: string): Array<{ json: Record<string, unknown>; pairedItem?: unknown }> {
	const r = run.data.resultData.runData[node]?.[0];
	return ((r?.data?.main?.[0] ?? []) as Array<{ json: Record<string, unknown>; pairedItem?: unknown }>) ?? [];
}

describe.each(e2eLines())('real n8n line %i: workflows with the Defender nodes', (line) => {
	let emu: EmulatorHandle;
	let folder: N8nFolder;

	beforeAll(async () => {
		emu = await startEmulator({ seed: 11, sizes: { alerts: 20, incidents: 10, machines: 10 } });
		folder = await createUserFolder({ line });
		await installPackageTarball(folder, process.env.E2E_TARBALL as string);
		await importCredentials(folder, [
			{ ...CRED, type: 'microsoftDefenderEntraAppApi', data: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) },
		]);
		await importWorkflows(folder, [LIST_ALERTS_WF, TRIGGER_WF]);
	});

	afterAll(async () => {
		await folder?.cleanup();
		await emu?.close();
	});

	it('n8n execute: the action node lists alerts (limit 3) with paired items', async () => {
		emu.clearLog();
		const res = await executeWorkflow(folder, LIST_ALERTS_WF.id);
		if (!res.ok) throw new Error(`execution failed:\n${res.stdout.slice(-3000)}\n${res.stderr.slice(-2000)}`);
		const out = items(res.run as ExecutionRun, 'List alerts');
		expect(out).toHaveLength(3);
		for (const it of out) {
			expect(typeof it.json.id).toBe('string');
			expect(it.pairedItem).toEqual(expect.objectContaining({ item: 0 }));
		}
		const apiCalls = emu.log.filter((e) => e.family !== 'entra' && !/oauth2\/v2\.0\/token$/.test(e.path));
		expect(apiCalls.length).toBeGreaterThanOrEqual(1);
		expect(apiCalls.every((e) => e.status === 200 && e.tenantId === FIXTURE.tenants.A.id)).toBe(true);
	});

	it('published trigger fires on alerts added after activation, exactly once each', async () => {
		const alertPolls = () => emu.log.filter((e) => /alert/i.test(e.path) && e.method === 'GET' && e.status === 200).length;
		const emittedIds = async (api: Awaited<ReturnType<typeof setupOwnerAndLogin>>): Promise<string[]> => {
			const ids: string[] = [];
			for (const e of await api.listExecutions(TRIGGER_WF.id)) {
				const full = await api.getExecution(e.id, line);
				for (const r of full.data?.resultData.runData['New alert'] ?? []) {
					for (const it of r.data?.main?.[0] ?? []) ids.push(String(it.json.id ?? it.json.alertId ?? ''));
				}
			}
			return ids;
		};
		await publishWorkflow(folder, TRIGGER_WF.id);
		emu.clearLog();
		const srv = await startN8n(folder);
		try {
			const api = await setupOwnerAndLogin(srv);
			// The activation poll sets the watermark; only alerts added after it are new.
			await waitFor(async () => alertPolls() >= 1, 60_000, 500);
			const pollsBefore = alertPolls();
			const store = emu.store('A');
			const addedIds = [
				store.addAlert({ severity: 'High', title: 'e2e alert 1' }).id,
				store.addAlert({ severity: 'Low', title: 'e2e alert 2' }).id,
			];
			// Next scheduled poll (≤ 1 min) must emit both.
			await waitFor(async () => {
				const ids = await emittedIds(api);
				return addedIds.every((id) => ids.includes(id));
			}, 100_000, 2000);
			// One more poll after that: nothing may be emitted twice.
			const pollsAfterEmit = alertPolls();
			expect(pollsAfterEmit).toBeGreaterThan(pollsBefore);
			await waitFor(async () => alertPolls() > pollsAfterEmit, 100_000, 2000);
			await new Promise((r) => setTimeout(r, 3000)); // let that execution be saved
			const all = await emittedIds(api);
			for (const id of addedIds) expect(all.filter((x) => x === id)).toHaveLength(1);
			expect(all.every((id) => addedIds.includes(id))).toBe(true);
			const execs = await api.listExecutions(TRIGGER_WF.id);
			expect(execs.every((e) => e.status === 'success')).toBe(true);
		} finally {
			await srv.stop();
		}
	});
});
