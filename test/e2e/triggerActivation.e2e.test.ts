/* eslint-disable @n8n/community-nodes/no-restricted-globals */
/**
 * Activation must not lose alerts (issue 11), in a REAL n8n of each pinned line.
 *
 * The user activates the workflow in the running n8n (`POST /rest/workflows/:id/activate`, what
 * the editor's toggle / Publish button calls). n8n 1.x runs the trigger's first poll inside that
 * request; n8n 2.x records the publication and activates it afterwards (publication outbox), so
 * its first poll runs after the request returned. Alerts are created from the moment the request
 * returns, one every 250 ms until the emulator has seen the first poll, so at least one alert
 * falls into the gap between "activated" and "first poll" wherever n8n puts that poll. Every one
 * of them must be emitted, exactly once; nothing that existed before activation may be.
 */
import { emulatorCredentials } from '../harness';
import { startEmulator, type EmulatorHandle } from '../emulator';
import {
	createUserFolder,
	importCredentials,
	importWorkflows,
	installPackageTarball,
	setupOwnerAndLogin,
	startN8n,
	waitFor,
	type N8nFolder,
	type N8nRest,
} from '../../scripts/n8n/harness';
import { e2eLines } from './global-setup';

const CRED = { id: 'e2eActCredGood01', name: 'Emulator (activation gap)' };

const TRIGGER_WF = {
	id: 'e2eActivationGap',
	name: 'e2e: alerts created while n8n activates the trigger',
	nodes: [
		{
			id: 'e0000000-0000-4000-8000-000000000021',
			name: 'New alert',
			type: 'n8n-nodes-microsoft-defender.microsoftDefenderTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: { pollTimes: { item: [{ mode: 'everyMinute' }] }, event: 'newAlert' },
			credentials: { microsoftDefenderEntraAppApi: CRED },
		},
	],
	connections: {},
};

async function emittedIds(api: N8nRest, line: 1 | 2): Promise<string[]> {
	const ids: string[] = [];
	for (const e of await api.listExecutions(TRIGGER_WF.id)) {
		const full = await api.getExecution(e.id, line);
		for (const r of full.data?.resultData.runData['New alert'] ?? []) {
			for (const it of r.data?.main?.[0] ?? []) ids.push(String(it.json.id ?? ''));
		}
	}
	return ids;
}

describe.each(e2eLines())('real n8n line %i: activating the trigger', (line) => {
	let emu: EmulatorHandle;
	let folder: N8nFolder;

	beforeAll(async () => {
		emu = await startEmulator({ seed: 13, sizes: { alerts: 30, incidents: 10, machines: 10 } });
		// History generated 30 minutes back: nothing existing is recent enough to be emitted.
		emu.setNow(Date.now() - 30 * 60_000);
		emu.store('A');
		emu.useRealTime();
		folder = await createUserFolder({ line });
		await installPackageTarball(folder, process.env.E2E_TARBALL as string);
		await importCredentials(folder, [
			{ ...CRED, type: 'microsoftDefenderEntraAppApi', data: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) },
		]);
		await importWorkflows(folder, [TRIGGER_WF]);
	});

	afterAll(async () => {
		await folder?.cleanup();
		await emu?.close();
	});

	it('alerts created between activation and the first poll are emitted, each exactly once', async () => {
		const polls = () => emu.log.filter((e) => e.path === '/v1.0/security/alerts_v2' && e.method === 'GET' && e.status === 200);
		const srv = await startN8n(folder);
		try {
			const api = await setupOwnerAndLogin(srv);
			const wf = await api.request<{ data?: { versionId?: string } }>('GET', `/rest/workflows/${TRIGGER_WF.id}`);
			const versionId = wf.body?.data?.versionId;
			if (wf.status !== 200 || !versionId) throw new Error(`GET /rest/workflows/${TRIGGER_WF.id}: ${wf.status} ${wf.text.slice(0, 300)}`);
			emu.clearLog();
			const activated = await api.request('POST', `/rest/workflows/${TRIGGER_WF.id}/activate`, { versionId });
			if (activated.status !== 200) throw new Error(`activate: ${activated.status} ${activated.text.slice(0, 500)}`);
			const activatedAt = Date.now();
			const store = emu.store('A');
			const added: Array<{ id: string; beforeFirstPoll: boolean }> = [];
			// Until the first poll is seen (at most 90 s), then one more after it.
			for (let i = 0; i < 360; i++) {
				const before = polls().length === 0;
				added.push({ id: store.addAlert({ title: `activation gap ${i}` }).id, beforeFirstPoll: before });
				if (!before) break;
				await new Promise((r) => setTimeout(r, 250));
			}
			const firstPollAfterMs = Math.min(...polls().map((e) => Date.parse(e.time))) - activatedAt;
			// eslint-disable-next-line no-console
			console.log(
				`[e2e line ${line}] first poll ${Number.isFinite(firstPollAfterMs) ? `${firstPollAfterMs} ms after` : 'after'} the activate request returned; ` +
					`${added.filter((a) => a.beforeFirstPoll).length} alert(s) created in that gap, ${added.length} in all`,
			);
			const ids = added.map((a) => a.id);
			await waitFor(async () => {
				const got = await emittedIds(api, line);
				return ids.every((id) => got.includes(id));
			}, 200_000, 3000);
			// One more poll after that: nothing may be emitted twice.
			const after = polls().length;
			await waitFor(async () => polls().length > after, 100_000, 2000);
			await new Promise((r) => setTimeout(r, 3000)); // let that execution be saved
			const all = await emittedIds(api, line);
			for (const id of ids) expect(all.filter((x) => x === id)).toHaveLength(1);
			// Nothing that existed before activation.
			expect(all.filter((id) => !ids.includes(id))).toEqual([]);
			const execs = await api.listExecutions(TRIGGER_WF.id);
			expect(execs.every((e) => e.status === 'success')).toBe(true);
		} finally {
			await srv.stop();
		}
	});
});
