import * as crypto from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { startEmulator, type EmulatorHandle } from './index';
import { FIXTURE } from './core/fixture';
import { certThumbprints } from './core/jwt';
import {
	jwtPayload,
	makeAssertion,
	request,
	tokenRequest,
	type SimpleResponse,
} from './core/testkit';

const A = FIXTURE.tenants.A;
const FULL = FIXTURE.apps.full;
const MDE = 'https://api.securitycenter.microsoft.com/.default';
const XDR = 'https://api.security.microsoft.com/.default';
const GRAPH = 'https://graph.microsoft.com/.default';

let emu: EmulatorHandle<unknown>;
beforeAll(async () => {
	emu = await startEmulator({ routes: [], createStore: () => ({}) });
});
afterAll(async () => {
	await emu.close();
});

function expectAad(r: SimpleResponse, status: number, error: string, code: number) {
	expect(r.status).toBe(status);
	expect(r.json.error).toBe(error);
	expect(r.json.error_codes).toEqual([code]);
	expect(r.json.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
	expect(r.json.error_description).toMatch(
		/\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
	);
	expect(r.json.trace_id).toMatch(/^[0-9a-f-]{36}$/);
	expect(r.json.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
	expect(r.json.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
	expect(r.json.error_uri).toContain(`error?code=${code}`);
}

describe('token endpoint with a client secret', () => {
	test('issues a signed RS256 token with aud, tid, appid/azp, roles and lifetime', async () => {
		const r = await tokenRequest(emu.httpUrl, A.id, {
			client_id: FULL.clientId,
			client_secret: FULL.secret,
			scope: MDE,
		});
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
		const [h, p, s] = (r.json.access_token as string).split('.');
		const header = JSON.parse(Buffer.from(h, 'base64url').toString());
		expect(header.alg).toBe('RS256');
		const ok = crypto.verify(
			'sha256',
			Buffer.from(`${h}.${p}`),
			emu.tokenSigningKeyPem,
			Buffer.from(s, 'base64url'),
		);
		expect(ok).toBe(true);
		const claims = jwtPayload(r.json.access_token);
		expect(claims).toMatchObject({
			aud: 'https://api.securitycenter.microsoft.com',
			tid: A.id,
			appid: FULL.clientId,
			azp: FULL.clientId,
		});
		expect(claims.roles).toEqual(
			expect.arrayContaining(['Alert.ReadWrite.All', 'Machine.Isolate', 'AdvancedQuery.Read.All']),
		);
		expect((claims.exp as number) - (claims.iat as number)).toBe(3599);
		const entry = emu.log[emu.log.length - 1];
		expect(entry).toMatchObject({
			family: 'entra',
			grant: 'secret',
			tenantId: A.id,
			appId: FULL.clientId,
			status: 200,
		});
		expect(JSON.stringify(emu.log)).not.toContain(FULL.secret);
	});

	test('accepts HTTP Basic client authentication and the verified domain as tenant', async () => {
		const basic = Buffer.from(
			`${encodeURIComponent(FULL.clientId)}:${encodeURIComponent(FULL.secret)}`,
		).toString('base64');
		const r = await tokenRequest(
			emu.httpUrl,
			A.domain,
			{ scope: XDR },
			{ authorization: `Basic ${basic}` },
		);
		expect(r.status).toBe(200);
		expect(jwtPayload(r.json.access_token)).toMatchObject({
			aud: 'https://api.security.microsoft.com',
			tid: A.id,
		});
	});

	test('roles are per family and per app; NOROLES gets a token without roles', async () => {
		const ro = await tokenRequest(emu.httpUrl, A.id, {
			client_id: FIXTURE.apps.readonly.clientId,
			client_secret: FIXTURE.apps.readonly.secret,
			scope: GRAPH,
		});
		expect(jwtPayload(ro.json.access_token).roles).toEqual([
			'SecurityIncident.Read.All',
			'SecurityAlert.Read.All',
			'ThreatHunting.Read.All',
		]);
		const none = await tokenRequest(emu.httpUrl, A.id, {
			client_id: FIXTURE.apps.noroles.clientId,
			client_secret: FIXTURE.apps.noroles.secret,
			scope: MDE,
		});
		expect(none.status).toBe(200);
		expect(jwtPayload(none.json.access_token).roles).toBeUndefined();
	});

	test("every cloud's resource in the emulator's own cloud table is accepted", async () => {
		// The package's hosts.ts is compared with this table in test/unit/contract.test.ts.
		const { EMULATED_CLOUDS } = await import('./core/clouds');
		for (const cloud of Object.values(EMULATED_CLOUDS)) {
			for (const api of Object.values(cloud.api)) {
				const scope = `${api.resource}/.default`;
				const r = await tokenRequest(emu.httpUrl, A.id, {
					client_id: FULL.clientId,
					client_secret: FULL.secret,
					scope,
				});
				expect([scope, r.status]).toEqual([scope, 200]);
				expect(jwtPayload(r.json.access_token).aud).toBe(api.resource);
			}
		}
	});

	test('token lifetime is configurable', async () => {
		const short = await startEmulator({
			routes: [],
			createStore: () => ({}),
			tokenLifetimeSec: 120,
		});
		try {
			const r = await tokenRequest(short.httpUrl, A.id, {
				client_id: FULL.clientId,
				client_secret: FULL.secret,
				scope: MDE,
			});
			expect(r.json.expires_in).toBe(120);
		} finally {
			await short.close();
		}
	});
});

describe('AADSTS errors', () => {
	const base = { client_id: FULL.clientId, client_secret: FULL.secret, scope: MDE };
	test('90002 unknown tenant (GUID and domain), 900023 malformed tenant', async () => {
		expectAad(
			await tokenRequest(emu.httpUrl, '99999999-9999-4999-8999-999999999999', base),
			400,
			'invalid_request',
			90002,
		);
		expectAad(
			await tokenRequest(emu.httpUrl, 'nobody.onmicrosoft.com', base),
			400,
			'invalid_request',
			90002,
		);
		expectAad(
			await tokenRequest(emu.httpUrl, 'not_a_tenant!', base),
			400,
			'invalid_request',
			900023,
		);
	});
	test('700016 app not in tenant (READONLY only exists in A)', async () => {
		const r = await tokenRequest(emu.httpUrl, FIXTURE.tenants.B.id, {
			...base,
			client_id: FIXTURE.apps.readonly.clientId,
			client_secret: FIXTURE.apps.readonly.secret,
		});
		expectAad(r, 400, 'unauthorized_client', 700016);
		expect(r.json.error_description).toContain(FIXTURE.apps.readonly.clientId);
	});
	test('7000215 wrong secret (the secret ID), with the value-not-ID hint', async () => {
		const r = await tokenRequest(emu.httpUrl, A.id, { ...base, client_secret: FULL.secretId });
		expectAad(r, 401, 'invalid_client', 7000215);
		expect(r.json.error_description).toContain('client secret value, not the client secret ID');
		expect(JSON.stringify(emu.log)).not.toContain(FULL.secretId);
	});
	test('7000222 expired secret', async () => {
		const r = await tokenRequest(emu.httpUrl, A.id, {
			...base,
			client_id: FIXTURE.apps.expired.clientId,
			client_secret: FIXTURE.apps.expired.secret,
		});
		expectAad(r, 401, 'invalid_client', 7000222);
	});
	test('7000218 no credential', async () => {
		expectAad(
			await tokenRequest(emu.httpUrl, A.id, { client_id: FULL.clientId, scope: MDE }),
			401,
			'invalid_client',
			7000218,
		);
	});
	test('1002012 scope without /.default', async () => {
		expectAad(
			await tokenRequest(emu.httpUrl, A.id, {
				...base,
				scope: 'https://graph.microsoft.com/SecurityAlert.Read.All',
			}),
			400,
			'invalid_scope',
			1002012,
		);
		expectAad(
			await tokenRequest(emu.httpUrl, A.id, {
				...base,
				scope: 'https://api.securitycenter.microsoft.com',
			}),
			400,
			'invalid_scope',
			1002012,
		);
	});
	test('70011 malformed scope, 500011 unknown resource', async () => {
		expectAad(
			await tokenRequest(emu.httpUrl, A.id, { ...base, scope: 'nonsense' }),
			400,
			'invalid_scope',
			70011,
		);
		expectAad(
			await tokenRequest(emu.httpUrl, A.id, { ...base, scope: 'https://api.example.com/.default' }),
			400,
			'invalid_resource',
			500011,
		);
	});
	test('700022 more than one resource', async () => {
		expectAad(
			await tokenRequest(emu.httpUrl, A.id, { ...base, scope: `${MDE} ${GRAPH}` }),
			400,
			'invalid_scope',
			700022,
		);
	});
	test('500011 when the resource app is not provisioned in the tenant', async () => {
		const fixture = emu.fixture;
		const custom = await startEmulator({
			routes: [],
			createStore: () => ({}),
			fixture: {
				...fixture,
				tenants: { ...fixture.tenants, [A.id]: { ...fixture.tenants[A.id], resources: ['graph'] } },
			},
		});
		try {
			expectAad(await tokenRequest(custom.httpUrl, A.id, base), 400, 'invalid_resource', 500011);
		} finally {
			await custom.close();
		}
	});
	test('missing parameters and wrong grant type', async () => {
		expectAad(
			await tokenRequest(emu.httpUrl, A.id, { client_secret: FULL.secret, scope: MDE }),
			400,
			'invalid_request',
			900144,
		);
		expectAad(
			await tokenRequest(emu.httpUrl, A.id, { ...base, grant_type: 'password' }),
			400,
			'unsupported_grant_type',
			70003,
		);
	});
});

describe('token endpoint with a client assertion', () => {
	const url = () => `${emu.httpUrl}/${A.id}/oauth2/v2.0/token`;
	const assertionRequest = (assertion: string, tenant: string = A.id, base = emu.httpUrl) =>
		tokenRequest(base, tenant, {
			client_id: FULL.clientId,
			scope: GRAPH,
			client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
			client_assertion: assertion,
		});

	test.each([
		['PS256', 'x5t#S256'],
		['RS256', 'x5t'],
		['PS256', 'x5t'],
		['RS256', 'x5t#S256'],
	] as const)('%s with %s is accepted', async (alg, thumbprint) => {
		const r = await assertionRequest(makeAssertion({ tokenUrl: url(), alg, thumbprint }));
		expect(r.status).toBe(200);
		expect(jwtPayload(r.json.access_token)).toMatchObject({
			aud: 'https://graph.microsoft.com',
			appidacr: '2',
		});
		const entry = emu.log[emu.log.length - 1];
		expect(entry.grant).toBe('assertion');
		expect(JSON.stringify(entry)).not.toMatch(/eyJ/);
	});

	test('aud may use the domain form and the https origin', async () => {
		const httpsUrl = `${emu.httpsUrl}/${A.domain}/oauth2/v2.0/token`;
		const r = await assertionRequest(makeAssertion({ tokenUrl: httpsUrl }), A.domain, emu.httpsUrl);
		expect(r.status).toBe(200);
	});

	test('700027 tampered assertion (payload changed after signing)', async () => {
		const good = makeAssertion({ tokenUrl: url() });
		const [h, , s] = good.split('.');
		const claims = jwtPayload(good);
		const forged = Buffer.from(
			JSON.stringify({ ...claims, exp: (claims.exp as number) + 3600 }),
		).toString('base64url');
		expectAad(await assertionRequest(`${h}.${forged}.${s}`), 401, 'invalid_client', 700027);
	});

	test('700027 signed with a key that does not match the registered certificate', async () => {
		// Right thumbprint header (the registered cert), wrong private key.
		const assertion = makeAssertion({ tokenUrl: url(), keyPem: FIXTURE.unregisteredCert.keyPem });
		expectAad(await assertionRequest(assertion), 401, 'invalid_client', 700027);
	});

	test('700027 certificate not registered on the app', async () => {
		const assertion = makeAssertion({
			tokenUrl: url(),
			certPem: FIXTURE.unregisteredCert.certPem,
			keyPem: FIXTURE.unregisteredCert.keyPem,
		});
		const r = await assertionRequest(assertion);
		expectAad(r, 401, 'invalid_client', 700027);
		expect(r.json.error_description).toContain('not registered');
	});

	test('700024 outside the time window, and on jti replay', async () => {
		const now = Math.floor(Date.now() / 1000);
		expectAad(
			await assertionRequest(makeAssertion({ tokenUrl: url(), nowSec: now - 3600 })),
			401,
			'invalid_client',
			700024,
		);
		expectAad(
			await assertionRequest(makeAssertion({ tokenUrl: url(), nowSec: now + 3600 })),
			401,
			'invalid_client',
			700024,
		);
		const once = makeAssertion({ tokenUrl: url() });
		expect((await assertionRequest(once)).status).toBe(200);
		expectAad(await assertionRequest(once), 401, 'invalid_client', 700024);
	});

	test('audience and issuer must match', async () => {
		const wrongAud = makeAssertion({
			tokenUrl: `https://login.microsoftonline.com/${A.id}/oauth2/v2.0/token`,
		});
		expect((await assertionRequest(wrongAud)).json.error_codes).toEqual([700023]);
		const wrongIss = makeAssertion({
			tokenUrl: url(),
			claims: { iss: FIXTURE.apps.readonly.clientId },
		});
		expect((await assertionRequest(wrongIss)).json.error_codes).toEqual([700021]);
	});
});

describe('@azure/msal-node against the HTTPS authority', () => {
	const system = () => ({ customAgentOptions: { ca: FIXTURE.tls.caPem } });
	const authority = () => `${emu.httpsUrl}/${A.id}`;
	const knownAuthorities = () => [new URL(emu.httpsUrl).host];

	test('acquires a token with a client secret', async () => {
		const cca = new ConfidentialClientApplication({
			auth: {
				clientId: FULL.clientId,
				clientSecret: FULL.secret,
				authority: authority(),
				knownAuthorities: knownAuthorities(),
			},
			system: system(),
		});
		const r = await cca.acquireTokenByClientCredential({ scopes: [MDE] });
		expect(r?.accessToken).toBeTruthy();
		expect(jwtPayload(r!.accessToken)).toMatchObject({
			aud: 'https://api.securitycenter.microsoft.com',
			tid: A.id,
		});
	});

	test('acquires a token with a certificate (PS256 / x5t#S256 and RS256 / x5t)', async () => {
		const tp = certThumbprints(FULL.certPem);
		const sha256 = new ConfidentialClientApplication({
			auth: {
				clientId: FULL.clientId,
				authority: authority(),
				knownAuthorities: knownAuthorities(),
				clientCertificate: {
					thumbprintSha256: tp.sha256Hex,
					privateKey: FULL.keyPem,
					x5c: FULL.certPem,
				},
			},
			system: system(),
		});
		const r1 = await sha256.acquireTokenByClientCredential({ scopes: [GRAPH] });
		expect(jwtPayload(r1!.accessToken)).toMatchObject({
			aud: 'https://graph.microsoft.com',
			appidacr: '2',
		});
		const sha1 = new ConfidentialClientApplication({
			auth: {
				clientId: FULL.clientId,
				authority: `${emu.httpsUrl}/${A.domain}`,
				knownAuthorities: knownAuthorities(),
				clientCertificate: { thumbprint: tp.sha1Hex, privateKey: FULL.keyPem },
			},
			system: system(),
		});
		const r2 = await sha1.acquireTokenByClientCredential({ scopes: [XDR] });
		expect(jwtPayload(r2!.accessToken)).toMatchObject({
			aud: 'https://api.security.microsoft.com',
			tid: A.id,
		});
	});

	test('surfaces the AADSTS error for a wrong secret', async () => {
		const cca = new ConfidentialClientApplication({
			auth: {
				clientId: FULL.clientId,
				clientSecret: 'wrong',
				authority: authority(),
				knownAuthorities: knownAuthorities(),
			},
			system: system(),
		});
		await expect(cca.acquireTokenByClientCredential({ scopes: [MDE] })).rejects.toThrow(
			/AADSTS7000215/,
		);
	});

	test('HTTPS uses the committed test CA (and fails without it)', async () => {
		const ok = await request(`${emu.httpsUrl}/_control/health`);
		expect(ok.status).toBe(200);
		await expect(
			request(`${emu.httpsUrl}/_control/health`, { ca: FIXTURE.unregisteredCert.certPem }),
		).rejects.toThrow();
	});
});
