/**
 * The emulator's delegated sign-in: /authorize (form and auto-consent), the authorization_code
 * and refresh_token grants with rotation, `scp` + user tokens, user roles on the API, and the
 * documented errors.
 */
import { startEmulator, type EmulatorHandle } from './index';
import { FIXTURE } from './core/fixture';
import { jwtPayload, request, tokenRequest } from './core/testkit';

const A = FIXTURE.tenants.A;
const APP = FIXTURE.apps.delegated;
const GRAPH_ONLY = FIXTURE.apps.delegatedGraphOnly;
const REDIRECT = 'http://localhost:5678/rest/oauth2-credential/callback';
const GRAPH = 'https://graph.microsoft.com';
const MDE = 'https://api.securitycenter.microsoft.com';

let emu: EmulatorHandle;
beforeAll(async () => {
	emu = await startEmulator({ seed: 3, quotas: false, sizes: { machines: 5, alerts: 5, incidents: 3 } });
});
afterAll(async () => {
	await emu.close();
});

function authorizeUrl(q: Record<string, string>): string {
	const u = new URL(`${emu.httpUrl}/${A.id}/oauth2/v2.0/authorize`);
	const all = { client_id: APP.clientId, response_type: 'code', redirect_uri: REDIRECT, state: 's1', scope: `${GRAPH}/.default offline_access`, ...q };
	for (const [k, v] of Object.entries(all)) u.searchParams.set(k, v);
	return u.toString();
}

/** Signs in through the HTML form the way a browser would (GET the page, POST the form). */
async function signInWithForm(user: string, q: Record<string, string> = {}): Promise<URL> {
	const page = await request(authorizeUrl(q));
	expect(page.status).toBe(200);
	expect(page.text).toContain('<form method="post">');
	const fields = new URLSearchParams();
	for (const m of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
		fields.set(m[1], m[2].replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))));
	}
	fields.set('user', user);
	fields.set('consent', 'accept');
	const r = await request(authorizeUrl(q), {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: fields.toString(),
	});
	expect(r.status).toBe(302);
	return new URL(String(r.headers.location));
}

async function autoSignIn(user: string, q: Record<string, string> = {}): Promise<URL> {
	const r = await request(authorizeUrl({ login_hint: user, emulator_consent: 'accept', ...q }));
	expect(r.status).toBe(302);
	return new URL(String(r.headers.location));
}

function redeemCode(code: string, extra: Record<string, string> = {}) {
	return tokenRequest(emu.httpUrl, A.id, {
		grant_type: 'authorization_code',
		client_id: APP.clientId,
		client_secret: APP.secret,
		code,
		redirect_uri: REDIRECT,
		...extra,
	});
}

function redeemRefresh(refreshToken: string, scope?: string, app: { clientId: string; secret: string } = APP) {
	return tokenRequest(emu.httpUrl, A.id, {
		grant_type: 'refresh_token',
		client_id: app.clientId,
		client_secret: app.secret,
		refresh_token: refreshToken,
		scope,
	});
}

describe('authorize', () => {
	test('the form signs a user in and redirects with a code and the state', async () => {
		const back = await signInWithForm(FIXTURE.users.analyst.upn);
		expect(back.origin + back.pathname).toBe(REDIRECT);
		expect(back.searchParams.get('state')).toBe('s1');
		expect(back.searchParams.get('code')).toBeTruthy();
	});

	test('an unregistered redirect URI is refused on the page (AADSTS50011), never redirected to', async () => {
		const r = await request(authorizeUrl({ redirect_uri: 'https://evil.example/cb', login_hint: 'x', emulator_consent: 'accept' }));
		expect(r.status).toBe(400);
		expect(r.headers.location).toBeUndefined();
		expect(r.text).toContain('AADSTS50011');
	});

	test('cancel on the consent step returns access_denied to the app', async () => {
		const back = await autoSignIn(FIXTURE.users.analyst.upn, { emulator_consent: 'deny' });
		expect(back.searchParams.get('error')).toBe('access_denied');
		expect(back.searchParams.get('error_description')).toMatch(/^AADSTS65004/);
	});
});

describe('authorization code and refresh token grants', () => {
	test('the code gives a user token with scp, and a refresh token; the code is single-use', async () => {
		const code = (await autoSignIn(FIXTURE.users.analyst.upn)).searchParams.get('code')!;
		const r = await redeemCode(code);
		expect(r.status).toBe(200);
		const p = jwtPayload(r.json.access_token);
		expect(p).toMatchObject({ aud: GRAPH, tid: A.id, upn: FIXTURE.users.analyst.upn, oid: FIXTURE.users.analyst.oid, appid: APP.clientId });
		expect(String(p.scp).split(' ')).toEqual(APP.delegated.graph);
		expect(p.roles).toBeUndefined();
		expect(r.json.refresh_token).toBeTruthy();
		const again = await redeemCode(code);
		expect(again.status).toBe(400);
		expect(again.json.error_codes).toEqual([54005]);
	});

	test('a wrong redirect_uri on redemption is refused (AADSTS50011)', async () => {
		const code = (await autoSignIn(FIXTURE.users.analyst.upn)).searchParams.get('code')!;
		const r = await redeemCode(code, { redirect_uri: 'http://localhost:5678/other' });
		expect(r.json.error_codes).toEqual([50011]);
	});

	test('refresh rotates, the old refresh token stays valid, and it is redeemable for another API', async () => {
		const code = (await autoSignIn(FIXTURE.users.analyst.upn)).searchParams.get('code')!;
		const first = (await redeemCode(code)).json;
		const second = await redeemRefresh(first.refresh_token);
		expect(second.status).toBe(200);
		expect(second.json.refresh_token).not.toBe(first.refresh_token);
		const mde = await redeemRefresh(first.refresh_token, `${MDE}/.default offline_access`);
		expect(mde.status).toBe(200);
		const p = jwtPayload(mde.json.access_token);
		expect(p.aud).toBe(MDE);
		expect(String(p.scp).split(' ')).toEqual(APP.delegated.mde);
	});

	test('a refresh token for an API without consent answers AADSTS65001', async () => {
		const back = await request(
			authorizeUrl({ client_id: GRAPH_ONLY.clientId, login_hint: FIXTURE.users.analyst.upn, emulator_consent: 'accept' }),
		);
		const code = new URL(String(back.headers.location)).searchParams.get('code')!;
		const tokens = (
			await tokenRequest(emu.httpUrl, A.id, {
				grant_type: 'authorization_code',
				client_id: GRAPH_ONLY.clientId,
				client_secret: GRAPH_ONLY.secret,
				code,
				redirect_uri: REDIRECT,
			})
		).json;
		const r = await redeemRefresh(tokens.refresh_token, `${MDE}/.default`, GRAPH_ONLY);
		expect(r.status).toBe(400);
		expect(r.json.error).toBe('invalid_grant');
		expect(r.json.error_codes).toEqual([65001]);
	});

	test('revoked refresh tokens answer AADSTS50173; unused ones expire after 90 days (AADSTS700082)', async () => {
		const code = (await autoSignIn(FIXTURE.users.reader.upn)).searchParams.get('code')!;
		const rt = (await redeemCode(code)).json.refresh_token;
		emu.setNow(Date.now() + 91 * 24 * 3600 * 1000);
		try {
			expect((await redeemRefresh(rt)).json.error_codes).toEqual([700082]);
		} finally {
			emu.useRealTime();
		}
		expect((await redeemRefresh(rt)).status).toBe(200);
		const r = await request(`${emu.httpUrl}/_control/delegated/revoke`, { method: 'POST', body: { user: FIXTURE.users.reader.upn } });
		expect(r.json.revoked).toBeGreaterThan(0);
		const after = await redeemRefresh(rt);
		expect(after.json.error).toBe('invalid_grant');
		expect(after.json.error_codes).toEqual([50173]);
	});
});

describe('delegated tokens on the API: scp AND the user role', () => {
	async function mdeToken(user: string): Promise<string> {
		const code = (await autoSignIn(user)).searchParams.get('code')!;
		const rt = (await redeemCode(code)).json.refresh_token;
		return (await redeemRefresh(rt, `${MDE}/.default`)).json.access_token;
	}

	test('an analyst with "Active remediation actions" may isolate; a reader may list but not isolate', async () => {
		const id = emu.store('A').addMachine({ osPlatform: 'Windows11' }).id;
		const analyst = await mdeToken(FIXTURE.users.analyst.upn);
		const reader = await mdeToken(FIXTURE.users.reader.upn);
		const list = await request(`${emu.httpUrl}/api/machines?$top=1`, { headers: { authorization: `Bearer ${reader}` } });
		expect(list.status).toBe(200);
		const body = { Comment: 'test', IsolationType: 'Full' };
		const refused = await request(`${emu.httpUrl}/api/machines/${id}/isolate`, { method: 'POST', headers: { authorization: `Bearer ${reader}` }, body });
		expect(refused.status).toBe(403);
		expect(refused.json.error.message).toContain('Active remediation actions');
		const ok = await request(`${emu.httpUrl}/api/machines/${id}/isolate`, { method: 'POST', headers: { authorization: `Bearer ${analyst}` }, body });
		expect(ok.status).toBe(201);
	});

	test('a permission missing from scp is refused even for a user whose role allows it', async () => {
		const analyst = await mdeToken(FIXTURE.users.analyst.upn);
		// The app has no delegated Machine.Offboard.
		const r = await request(`${emu.httpUrl}/api/machines/x/offboard`, { method: 'POST', headers: { authorization: `Bearer ${analyst}` }, body: { Comment: 'c' } });
		expect(r.status).toBe(403);
		expect(r.json.error.message).toMatch(/Missing delegated permissions.*Machine\.Offboard/);
	});
});
