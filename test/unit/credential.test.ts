/* eslint-disable @n8n/community-nodes/no-restricted-imports */
import * as https from 'node:https';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';

import { MicrosoftDefenderEntraAppApi } from '../../credentials/MicrosoftDefenderEntraAppApi.credentials';
import { AADSTS_EXPLANATIONS } from '../../nodes/MicrosoftDefender/helpers/errors';
import { buildClientAssertion, certificateThumbprints } from '../../nodes/MicrosoftDefender/helpers/assertion';
import { decodeJwtHeader, decodeJwtPayload } from '../../nodes/MicrosoftDefender/helpers/jwt';
import {
	API_FAMILIES,
	CLOUDS,
	CONNECTION_TEST_CALLS,
	baseUrlExpression,
	resolveEndpoints,
	testPathExpression,
	type CloudName,
} from '../../nodes/MicrosoftDefender/helpers/hosts';
import { startEmulator, FIXTURE, type EmulatorHandle } from '../emulator';
import { emulatorCredentials, evaluateWithScope, testCredential } from '../harness';

const credentialType = new MicrosoftDefenderEntraAppApi();
let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({ sizes: { machines: 5, alerts: 5, incidents: 5 } });
});
afterAll(async () => {
	await emu.close();
});
beforeEach(() => {
	emu.useRealTime();
	emu.clearLog();
});

function creds(overrides: Record<string, unknown> = {}, base = emulatorCredentials(emu, { app: 'full', tenant: 'A' })) {
	return { ...base, ...overrides } as ICredentialDataDecryptedObject;
}

async function run(data: ICredentialDataDecryptedObject, onRequest?: (o: IHttpRequestOptions) => void) {
	return await testCredential(credentialType, data, { onRequest });
}

describe('credential test (preAuthentication + declarative test request) against the emulator', () => {
	it.each(['mde', 'graph'])('is green for the full app testing with %s, and calls that API', async (api) => {
		const seen: string[] = [];
		const res = await run(creds({ testApi: api }), (o) => seen.push(`${o.method} ${o.baseURL ?? ''}${o.url}`));
		expect(res).toMatchObject({ status: 'OK', message: 'Connection successful!' });
		expect(seen[1]).toBe(`GET ${emu.httpUrl}${CONNECTION_TEST_CALLS[api as 'mde'].path}`);
		const apiCall = emu.log.find((l) => l.family !== 'entra');
		expect(apiCall).toMatchObject({ family: api, status: 200 });
	});

	it('Custom Endpoints over HTTPS (test CA trusted) reach the emulator', async () => {
		const res = await testCredential(credentialType, emulatorCredentials(emu, { app: 'full', tenant: 'A', https: true }), { ca: FIXTURE.tls.caPem });
		expect(res.status).toBe('OK');
		expect(emu.httpsUrl.startsWith('https://')).toBe(true);
	});

	it('HTTP errors of the test call map to a fix (403, 429, 5xx)', async () => {
		emu.faults.next(1, 429, '/api/machineactions');
		expect((await run(creds({ testApi: 'mde' }))).message).toContain('throttling this app');
		emu.faults.next(1, 503, CONNECTION_TEST_CALLS.graph.path);
		expect((await run(creds())).message).toContain('server error (HTTP 503)');
		const rule403 = credentialType.test.rules?.find((r) => r.type === 'responseCode' && r.properties.value === 403);
		expect(rule403?.properties.message).toMatch(/Machine\.Read\.All \(WindowsDefenderATP\).*Grant admin consent/);
		emu.faults.clear();
	});

	it('accepts a verified domain as tenant', async () => {
		expect((await run(creds({ tenantId: FIXTURE.tenants.A.domain }))).status).toBe('OK');
	});

	it('a stored token is not reused after the secret or the tested API was edited', async () => {
		const first = await run(creds());
		expect(first.status).toBe('OK');
		const stored = first.credentials!;
		expect(stored.accessToken).toBeTruthy();
		// Same settings: the stored token is used, no new token request.
		emu.clearLog();
		const again = await testCredential(credentialType, stored, { reuseStoredToken: true });
		expect(again.status).toBe('OK');
		expect(emu.log.filter((l) => l.family === 'entra')).toHaveLength(0);
		// Edited secret: the stale token is not sent; the 401 triggers a new token request, which fails.
		const edited = await testCredential(credentialType, { ...stored, clientSecret: 'typed-wrong-value' }, { reuseStoredToken: true });
		expect(edited.status).toBe('Error');
		expect(edited.message).toContain('AADSTS7000215');
		// Other tested API: a fresh token for that audience.
		const other = await testCredential(credentialType, { ...stored, testApi: 'graph' }, { reuseStoredToken: true });
		expect(other.status).toBe('OK');
	});

	it('7000215 with a secret that is not GUID-shaped: wrong value, not "looks like the ID"', async () => {
		const res = await run(creds({ clientSecret: 'not-the-right-value' }));
		expect(res.message).toContain('AADSTS7000215');
		expect(res.message).not.toContain("looks like the secret's ID");
		expect(res.message).toContain("paste the secret's Value (not its Secret ID)");
	});

	it("7000215: the secret's ID pasted instead of its value", async () => {
		const res = await run(creds({ clientSecret: FIXTURE.apps.full.secretId }));
		expect(res.status).toBe('Error');
		expect(res.message).toContain('AADSTS7000215');
		expect(res.message).toContain("this looks like the secret's ID; paste the secret's Value".replace(/^t/, 'T'));
	});

	it('7000222: expired secret', async () => {
		const res = await run(emulatorCredentials(emu, { app: 'expired', tenant: 'A' }));
		expect(res.message).toContain('AADSTS7000222');
		expect(res.message).toContain(AADSTS_EXPLANATIONS[7000222].description);
	});

	it('90002: unknown tenant → wrong tenant or wrong cloud', async () => {
		const res = await run(creds({ tenantId: '99999999-9999-4999-8999-999999999999' }));
		expect(res.message).toContain('AADSTS90002');
		expect(res.message).toContain('Wrong tenant or wrong cloud');
	});

	it('700016: app not in the tenant (not consented there)', async () => {
		const res = await run(emulatorCredentials(emu, { app: 'readonly', tenant: 'B' }));
		expect(res.message).toContain('AADSTS700016');
		expect(res.message).toContain('not consented');
		// The real admin-consent URL (login host, tenant, client ID; no secret), cause before the Client ID hint.
		const url = `${emu.httpUrl}/${FIXTURE.tenants.B.id}/adminconsent?client_id=${FIXTURE.apps.readonly.clientId}`;
		expect(res.message).toContain(url);
		expect(res.message).not.toMatch(/[{<]login host[}>]/);
		expect(res.message).not.toContain(String(FIXTURE.apps.readonly.secret));
		expect(res.message.indexOf('not consented')).toBeLessThan(res.message.indexOf('Client ID'));
	});

	it('500011: resource not provisioned / wrong cloud (unknown scope)', async () => {
		const res = await run(creds({ testApi: 'mde', mdeScope: 'https://api.nowhere.example.com/.default' }));
		expect(res.message).toContain('AADSTS500011');
		expect(res.message).toContain('wrong');
	});

	it.each([
		['https://graph.microsoft.com/SecurityIncident.Read.All', 1002012],
		['no-such scope', 70011],
		['https://graph.microsoft.com/.default https://api.security.microsoft.com/.default', 700022],
	])('scope problems: %s → AADSTS%s', async (scope, code) => {
		const res = await run(creds({ testApi: 'graph', graphScope: scope }));
		expect(res.message).toContain(`AADSTS${code}`);
		expect(res.message).toContain('Scope problem');
	});

	it.each(['PS256', 'RS256'])('certificate auth with %s is accepted', async (alg) => {
		const res = await run(emulatorCredentials(emu, { app: 'full', tenant: 'A', auth: 'certificate', assertionAlgorithm: alg as 'PS256' }));
		expect(res).toMatchObject({ status: 'OK', message: 'Connection successful!' });
		expect(emu.log.find((l) => l.family === 'entra')).toMatchObject({ grant: 'assertion', status: 200 });
	});

	it('certificate with newlines lost (pasted into a one-line field) still works', async () => {
		const c = emulatorCredentials(emu, { app: 'full', tenant: 'A', auth: 'certificate' });
		const oneLine = (pem: string) => pem.replace(/\r?\n/g, ' ');
		const res = await run({ ...c, privateKey: oneLine(String(c.privateKey)), certificate: oneLine(String(c.certificate)) });
		expect(res.status).toBe('OK');
	});

	it('700027: certificate not registered on the app', async () => {
		const res = await run(
			creds({
				authentication: 'certificate',
				privateKey: FIXTURE.unregisteredCert.keyPem,
				certificate: FIXTURE.unregisteredCert.certPem,
			}),
		);
		expect(res.message).toContain('AADSTS700027');
		expect(res.message).toContain('not registered on the app');
	});

	it('700024: assertion outside the time window (clock skew)', async () => {
		emu.setNow(Date.now() + 3 * 3600 * 1000);
		const res = await run(emulatorCredentials(emu, { app: 'full', tenant: 'A', auth: 'certificate' }));
		emu.useRealTime();
		expect(res.message).toContain('AADSTS700024');
		expect(res.message).toContain('clock');
	});

	it('a key that is not PEM is refused before any request', async () => {
		const res = await run(creds({ authentication: 'certificate', privateKey: 'C:\\keys\\app.pem', certificate: FIXTURE.apps.full.certPem }));
		expect(res.message).toMatch(/not a PEM private key/);
		expect(emu.log.filter((l) => l.family === 'entra')).toHaveLength(0);
	});

	it('no roles → names the missing permission, its API and admin consent', async () => {
		const res = await run({ ...emulatorCredentials(emu, { app: 'noroles', tenant: 'A' }), testApi: 'mde' });
		expect(res.status).toBe('Error');
		expect(res.message).toContain('Machine.Read.All');
		expect(res.message).toContain('WindowsDefenderATP');
		expect(res.message).toContain('no roles');
		expect(res.message).toContain('Grant admin consent');
	});

	it('read-only app is green for Graph incidents', async () => {
		expect((await run(emulatorCredentials(emu, { app: 'readonly', tenant: 'A' }), undefined)).status).toBe('OK');
		const r = await run({ ...emulatorCredentials(emu, { app: 'readonly', tenant: 'A' }), testApi: 'graph' });
		expect(r.status).toBe('OK');
	});

	it('malformed tenant and client IDs and bad custom URLs are refused with a fix', async () => {
		expect((await run(creds({ tenantId: 'not a tenant' }))).message).toMatch(/not a GUID or a domain.*Directory \(tenant\) ID/);
		expect((await run(creds({ clientId: 'my-app' }))).message).toMatch(/client ID is not a GUID/);
		expect((await run(creds({ customLoginUrl: 'ftp://x' }))).message).toMatch(/Login URL must start with https/);
		expect((await run(creds({ customMdeBaseUrl: '' }))).message).toMatch(/Defender for Endpoint API Base URL is empty/);
	});

	it('an unreachable login host is explained', async () => {
		const res = await run(creds({ customLoginUrl: 'http://127.0.0.1:1' }));
		expect(res.message).toMatch(/Could not reach the login endpoint \(connection refused\)/);
	});
});

describe('hosts table', () => {
	it('the test request resolves from the table for every cloud and family', () => {
		for (const cloud of Object.keys(CLOUDS) as CloudName[]) {
			for (const f of API_FAMILIES) {
				const $credentials = { cloud, testApi: f };
				expect(evaluateWithScope(baseUrlExpression("$credentials.testApi || 'mde'"), { $credentials })).toBe(CLOUDS[cloud].api[f].baseUrl);
				expect(evaluateWithScope(testPathExpression("$credentials.testApi || 'mde'"), { $credentials })).toBe(CONNECTION_TEST_CALLS[f].path);
				const r = resolveEndpoints({ cloud });
				expect(r.api[f]).toMatchObject({ baseUrl: CLOUDS[cloud].api[f].baseUrl, scope: CLOUDS[cloud].api[f].scope });
				expect(r.authority).toBe(CLOUDS[cloud].authority);
			}
		}
		const custom = emulatorCredentials(emu, {});
		expect(evaluateWithScope(baseUrlExpression("'graph'"), { $credentials: custom })).toBe(emu.httpUrl);
		expect(resolveEndpoints(custom).api.graph.scope).toBe(CLOUDS.global.api.graph.scope);
		expect(resolveEndpoints({ ...custom, mdeScope: ' https://x/.default ' }).api.mde.scope).toBe('https://x/.default');
		expect(baseUrlExpression('x')).not.toMatch(/\}\}.*\}\}/);
	});

	it('the credential offers every cloud of the table plus Custom Endpoints', () => {
		const cloud = credentialType.properties.find((p) => p.name === 'cloud');
		expect((cloud?.options as Array<{ value: string }>).map((o) => o.value)).toEqual([...Object.keys(CLOUDS), 'custom']);
		for (const name of ['clientSecret', 'privateKey', 'privateKeyPassphrase', 'accessToken']) {
			expect(credentialType.properties.find((p) => p.name === name)?.typeOptions?.password).toBe(true);
		}
	});
});

describe('client assertion format matches @azure/msal-node', () => {
	const app = FIXTURE.apps.full;

	/** Runs MSAL against the emulator and returns the client assertion it sent. */
	async function msalAssertion(useSha1: boolean): Promise<string> {
		const sent: string[] = [];
		const call = (url: string, method: string, body?: string) =>
			new Promise<{ status: number; headers: Record<string, string>; body: unknown }>((resolve, reject) => {
				const req = https.request(url, { method, ca: FIXTURE.tls.caPem, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
					let text = '';
					res.on('data', (c) => (text += c));
					res.on('end', () =>
						resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: text ? JSON.parse(text) : {} }),
					);
				});
				req.on('error', reject);
				if (body) req.write(body);
				req.end();
			});
		const tenant = FIXTURE.tenants.A.id;
		const thumbs = certificateThumbprints(app.certPem);
		const cca = new ConfidentialClientApplication({
			auth: {
				clientId: app.clientId,
				authority: `${emu.httpsUrl}/${tenant}`,
				knownAuthorities: [new URL(emu.httpsUrl).host],
				clientCertificate: useSha1
					? { thumbprint: Buffer.from(thumbs.sha1Hex, 'hex').toString('hex'), privateKey: app.keyPem }
					: { thumbprintSha256: Buffer.from(thumbs.x5tS256, 'base64url').toString('hex'), privateKey: app.keyPem },
			},
			system: {
				networkClient: {
					sendGetRequestAsync: async (url: string) => (await call(url, 'GET')) as never,
					sendPostRequestAsync: async (url: string, options?: { body?: string }) => {
						const a = new URLSearchParams(options?.body ?? '').get('client_assertion');
						if (a) sent.push(a);
						return (await call(url, 'POST', options?.body)) as never;
					},
				},
			},
		});
		const result = await cca.acquireTokenByClientCredential({ scopes: [CLOUDS.global.api.graph.scope] });
		expect(result?.accessToken).toBeTruthy();
		expect(sent).toHaveLength(1);
		return sent[0];
	}

	it.each([
		['PS256', false],
		['RS256', true],
	] as const)('%s: same header and claim names and values as MSAL', async (alg, sha1) => {
		const theirs = await msalAssertion(sha1);
		const tokenUrl = `${emu.httpsUrl}/${FIXTURE.tenants.A.id}/oauth2/v2.0/token`;
		const ours = buildClientAssertion({ clientId: app.clientId, tokenUrl, privateKeyPem: app.keyPem, certificatePem: app.certPem, algorithm: alg });
		const [th, tp] = [decodeJwtHeader(theirs)!, decodeJwtPayload(theirs)!];
		const [oh, op] = [decodeJwtHeader(ours)!, decodeJwtPayload(ours)!];
		expect(th.alg).toBe(alg);
		expect(Object.keys(oh).sort()).toEqual(Object.keys(th).sort());
		for (const k of Object.keys(th)) expect(oh[k]).toEqual(th[k]);
		expect(Object.keys(op).sort()).toEqual(Object.keys(tp).sort());
		for (const k of ['aud', 'iss', 'sub']) expect(op[k]).toEqual(tp[k]);
		expect(op.jti).toMatch(/^[0-9a-f-]{36}$/);
		expect(Number(op.exp) - Number(op.nbf)).toBe(600);
	});
});
