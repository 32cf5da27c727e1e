/**
 * Issue 12, security items 1–6: what an attacker (or a hostile upstream) tries, through n8n's
 * own request code (the harness's helpers.httpRequest is n8n-core's), against the emulator.
 * Each test failed before its fix.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { MicrosoftDefenderEntraAppApi } from '../../credentials/MicrosoftDefenderEntraAppApi.credentials';
import { redact } from '../../nodes/MicrosoftDefender/helpers/errors';
import { CONNECTION_TEST_CALLS } from '../../nodes/MicrosoftDefender/helpers/hosts';
import { defenderApiRequest, resetTransportState } from '../../nodes/MicrosoftDefender/transport';
import { FIXTURE } from '../emulator';
import { createExecuteContext, emulatorCredentials, runNode, testCredential } from '../harness';
import { apiCalls, byId, byName, node, run, runError, startEmu, type Emulator } from './node.helpers';

let emu: Emulator;
let machineId: string;

beforeAll(async () => {
	emu = await startEmu({ sizes: { machines: 6, alerts: 300, incidents: 20 } });
	machineId = String((emu.store('A') as { machines: Array<{ id: string }> }).machines[0].id);
});
afterAll(async () => {
	await emu.close();
	resetTransportState();
});
beforeEach(() => {
	emu.faults.clear();
	emu.clearLog();
	emu.trap.clear();
});

const SECRET = FIXTURE.apps.full.secret as string;
const entraCalls = () => emu.log.filter((e) => e.family === 'entra');

describe('1. the bearer token never follows a redirect to another origin', () => {
	it.each([301, 302, 303, 307, 308])('GET answered %i to another port: error, nothing reaches the other host', async (status) => {
		emu.faults.next(1, 'redirect', { status, path: `/api/machines/${machineId}` });
		const error = await runError(emu, { resource: 'machine', operation: 'get', machineId: byId(machineId) });
		expect(error.message).toMatch(new RegExp(`redirect \\(HTTP ${status}\\) to ${emu.trap.url.replace(/[.:/]/g, '\\$&')}; it was not followed`));
		expect(error.description).toMatch(/only sent to the Defender for Endpoint API host/);
		expect(emu.trap.requests).toEqual([]);
	});

	it('a GET redirected on the API host itself (same origin, under the base path) is followed', async () => {
		emu.faults.next(1, 'redirect', { status: 307, path: `/api/machines/${machineId}`, location: `${emu.httpUrl}/api/machines/${machineId}?again=1` });
		const items = await run(emu, { resource: 'machine', operation: 'get', machineId: byId(machineId) });
		expect(items[0].json.id).toBe(machineId);
		expect(apiCalls(emu, 'GET', `/api/machines/${machineId}`)).toHaveLength(2);
	});

	it('a POST (isolate) answered 307 is not sent again, not even on the same host', async () => {
		emu.faults.next(1, 'redirect', { status: 307, path: '/isolate', location: `${emu.httpUrl}/api/machines/${machineId}/isolate` });
		const error = await runError(emu, {
			resource: 'machine',
			operation: 'isolate',
			machineId: byId(machineId),
			comment: 'security test',
			options: { reusePendingAction: false },
		});
		expect(error.message).toMatch(/redirect \(HTTP 307\).*not followed/);
		expect(apiCalls(emu, 'POST', '/isolate')).toHaveLength(1);
		expect(emu.trap.requests).toEqual([]);
	});
});

describe('1b. the credential test request (sent by n8n itself) does not follow redirects either', () => {
	it('its test call answered 302 to another port: red, and the stored token never reaches the other host', async () => {
		emu.faults.next(1, 'redirect', { status: 302, path: CONNECTION_TEST_CALLS.graph.path });
		const res = await testCredential(new MicrosoftDefenderEntraAppApi(), emulatorCredentials(emu, { app: 'full', tenant: 'A' }));
		expect(res.status).toBe('Error');
		expect(emu.log.some((e) => e.fault === 'redirect')).toBe(true);
		expect(emu.trap.requests).toEqual([]);
	});
});

describe('2. the token request never follows a redirect (no client secret or assertion re-posted)', () => {
	it.each([
		[307, 'clientSecret'],
		[308, 'clientSecret'],
		[302, 'clientSecret'],
		[307, 'certificate'],
	] as const)('token endpoint answered %i (%s): a clear error, nothing reaches the other host', async (status, auth) => {
		resetTransportState();
		emu.faults.next(1, 'redirect', { status, path: '/oauth2/v2.0/token' });
		const out = await runNode(node, {
			parameters: { resource: 'machine', operation: 'get', machineId: byId(machineId) },
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A', auth: auth === 'certificate' ? 'certificate' : 'secret' }),
			continueOnFail: true,
		});
		const json = out[0][0].json as IDataObject;
		expect(String(json.error)).toMatch(new RegExp(`login endpoint answered with a redirect \\(HTTP ${status}\\)`));
		expect(emu.trap.requests).toEqual([]);
		expect(apiCalls(emu)).toEqual([]);
	});

	it('the credential test says so too', async () => {
		emu.faults.next(2, 'redirect', { status: 307, path: '/oauth2/v2.0/token' });
		const res = await testCredential(new MicrosoftDefenderEntraAppApi(), emulatorCredentials(emu, { app: 'full', tenant: 'A' }));
		expect(res.status).toBe('Error');
		expect(res.message).toMatch(/redirect \(HTTP 307\)/);
		expect(emu.trap.requests).toEqual([]);
	});
});

describe('3. secrets and tokens an upstream echoes are redacted', () => {
	it('redact() removes form fields, bearer tokens, JWTs and PEM blocks, and known values', () => {
		const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
		const text = redact(
			`client_secret=abc~def&client_assertion=${jwt}&scope=x "client_secret":"zzz" Authorization: Bearer ${jwt} -----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY----- raw sekrit-value`,
			['sekrit-value'],
		);
		expect(text).not.toMatch(/abc~def|zzz|eyJ|MIIEv|sekrit-value/);
		expect(text).toContain('scope=x');
		expect(text).toContain('client_secret=[redacted]');
	});

	it('token endpoint echoing the form (client secret): message and description are clean', async () => {
		resetTransportState();
		emu.faults.next(1, 'echo', { path: '/oauth2/v2.0/token' });
		const error = await runError(emu, { resource: 'machine', operation: 'get', machineId: byId(machineId) });
		const all = `${error.message} ${error.description} ${JSON.stringify(error)}`;
		expect(entraCalls()[0].fault).toBe('echo');
		expect(all).toContain('[redacted]');
		expect(all).not.toContain(SECRET);
	});

	it('API echoing the Authorization header: error, continueOnFail item and Check Permissions are clean', async () => {
		resetTransportState();
		const tokens: string[] = [];
		const ctx = createExecuteContext({
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
			onRequest: (o) => {
				const a = (o.headers as IDataObject | undefined)?.Authorization;
				if (typeof a === 'string') tokens.push(a.slice(7));
			},
		});
		emu.faults.next(1, 'echo', { path: '/api/machines' });
		let caught: Error & { description?: string } = new Error('none');
		try {
			await defenderApiRequest.call(ctx, { api: 'mde', method: 'GET', path: `/api/machines/${machineId}`, itemIndex: 0 });
		} catch (error) {
			caught = error as Error & { description?: string };
		}
		expect(tokens.length).toBeGreaterThan(0);
		const text = `${caught.message} ${caught.description} ${JSON.stringify(caught)}`;
		expect(text).toMatch(/Echo of the request/);
		for (const t of tokens) expect(text).not.toContain(t);

		emu.faults.next(3, 'echo', { path: '/oauth2/v2.0/token' });
		const doctor = await runNode(node, {
			parameters: { resource: 'connection', operation: 'checkPermissions' },
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }),
		});
		const doctorText = JSON.stringify(doctor);
		expect(doctorText).toMatch(/AADSTS9002313/);
		expect(doctorText).not.toContain(SECRET);
	});
});

describe('4. no value can change the API path', () => {
	it.each(['..', '.', '...', '../..', 'a/../..', 'x?y', 'x#y', 'a\\b'])('Machine By Name %j: error naming the parameter, no request', async (name) => {
		const error = await runError(emu, { resource: 'machine', operation: 'get', machineId: byName(name) });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/Machine \(By Name\)/);
		expect(apiCalls(emu)).toEqual([]);
	});

	it.each(['/api/machines/..', '/api/machines/.', '/api/machines/%2e%2E', '/api/machines/x?y=1', '/api/machines/a\\..'])(
		'the transport refuses %j before any request',
		async (path) => {
			const ctx = createExecuteContext({ credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) });
			await expect(defenderApiRequest.call(ctx, { api: 'mde', method: 'GET', path, itemIndex: 0 })).rejects.toThrow(
				/would change the API path/,
			);
			expect(emu.log).toEqual([]);
		},
	);
});

describe('5. a Custom OData Filter cannot escape the node’s own filters', () => {
	const alerts = (rawFilter: string) =>
		run(emu, { resource: 'alert', operation: 'getAll', returnAll: true, filters: { severity: ['high'], rawFilter } });

	it.each([
		"status eq 'new' or(status eq 'resolved')",
		"(status eq 'new')or(status eq 'resolved')",
		"status eq 'x'or status eq 'new'",
		"status eq 'new' OR status eq 'resolved'",
	])('%s: every alert returned is still high', async (rawFilter) => {
		const items = await alerts(rawFilter);
		expect(items.length).toBeGreaterThan(0);
		for (const item of items) expect(item.json.severity).toBe('high');
		const sent = String(apiCalls(emu, 'GET', '/alerts_v2')[0].query.$filter);
		expect(sent.startsWith("severity eq 'high' and (")).toBe(true);
		expect(sent.endsWith(')')).toBe(true);
	});

	it("'x'or (balanced but not a filter) is sent inside its parentheses, for the API to refuse", async () => {
		const error = await runError(emu, { resource: 'alert', operation: 'getAll', filters: { severity: ['high'], rawFilter: "'x'or" } });
		expect(error.message).toMatch(/HTTP 400/);
		expect(apiCalls(emu, 'GET', '/alerts_v2')[0].query.$filter).toBe("severity eq 'high' and ('x'or)");
	});

	it.each([")or(severity eq 'low'", "status eq 'new')or(severity eq 'low'", "status eq 'x''or", "status eq 'new' or (severity eq 'low'"])(
		'%s: refused before sending, naming the parameter',
		async (rawFilter) => {
			const error = await runError(emu, { resource: 'alert', operation: 'getAll', filters: { severity: ['high'], rawFilter } });
			expect(error.message).toMatch(/Custom OData Filter/);
			expect(apiCalls(emu)).toEqual([]);
		},
	);
});

describe('6. a Tenant ID Override that is not text never falls back to the credential’s tenant', () => {
	it.each([
		['a number', 123],
		['an array', [FIXTURE.tenants.B.id]],
		['a boolean', true],
		['an object', { id: FIXTURE.tenants.B.id }],
	])('%s: error naming the parameter, no request', async (_what, tenantId) => {
		const out = await runNode(node, {
			parameters: { resource: 'machine', operation: 'get', machineId: byId(machineId), requestOptions: { tenantId } },
			credentials: emulatorCredentials(emu, { app: 'full', tenant: 'A' }) as ICredentialDataDecryptedObject,
			items: [{ json: {} }, { json: {} }],
			continueOnFail: true,
		});
		const items = out[0] as INodeExecutionData[];
		expect(items).toHaveLength(2);
		for (const item of items) expect(String(item.json.error)).toMatch(/Tenant ID Override must be text/);
		expect(emu.log).toEqual([]);
	});

	it('an expression that fails is an error, not the credential tenant', async () => {
		const error = await runError(emu, {
			resource: 'machine',
			operation: 'get',
			machineId: byId(machineId),
			requestOptions: {
				tenantId: () => {
					throw new Error('Cannot read properties of undefined (reading tenant)');
				},
			},
		});
		expect(error.message).toMatch(/Request Options could not be read/);
		expect(emu.log).toEqual([]);
	});
});

describe('Request Options numbers from an expression are checked, never silently defaulted', () => {
	it.each([
		['maxRetries', 'three', /Max Retries" must be a whole number from 0 to 10, not "three"/],
		['maxRetries', -1, /Max Retries" must be a whole number from 0 to 10, not -1/],
		['maxRetries', 11, /Max Retries" must be a whole number from 0 to 10, not 11/],
		['maxRetries', 2.5, /Max Retries" must be a whole number/],
		['maxRetries', [0], /Max Retries" must be a whole number/],
		['maxRetryWaitSeconds', 'soon', /Max Retry Wait \(Seconds\)" must be a number from 1 to 3600/],
		['maxRetryWaitSeconds', 0, /Max Retry Wait \(Seconds\)" must be a number from 1 to 3600/],
		['quotaSharePercent', 101, /Quota Share \(%\)" must be a number from 1 to 100/],
		['quotaSharePercent', 'half', /Quota Share \(%\)" must be a number from 1 to 100/],
	])('%s = %j: error naming the parameter, no request', async (key, value, message) => {
		const error = await runError(emu, { resource: 'machine', operation: 'get', machineId: byId(machineId), requestOptions: { [key]: value } });
		expect(error.message).toMatch(message);
		expect(emu.log).toEqual([]);
	});

	it.each([
		['maxRetries', '0'],
		['maxRetries', 0],
		['maxRetryWaitSeconds', ' 30 '],
		['quotaSharePercent', ''],
	])('%s = %j is accepted (numeric text from an expression, or empty for the default)', async (key, value) => {
		const out = await run(emu, { resource: 'machine', operation: 'get', machineId: byId(machineId), requestOptions: { [key]: value } });
		expect(out).toHaveLength(1);
		expect(apiCalls(emu, 'GET').length).toBeGreaterThan(0);
	});
});
