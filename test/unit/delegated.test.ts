/**
 * The node with the delegated credential against the emulator, for the API the node redeems the
 * refresh token for itself (the Sign-In API's requests go through n8n's own OAuth2 helper: the
 * real-n8n e2e test covers those). Sign-in is driven over HTTP (emulator's auto-consent).
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { delegatedStats } from '../../nodes/MicrosoftDefender/transport/delegated';
import { resetTransportState } from '../../nodes/MicrosoftDefender/transport';
import { FIXTURE } from '../emulator';
import { request, tokenRequest } from '../emulator/core/testkit';
import { MicrosoftDefenderTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderTrigger.node';
import { runNode, runPoll } from '../harness';
import { shiftClock } from '../harness/clock';
import { byId, node, startEmu, type Emulator } from './node.helpers';

const A = FIXTURE.tenants.A;
const REDIRECT = 'http://localhost:5678/rest/oauth2-credential/callback';
const CRED = 'microsoftDefenderDelegatedOAuth2Api';

let emu: Emulator;
beforeAll(async () => {
	emu = await startEmu({ sizes: { machines: 5, alerts: 5, incidents: 3 } });
});
afterAll(async () => {
	await emu.close();
});
beforeEach(() => resetTransportState());

type App = { clientId: string; secret: string };

/** Signs `user` in (authorization code flow, Graph as the Sign-In API) and returns credential data. */
async function signIn(
	user: string,
	app: App = FIXTURE.apps.delegated,
	signInApi = 'graph',
): Promise<ICredentialDataDecryptedObject> {
	const u = new URL(`${emu.httpUrl}/${A.id}/oauth2/v2.0/authorize`);
	const q = {
		client_id: app.clientId,
		response_type: 'code',
		redirect_uri: REDIRECT,
		scope: `${signInApi === 'mde' ? 'https://api.securitycenter.microsoft.com' : 'https://graph.microsoft.com'}/.default offline_access`,
		login_hint: user,
		emulator_consent: 'accept',
	};
	for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
	const back = new URL(String((await request(u.toString())).headers.location));
	const tokens = await tokenRequest(emu.httpUrl, A.id, {
		grant_type: 'authorization_code',
		client_id: app.clientId,
		client_secret: app.secret,
		code: back.searchParams.get('code')!,
		redirect_uri: REDIRECT,
	});
	expect(tokens.status).toBe(200);
	return {
		grantType: 'authorizationCode',
		cloud: 'custom',
		customLoginUrl: emu.httpUrl,
		customMdeBaseUrl: emu.httpUrl,
		customGraphBaseUrl: emu.httpUrl,
		tenantId: A.id,
		clientId: app.clientId,
		clientSecret: app.secret,
		signInApi,
		oauthTokenData: tokens.json,
	};
}

async function runDelegated(credentials: ICredentialDataDecryptedObject, parameters: Record<string, unknown>) {
	const out = await runNode(node, {
		parameters: { authentication: 'delegatedOAuth2', ...parameters },
		credentials: { [CRED]: credentials },
		items: [{ json: {} }],
	});
	return out[0];
}

async function runDelegatedError(credentials: ICredentialDataDecryptedObject, parameters: Record<string, unknown>) {
	try {
		await runDelegated(credentials, parameters);
	} catch (error) {
		return error as Error & { description?: string; httpCode?: string };
	}
	throw new Error('expected the node to fail');
}

const text = (e: { message: string; description?: string }) => `${e.message} ${e.description ?? ''}`;

describe('delegated credential: the other API from the same sign-in', () => {
	test('an analyst lists machines and isolates one; the refresh token is redeemed once and cached', async () => {
		const creds = await signIn(FIXTURE.users.analyst.upn);
		const m = (emu.store('A') as unknown as { addMachine(p: object): { id: string } }).addMachine({ osPlatform: 'Windows11' });
		const list = await runDelegated(creds, { resource: 'machine', operation: 'getAll', returnAll: false, limit: 2 });
		expect(list.length).toBe(2);
		const [action] = await runDelegated(creds, {
			resource: 'machine',
			operation: 'isolate',
			machineId: byId(String(m.id)),
			isolationType: 'Full',
			comment: 'delegated test',
		});
		expect(action.json).toMatchObject({ type: 'Isolate', machineId: m.id });
		expect(delegatedStats.redemptions).toBe(1);
		// The API saw a user token with scp for the MDE audience, never n8n's Graph token.
		const calls = emu.log.filter((e) => e.family === 'mde' && e.method === 'POST');
		expect(calls.at(-1)?.audience).toBe('https://api.securitycenter.microsoft.com');
	});

	test('a reader may list but not isolate: the error names the Defender role permission and the user', async () => {
		const creds = await signIn(FIXTURE.users.reader.upn);
		const m = (emu.store('A') as unknown as { addMachine(p: object): { id: string } }).addMachine({ osPlatform: 'Windows11' });
		expect((await runDelegated(creds, { resource: 'machine', operation: 'getAll', returnAll: false, limit: 1 })).length).toBe(1);
		const e = await runDelegatedError(creds, {
			resource: 'machine',
			operation: 'isolate',
			machineId: byId(String(m.id)),
			isolationType: 'Full',
			comment: 'should be refused',
		});
		expect(String(e.httpCode)).toBe('403');
		expect(text(e)).toContain('"Active remediation actions"');
		expect(text(e)).toContain(FIXTURE.users.reader.upn);
		expect(text(e)).toContain('Defender role');
	});

	test('an app without consent on the other API: AADSTS65001 with the consent steps', async () => {
		const creds = await signIn(FIXTURE.users.analyst.upn, FIXTURE.apps.delegatedGraphOnly);
		const e = await runDelegatedError(creds, { resource: 'machine', operation: 'getAll', returnAll: false, limit: 1 });
		expect(text(e)).toContain('AADSTS65001');
		expect(text(e)).toContain('Delegated permissions');
		expect(text(e)).toContain('Grant admin consent');
		expect(text(e)).not.toContain(String((creds.oauthTokenData as { refresh_token: string }).refresh_token));
	});

	test('revoked sign-in: "sign in again", and the refresh token never appears in the error', async () => {
		const creds = await signIn(FIXTURE.users.reader.upn);
		emu.revokeSignIns(FIXTURE.users.reader.upn);
		const e = await runDelegatedError(creds, { resource: 'machine', operation: 'getAll', returnAll: false, limit: 1 });
		expect(text(e)).toContain('AADSTS50173');
		expect(text(e)).toMatch(/sign in again/i);
		expect(JSON.stringify(e)).not.toContain(String((creds.oauthTokenData as { refresh_token: string }).refresh_token));
	});

	test('a refresh token unused for 90 days: AADSTS700082, sign in again', async () => {
		const creds = await signIn(FIXTURE.users.analyst.upn);
		emu.setNow(Date.now() + 91 * 24 * 3600 * 1000);
		try {
			const e = await runDelegatedError(creds, { resource: 'machine', operation: 'getAll', returnAll: false, limit: 1 });
			expect(text(e)).toContain('AADSTS700082');
			expect(text(e)).toMatch(/sign in again/i);
		} finally {
			emu.useRealTime();
		}
	});

	test('Tenant ID Override is refused for a delegated credential', async () => {
		const creds = await signIn(FIXTURE.users.analyst.upn);
		const e = await runDelegatedError(creds, {
			resource: 'machine',
			operation: 'getAll',
			returnAll: false,
			limit: 1,
			requestOptions: { tenantId: FIXTURE.tenants.B.id },
		});
		expect(e.message).toContain('Tenant ID Override');
	});

	test('not connected: says to press Connect', async () => {
		const creds = await signIn(FIXTURE.users.analyst.upn);
		delete creds.oauthTokenData;
		const e = await runDelegatedError(creds, { resource: 'machine', operation: 'getAll', returnAll: false, limit: 1 });
		expect(text(e)).toContain('not connected');
	});
});

describe('delegated credential: the Sign-In API (token stored by n8n)', () => {
	test('lists Graph alerts with the stored token; after it expired, gets a new one and goes on', async () => {
		const creds = await signIn(FIXTURE.users.analyst.upn);
		const first = await runDelegated(creds, { resource: 'alert', operation: 'getAll', api: 'graph', returnAll: false, limit: 2 });
		expect(first.length).toBe(2);
		expect(delegatedStats.redemptions).toBe(0);
		emu.advance(2 * 3600 * 1000);
		try {
			const again = await runDelegated(creds, { resource: 'alert', operation: 'getAll', api: 'graph', returnAll: false, limit: 2 });
			expect(again.length).toBe(2);
			// The harness has no n8n OAuth2 refresh, so the node redeemed the refresh token itself.
			expect(delegatedStats.redemptions).toBe(1);
		} finally {
			emu.useRealTime();
		}
	});

	test('revoked and expired: the Graph call says to sign in again (AADSTS50173)', async () => {
		const creds = await signIn(FIXTURE.users.analyst.upn);
		emu.revokeSignIns(FIXTURE.users.analyst.upn);
		emu.advance(2 * 3600 * 1000);
		try {
			const e = await runDelegatedError(creds, { resource: 'incident', operation: 'getAll', returnAll: false, limit: 1 });
			expect(text(e)).toContain('AADSTS50173');
			expect(text(e)).toMatch(/sign in again/i);
		} finally {
			emu.useRealTime();
		}
	});
});

describe('delegated credential in the trigger', () => {
	test('Sign-In API = Defender for Endpoint: the trigger polls Graph alerts with a token redeemed from the sign-in', async () => {
		const creds = await signIn(FIXTURE.users.reader.upn, FIXTURE.apps.delegated, 'mde');
		const staticData = {};
		const poll = () =>
			runPoll(new MicrosoftDefenderTrigger(), {
				parameters: { authentication: 'delegatedOAuth2', event: 'newAlert' },
				credentials: { [CRED]: creds },
				staticData,
				mode: 'trigger',
			});
		expect(await poll()).toBeNull();
		const store = emu.store('A') as unknown as { addAlert(p: object, at: string): { id: string } };
		const added = store.addAlert({ severity: 'High' }, new Date(Date.now() + 60_000).toISOString());
		// The trigger reads closed windows ending a few seconds behind the clock: poll 2 minutes later.
		const clock = shiftClock();
		let out;
		try {
			clock.set(Date.now() + 120_000);
			out = await poll();
		} finally {
			clock.restore();
		}
		expect(out?.[0].map((i) => i.json.id)).toEqual([added.id]);
		const graph = emu.log.filter((e) => e.family === 'graph');
		expect(graph.at(-1)).toMatchObject({ status: 200, audience: 'https://graph.microsoft.com', appId: FIXTURE.apps.delegated.clientId });
	});
});

describe('Connection → Check Permissions with a delegated credential', () => {
	test('reads the delegated permissions (scp) of each API and names the Defender role per row', async () => {
		const creds = await signIn(FIXTURE.users.analyst.upn);
		const items = await runDelegated(creds, { resource: 'connection', operation: 'checkPermissions', summaryOnly: true });
		const [summary] = items.map((i) => i.json);
		const rows = summary.operations as IDataObject[];
		expect((await runDelegated(creds, { resource: 'connection', operation: 'checkPermissions' })).map((i) => i.json)).toEqual(rows);
		expect(rows.every((r) => typeof r.userRoleMustInclude === 'string')).toBe(true);
		expect(summary.delegated).toContain('Delegated credential');
		const apis = summary.apis as Array<{ api: string; delegatedPermissions?: string[]; user?: string }>;
		expect(apis.find((a) => a.api === 'mde')).toMatchObject({ user: FIXTURE.users.analyst.upn });
		expect(apis.find((a) => a.api === 'mde')?.delegatedPermissions).toEqual([...FIXTURE.apps.delegated.delegated.mde].sort());
		const row = (op: string) => rows.find((r) => r.resource === 'machine' && r.operation === op)!;
		expect(row('isolate')).toMatchObject({ allowed: true, userRoleMustInclude: 'Active remediation actions' });
		expect(row('offboard').allowed).toBe(false);
		expect(String(row('offboard').howToFix)).toContain('delegated permission Machine.Offboard');
		expect(rows.find((r) => r.resource === 'alert' && r.operation === 'update' && r.api === 'graph')).toMatchObject({ allowed: true, userRoleMustInclude: 'Alerts investigation' });
	});
});
