/* eslint-disable @n8n/community-nodes/no-restricted-globals */
/**
 * Delegated sign-in in a REAL n8n (each pinned line), the way an MSSP analyst connects: n8n's own
 * OAuth2 endpoints (/rest/oauth2-credential/auth and the callback) and the emulator's authorize
 * page are driven over HTTP. Then published webhook workflows run the node with the credential:
 * alerts, incidents and hunting (Microsoft Graph, the Sign-In API: n8n signs and refreshes those
 * requests itself) and isolate (Defender for Endpoint: the node redeems the same refresh token).
 * Covers: connect, isolate within the analyst's role, refused outside a reader's role with the
 * role in the message, n8n's refresh after expiry, and a new sign-in after revocation.
 */
import { FIXTURE, startEmulator, type EmulatorHandle } from '../emulator';
import {
	createUserFolder,
	importCredentials,
	importWorkflows,
	installPackageTarball,
	publishWorkflow,
	setupOwnerAndLogin,
	startN8n,
	type N8nFolder,
	type N8nRest,
	type RunningN8n,
} from '../../scripts/n8n/harness';
import { e2eLines } from './global-setup';

const CRED_TYPE = 'microsoftDefenderDelegatedOAuth2Api';
const A = FIXTURE.tenants.A;
const APP = FIXTURE.apps.delegated;
const HOUR = 3600 * 1000;

type Json = Record<string, unknown>;

function credential(emu: EmulatorHandle, id: string, name: string, extra: Json = {}) {
	return {
		id,
		name,
		type: CRED_TYPE,
		data: {
			cloud: 'custom',
			customLoginUrl: emu.httpUrl,
			customMdeBaseUrl: emu.httpUrl,
			customGraphBaseUrl: emu.httpUrl,
			tenantId: A.id,
			clientId: APP.clientId,
			clientSecret: APP.secret,
			signInApi: 'graph',
			delegatedPermissions: '',
			...extra,
		},
	};
}

/** A published webhook workflow: POST /webhook/<path> runs one Defender node and answers its items. */
function workflow(id: string, path: string, credId: string, parameters: Json): Json {
	return {
		id,
		name: `Delegated e2e: ${path}`,
		nodes: [
			{
				id: `${id}-w`,
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'allEntries', options: {} },
				webhookId: `d3e2e000-0000-4000-8000-${id.slice(-12).padStart(12, '0')}`,
			},
			{
				id: `${id}-d`,
				name: 'Defender',
				type: 'n8n-nodes-microsoft-defender.microsoftDefender',
				typeVersion: 1,
				position: [260, 0],
				parameters: { authentication: 'delegatedOAuth2', ...parameters },
				credentials: { [CRED_TYPE]: { id: credId, name: 'Delegated' } },
			},
		],
		connections: { Webhook: { main: [[{ node: 'Defender', type: 'main', index: 0 }]] } },
	};
}

const ISOLATE = {
	resource: 'machine',
	operation: 'isolate',
	machineId: { __rl: true, mode: 'id', value: '={{ $json.body.machineId }}' },
	isolationType: 'Full',
	comment: 'e2e delegated isolate',
	waitForCompletion: false,
};

const WORKFLOWS = [
	{ id: 'delegatedAlerts001', path: 'delegated/alerts', cred: 'delegatedAnalyst', params: { resource: 'alert', operation: 'getAll', api: 'graph', returnAll: false, limit: 3 } },
	{ id: 'delegatedIncident1', path: 'delegated/incidents', cred: 'delegatedAnalyst', params: { resource: 'incident', operation: 'getAll', returnAll: false, limit: 2 } },
	{ id: 'delegatedHunting01', path: 'delegated/hunting', cred: 'delegatedAnalyst', params: { resource: 'advancedHunting', operation: 'runQuery', api: 'graph', query: 'DeviceProcessEvents | take 3' } },
	{ id: 'delegatedIsolate01', path: 'delegated/isolate', cred: 'delegatedAnalyst', params: ISOLATE },
	{ id: 'delegatedReaderIso', path: 'delegated/reader-isolate', cred: 'delegatedReader1', params: ISOLATE },
];

describe.each(e2eLines())('real n8n line %i: delegated sign-in (authorization code + refresh token)', (line) => {
	let emu: EmulatorHandle;
	let folder: N8nFolder;
	let srv: RunningN8n;
	let api: N8nRest;

	beforeAll(async () => {
		emu = await startEmulator({ seed: 11, sizes: { machines: 10, alerts: 20, incidents: 6, huntingRows: 50 } });
		folder = await createUserFolder({ line });
		await installPackageTarball(folder, process.env.E2E_TARBALL as string);
		await importCredentials(folder, [
			credential(emu, 'delegatedAnalyst', 'Customer A (analyst)'),
			credential(emu, 'delegatedReader1', 'Customer A (reader)'),
			credential(emu, 'delegatedMdeScope', 'Customer A (MDE sign-in, listed permissions)', {
				signInApi: 'mde',
				delegatedPermissions: 'Machine.Read Machine.Isolate',
			}),
		]);
		await importWorkflows(folder, WORKFLOWS.map((w) => workflow(w.id, w.path, w.cred, w.params)));
		for (const w of WORKFLOWS) await publishWorkflow(folder, w.id);
		srv = await startN8n(folder);
		api = await setupOwnerAndLogin(srv);
		for (const w of WORKFLOWS) await srv.waitForWebhook(w.path);
	});

	afterAll(async () => {
		await srv?.stop();
		await folder?.cleanup();
		await emu?.close();
	});

	/** "Connect my account": n8n's auth URL → the emulator's sign-in/consent → n8n's callback. */
	async function connect(
		credId: string,
		user: string,
		scope = 'https://graph.microsoft.com/.default offline_access',
	): Promise<void> {
		const auth = await api.request<{ data?: string }>('GET', `/rest/oauth2-credential/auth?id=${credId}`);
		expect(auth.status).toBe(200);
		const url = new URL(String(auth.body.data));
		expect(`${url.origin}${url.pathname}`).toBe(`${emu.httpUrl}/${A.id}/oauth2/v2.0/authorize`);
		expect(url.searchParams.get('scope')).toBe(scope);
		expect(url.searchParams.get('client_id')).toBe(APP.clientId);
		url.searchParams.set('login_hint', user);
		url.searchParams.set('emulator_consent', 'accept');
		const signIn = await fetch(url, { redirect: 'manual' });
		expect(signIn.status).toBe(302);
		const back = new URL(String(signIn.headers.get('location')));
		expect(back.pathname).toBe('/rest/oauth2-credential/callback');
		expect(back.searchParams.get('code')).toBeTruthy();
		const cb = await api.request('GET', `${back.pathname}${back.search}`);
		expect(cb.status).toBe(200);
		expect(cb.text).not.toMatch(/error/i);
	}

	async function call(path: string, body: Json = {}): Promise<{ status: number; body: unknown }> {
		const r = await fetch(`${srv.baseUrl}/webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		const text = await r.text();
		let parsed: unknown = text;
		try {
			parsed = JSON.parse(text);
		} catch {
			/* not JSON */
		}
		return { status: r.status, body: parsed };
	}

	/** The error of the newest execution of a workflow (message + description). */
	async function lastError(workflowId: string): Promise<string> {
		const [latest] = await api.listExecutions(workflowId);
		const full = await api.getExecution(latest.id, line);
		const e = full.data?.resultData.error as { message?: string; description?: string } | undefined;
		return `${e?.message ?? ''} ${e?.description ?? ''}`;
	}

	const tokenRequests = () => emu.log.filter((e) => e.family === 'entra' && /oauth2\/v2\.0\/token$/.test(e.path));

	it('connects through n8n\'s OAuth2 endpoints and runs alerts, incidents and hunting (Graph, the token n8n stored)', async () => {
		await connect('delegatedAnalyst', FIXTURE.users.analyst.upn);
		const alerts = await call('delegated/alerts');
		expect(alerts.status).toBe(200);
		expect(Array.isArray(alerts.body) && alerts.body.length).toBe(3);
		const incidents = await call('delegated/incidents');
		expect(incidents.status).toBe(200);
		expect(Array.isArray(incidents.body) && incidents.body.length).toBe(2);
		const hunting = await call('delegated/hunting');
		expect(hunting.status).toBe(200);
		expect(Array.isArray(hunting.body) && hunting.body.length).toBeGreaterThan(0);
		// The Graph calls carried the analyst's token (aud Graph, from the code redemption).
		const graphCalls = emu.log.filter((e) => e.family === 'graph');
		expect(graphCalls.length).toBeGreaterThanOrEqual(3);
		expect(graphCalls.every((e) => e.status === 200 && e.appId === APP.clientId)).toBe(true);
	});

	it('isolates within the analyst\'s role (Defender for Endpoint token redeemed from the same sign-in)', async () => {
		const machine = emu.store('A').addMachine({ osPlatform: 'Windows11' });
		const before = tokenRequests().length;
		const r = await call('delegated/isolate', { machineId: machine.id });
		expect(r.status).toBe(200);
		expect((r.body as Json[])[0]).toMatchObject({ type: 'Isolate', machineId: machine.id });
		const redemptions = tokenRequests().slice(before);
		expect(redemptions.some((e) => e.status === 200 && e.audience === 'https://api.securitycenter.microsoft.com')).toBe(true);
	});

	it('refuses isolate for a reader, naming the Defender role permission', async () => {
		await connect('delegatedReader1', FIXTURE.users.reader.upn);
		const machine = emu.store('A').addMachine({ osPlatform: 'Windows11' });
		const r = await call('delegated/reader-isolate', { machineId: machine.id });
		expect(r.status).toBeGreaterThanOrEqual(500);
		const message = await lastError('delegatedReaderIso');
		expect(message).toContain('"Active remediation actions"');
		expect(message).toContain(FIXTURE.users.reader.upn);
		expect(emu.store('A').machineState(machine.id).isolated).toBe(false);
	});

	it('refreshes on its own after the access token expired (n8n\'s refresh with the stored refresh token)', async () => {
		emu.advance(2 * HOUR);
		const before = tokenRequests().length;
		const r = await call('delegated/alerts');
		expect(r.status).toBe(200);
		const refreshes = tokenRequests().slice(before);
		// n8n's own refresh (no scope parameter; the node's redemptions always send one).
		expect(refreshes.some((e) => e.status === 200 && e.audience === 'https://graph.microsoft.com' && e.scope === undefined)).toBe(true);
		expect(refreshes.some((e) => e.scope !== undefined)).toBe(false);
		// A second call uses the refreshed token (no further token request).
		const again = tokenRequests().length;
		expect((await call('delegated/alerts')).status).toBe(200);
		expect(tokenRequests().length).toBe(again);
	});

	it('Sign-In API Defender for Endpoint with listed permissions: n8n asks for exactly those scopes and connects', async () => {
		const before = tokenRequests().length;
		await connect(
			'delegatedMdeScope',
			FIXTURE.users.analyst.upn,
			'https://api.securitycenter.microsoft.com/Machine.Read https://api.securitycenter.microsoft.com/Machine.Isolate offline_access',
		);
		const redemption = tokenRequests().slice(before).find((e) => e.status === 200);
		expect(redemption?.audience).toBe('https://api.securitycenter.microsoft.com');
		expect(redemption?.roles).toEqual(['Machine.Read', 'Machine.Isolate']);
	});

	it('after revocation says to sign in again; a new sign-in works', async () => {
		emu.revokeSignIns(FIXTURE.users.analyst.upn);
		emu.advance(2 * HOUR);
		const r = await call('delegated/alerts');
		expect(r.status).toBeGreaterThanOrEqual(500);
		const message = await lastError('delegatedAlerts001');
		expect(message).toContain('AADSTS50173');
		expect(message).toMatch(/sign in again/i);
		await connect('delegatedAnalyst', FIXTURE.users.analyst.upn);
		expect((await call('delegated/alerts')).status).toBe(200);
	});
});
