/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
/**
 * What only a real n8n shows (issue 12, security): its own request helper follows redirects and
 * re-attaches the Authorization header for another origin by default, and it stores failing runs
 * in its database. Each pinned line, Custom Endpoints pointing at the emulator:
 *  - a 302/307 of the API or a 307 of the token endpoint to another port (the emulator's trap)
 *    is refused: nothing reaches the other host (no token, no client secret);
 *  - canary scan: after failing runs in which the upstream echoed the request (token, secret,
 *    assertion) into its errors, neither the run output, nor n8n's console log, nor any file of
 *    n8n's data folder (the sqlite database and its WAL) holds a secret, key or token.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

import { emulatorCredentials } from '../harness';
import { FIXTURE, startEmulator, type EmulatorHandle } from '../emulator';
import {
	createUserFolder,
	executeWorkflow,
	importCredentials,
	importWorkflows,
	installPackageTarball,
	type ExecuteResult,
	type N8nFolder,
} from '../../scripts/n8n/harness';
import { e2eLines } from './global-setup';

const SECRET_CRED = { id: 'e2eSecCredSecret', name: 'Emulator (secret)' };
const CERT_CRED = { id: 'e2eSecCredCertif', name: 'Emulator (certificate)' };

const START = {
	id: 'e5000000-0000-4000-8000-000000000001',
	name: 'Start',
	type: 'n8n-nodes-base.manualTrigger',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

function workflow(id: string, cred: { id: string; name: string }, parameters: Record<string, unknown>) {
	return {
		id,
		name: `e2e security: ${id}`,
		nodes: [
			START,
			{
				id: 'e5000000-0000-4000-8000-000000000002',
				name: 'Defender',
				type: 'n8n-nodes-microsoft-defender.microsoftDefender',
				typeVersion: 1,
				position: [220, 0],
				parameters,
				credentials: { microsoftDefenderEntraAppApi: cred },
			},
		],
		connections: { Start: { main: [[{ node: 'Defender', type: 'main', index: 0 }]] } },
	};
}

function keyChunks(pem: string): string[] {
	const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
	const chunks: string[] = [];
	for (let i = 0; i + 32 <= body.length; i += 32) chunks.push(body.slice(i, i + 32));
	return chunks;
}

async function filesUnder(dir: string): Promise<string[]> {
	const out: string[] = [];
	for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
		const p = join(dir, entry.name);
		if (entry.isDirectory()) {
			if (entry.name === 'node_modules' || entry.name === 'nodes') continue; // the installed package itself
			out.push(...(await filesUnder(p)));
		} else out.push(p);
	}
	return out;
}

const errorText = (res: ExecuteResult) =>
	JSON.stringify(res.run?.data?.resultData?.error ?? res.run?.data?.resultData?.runData?.Defender ?? '') + res.stdout.slice(-4000);

describe.each(e2eLines())('real n8n line %i: no token or secret leaves for another host or lands in n8n', (line) => {
	let emu: EmulatorHandle;
	let folder: N8nFolder;
	let machineId: string;
	const outputs: string[] = [];
	const machineGet = () => ({ resource: 'machine', operation: 'get', machineId: { __rl: true, mode: 'id', value: machineId } });

	beforeAll(async () => {
		emu = await startEmulator({ seed: 12, sizes: { alerts: 5, incidents: 3, machines: 3 }, quotas: false });
		machineId = String((emu.store('A') as { machines: Array<{ id: string }> }).machines[0].id);
		folder = await createUserFolder({ line });
		await installPackageTarball(folder, process.env.E2E_TARBALL as string);
		await importCredentials(folder, [
			{ ...SECRET_CRED, type: 'microsoftDefenderEntraAppApi', data: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) },
			{ ...CERT_CRED, type: 'microsoftDefenderEntraAppApi', data: emulatorCredentials(emu, { app: 'full', tenant: 'A', auth: 'certificate' }) },
		]);
		await importWorkflows(folder, [
			workflow('e2eSecMachineSec', SECRET_CRED, machineGet()),
			workflow('e2eSecMachineCer', CERT_CRED, machineGet()),
			workflow('e2eSecDoctorSecr', SECRET_CRED, { resource: 'connection', operation: 'checkPermissions', summaryOnly: true }),
		]);
	});

	afterAll(async () => {
		await folder?.cleanup();
		await emu?.close();
	});

	beforeEach(() => {
		emu.faults.clear();
		emu.trap.clear();
	});

	const runWf = async (id: string) => {
		const res = await executeWorkflow(folder, id);
		outputs.push(res.stdout, res.stderr);
		return res;
	};

	it.each([302, 307])('the API answers %i to another port: the run fails with our error, the other host gets nothing', async (status) => {
		emu.faults.next(1, 'redirect', { status, path: `/api/machines/${machineId}` });
		const res = await runWf('e2eSecMachineSec');
		expect(emu.log.some((e) => e.fault === 'redirect')).toBe(true);
		expect(emu.trap.requests.map((r) => ({ path: r.path, authorization: r.authorization }))).toEqual([]);
		expect(res.ok).toBe(false);
		expect(errorText(res)).toMatch(new RegExp(`redirect \\(HTTP ${status}\\)`));
	});

	it('the token endpoint answers 307 to another port: no client secret is posted there', async () => {
		emu.faults.next(1, 'redirect', { status: 307, path: '/oauth2/v2.0/token' });
		const res = await runWf('e2eSecMachineSec');
		expect(emu.trap.requests.map((r) => ({ path: r.path, body: r.body.replace(/client_secret=[^&]{6}[^&]*/, 'client_secret=…') }))).toEqual([]);
		expect(res.ok).toBe(false);
		expect(errorText(res)).toMatch(/login endpoint answered with a redirect \(HTTP 307\)/);
	});

	it('canary scan: failing runs whose upstream echoed token, secret and assertion leave no trace in output, log or database', async () => {
		emu.clearLog();
		emu.faults.next(1, 'echo', '/oauth2/v2.0/token');
		expect((await runWf('e2eSecMachineSec')).ok).toBe(false);
		emu.faults.next(1, 'echo', '/oauth2/v2.0/token');
		expect((await runWf('e2eSecMachineCer')).ok).toBe(false);
		emu.faults.next(1, 'echo', '/api/machines');
		expect((await runWf('e2eSecMachineSec')).ok).toBe(false);
		emu.faults.next(3, 'echo', '/oauth2/v2.0/token');
		const doctor = await runWf('e2eSecDoctorSecr');
		expect(JSON.stringify(doctor.run ?? doctor.stdout)).toMatch(/AADSTS9002313/);

		const needles = new Set<string>([FIXTURE.apps.full.secret as string, ...keyChunks(FIXTURE.apps.full.keyPem)]);
		for (const e of emu.log) for (const v of e.echoed ?? []) needles.add(v);
		// The echoes carried a token, a secret and an assertion (the scan can fail).
		const echoed = emu.log.flatMap((e) => e.echoed ?? []);
		expect(echoed.some((v) => v === FIXTURE.apps.full.secret)).toBe(true);
		expect(echoed.filter((v) => v.startsWith('eyJ')).length).toBeGreaterThanOrEqual(2);

		const haystack: Array<{ where: string; text: string }> = outputs.map((text, i) => ({ where: `n8n output ${i}`, text }));
		haystack.push({ where: 'trap', text: JSON.stringify(emu.trap.requests) });
		const files = await filesUnder(folder.n8nDir);
		const dbFiles = files.filter((f) => /\.sqlite/.test(f));
		expect(dbFiles.length).toBeGreaterThanOrEqual(1);
		for (const f of files) haystack.push({ where: f, text: (await fs.readFile(f)).toString('latin1') });
		// The database holds the failing runs in plain text: the echoed errors are there.
		expect(haystack.filter((h) => dbFiles.includes(h.where)).some((h) => h.text.includes('AADSTS9002313'))).toBe(true);

		const hits: string[] = [];
		for (const h of haystack) for (const n of needles) if (n.length >= 12 && h.text.includes(n)) hits.push(`${h.where}: ${n.slice(0, 10)}…`);
		expect(hits).toEqual([]);
	});
});
