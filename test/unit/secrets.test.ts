/* eslint-disable @n8n/community-nodes/no-restricted-imports */
/**
 * Canary scan. Secrets stay secret: a client secret, private key, client assertion or access
 * token must not appear in any output item, error (message, description, JSON of the error
 * including cause/context, util.inspect), captured log line, or anything that reached the
 * emulator's redirect trap (another port) — also when the upstream echoes the request (the
 * emulator's 'echo' fault) or redirects (its 'redirect' fault). Requests go through n8n-core's
 * own request code (the harness).
 */
import { inspect } from 'node:util';
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestOptions, INodeExecutionData } from 'n8n-workflow';

import { MicrosoftDefenderEntraAppApi } from '../../credentials/MicrosoftDefenderEntraAppApi.credentials';
import { MicrosoftDefender } from '../../nodes/MicrosoftDefender/MicrosoftDefender.node';
import {
	defenderApiRequest,
	defenderApiRequestAllItems,
	resetTransportState,
	transportTuning,
	type DefenderRequest,
} from '../../nodes/MicrosoftDefender/transport';
import { startEmulator, FIXTURE, type EmulatorHandle } from '../emulator';
import {
	capturedLogs,
	clearCapturedLogs,
	createExecuteContext,
	emulatorCredentials,
	runNode,
	testCredential,
} from '../harness';
import { OPERATIONS } from '../../nodes/MicrosoftDefender/actions/operations';

const saved = { ...transportTuning };
let emu: EmulatorHandle;

// Injected known values (test-only; none is a real credential).
const WRONG_SECRET_VALUE = 'Inj3cted-Wrong-Value~for-the-scan_0001';
const needles = new Set<string>();
const haystack: Array<{ where: string; text: string }> = [];

function addNeedle(v: unknown) {
	if (typeof v === 'string' && v.length >= 12) needles.add(v);
}

/** Records every secret-bearing value the node sends (secrets, assertions, tokens). */
function observe(o: IHttpRequestOptions) {
	const body = typeof o.body === 'string' ? o.body : o.body instanceof URLSearchParams ? o.body.toString() : '';
	if (body) {
		const form = new URLSearchParams(body);
		addNeedle(form.get('client_secret') ?? undefined);
		const assertion = form.get('client_assertion');
		if (assertion) {
			addNeedle(assertion);
			addNeedle(assertion.split('.')[2]); // signature
		}
	}
	const auth = (o.headers as IDataObject | undefined)?.Authorization;
	if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
		const token = auth.slice(7);
		addNeedle(token);
		addNeedle(token.split('.')[2]);
	}
}

function keyChunks(pem: string): string[] {
	const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
	const chunks: string[] = [];
	for (let i = 0; i + 32 <= body.length; i += 32) chunks.push(body.slice(i, i + 32));
	return chunks;
}

function record(where: string, value: unknown) {
	if (value instanceof Error) {
		const e = value as Error & { description?: unknown; cause?: unknown; context?: unknown; errorResponse?: unknown };
		haystack.push({ where: `${where}.message`, text: e.message });
		haystack.push({ where: `${where}.description`, text: String(e.description ?? '') });
		haystack.push({ where: `${where}.json`, text: JSON.stringify(e) ?? '' });
		haystack.push({ where: `${where}.parts`, text: JSON.stringify({ cause: e.cause, context: e.context, errorResponse: e.errorResponse }) ?? '' });
		haystack.push({ where: `${where}.inspect`, text: inspect(e, { depth: 8, showHidden: true }) });
		haystack.push({ where: `${where}.stack`, text: String(e.stack ?? '') });
		return;
	}
	haystack.push({ where, text: typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)) });
}

async function capture(where: string, p: Promise<unknown>) {
	try {
		record(where, await p);
	} catch (error) {
		record(where, error);
	}
}

beforeAll(async () => {
	emu = await startEmulator({ sizes: { machines: 5, alerts: 30, incidents: 10 }, quotas: false });
	resetTransportState();
	clearCapturedLogs();
	Object.assign(transportTuning, { pacing: false, baseBackoffMs: 10 });
	addNeedle(FIXTURE.apps.full.secret);
	addNeedle(FIXTURE.apps.readonly.secret);
	addNeedle(WRONG_SECRET_VALUE);
	for (const c of [...keyChunks(FIXTURE.apps.full.keyPem), ...keyChunks(FIXTURE.unregisteredCert.keyPem)]) needles.add(c);
});
afterAll(async () => {
	await emu.close();
	Object.assign(transportTuning, saved);
	resetTransportState();
});

describe('no secret, key, assertion or token in outputs, errors or logs', () => {
	it('scans every scenario', async () => {
		const node = new MicrosoftDefender();
		const full = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
		const cert = emulatorCredentials(emu, { app: 'full', tenant: 'A', auth: 'certificate' });
		const certRs = emulatorCredentials(emu, { app: 'full', tenant: 'A', auth: 'certificate', assertionAlgorithm: 'RS256' });
		const wrongSecret = { ...full, clientSecret: WRONG_SECRET_VALUE };
		const unregistered = { ...cert, privateKey: FIXTURE.unregisteredCert.keyPem, certificate: FIXTURE.unregisteredCert.certPem };
		const readonly = emulatorCredentials(emu, { app: 'readonly', tenant: 'A' });
		const machineId = emu.store('A').machines[0].id;

		const run = (credentials: ICredentialDataDecryptedObject, parameters: IDataObject, continueOnFail = true) =>
			runNode(node, { parameters, credentials, continueOnFail, onRequest: observe });
		const doctor = { resource: 'connection', operation: 'checkPermissions' };

		// Node runs (outputs, and errors thrown when continueOnFail is off).
		for (const [name, c] of Object.entries({ full, cert, certRs, wrongSecret, unregistered, readonly })) {
			await capture(`doctor.${name}`, run(c as ICredentialDataDecryptedObject, doctor));
			await capture(`machineGet.${name}`, run(c as ICredentialDataDecryptedObject, { resource: 'machine', operation: 'get', machineId: { __rl: true, mode: 'id', value: 'f'.repeat(40) } }));
			await capture(
				`machineGet.throw.${name}`,
				run(c as ICredentialDataDecryptedObject, { resource: 'machine', operation: 'get', machineId: { __rl: true, mode: 'id', value: machineId } }, false),
			);
		}

		// Transport errors of every kind.
		const c = (credentials: ICredentialDataDecryptedObject) =>
			createExecuteContext({ credentials, onRequest: observe, parameters: { requestOptions: { maxRetries: 1 } } });
		const get: DefenderRequest = { api: 'mde', method: 'GET', path: '/api/machineactions', qs: { $top: 1 }, itemIndex: 0 };
		const isolate: DefenderRequest = {
			api: 'mde',
			method: 'POST',
			path: `/api/machines/${machineId}/isolate`,
			body: { Comment: 'scan', IsolationType: 'Full' },
			itemIndex: 0,
			operation: OPERATIONS.machine.isolate,
		};
		await capture('t.ok', defenderApiRequest.call(c(full), get));
		await capture('t.403', defenderApiRequest.call(c(readonly), isolate));
		await capture('t.404', defenderApiRequest.call(c(full), { ...get, path: `/api/machines/${'e'.repeat(40)}` }));
		await capture('t.400', defenderApiRequest.call(c(full), { ...get, path: '/api/alerts', qs: { $filter: 'bad eq' } }));
		emu.faults.clear();
		emu.faults.next(5, 503);
		await capture('t.503', defenderApiRequest.call(c(full), get));
		emu.faults.clear();
		emu.faults.next(1, 'reset', '/isolate');
		await capture('t.reset', defenderApiRequest.call(c(full), isolate));
		emu.faults.clear();
		emu.faults.next(5, 'malformed');
		await capture('t.malformed', defenderApiRequest.call(c(full), get));
		emu.faults.clear();
		emu.faults.next(5, 429, { retryAfterSec: 1 });
		await capture('t.429', defenderApiRequest.call(createExecuteContext({ credentials: full, onRequest: observe, parameters: { requestOptions: { maxRetries: 0 } } }), get));
		emu.faults.clear();
		emu.faults.next(3, 'tokenDown');
		resetTransportState();
		await capture('t.tokenDown', defenderApiRequest.call(c(full), get));
		await capture('t.wrongSecret', defenderApiRequest.call(c(wrongSecret), get));
		await capture('t.unregistered', defenderApiRequest.call(c(unregistered), get));
		await capture('t.expired', defenderApiRequest.call(c(emulatorCredentials(emu, { app: 'expired', tenant: 'A' })), get));
		await capture('t.badLogin', defenderApiRequest.call(c({ ...full, customLoginUrl: 'http://127.0.0.1:1' }), get));
		await capture('t.badApi', defenderApiRequest.call(c({ ...full, customMdeBaseUrl: 'http://127.0.0.1:1' }), get));
		await capture('t.paged', defenderApiRequestAllItems.call(c(full), { api: 'graph', method: 'GET', path: '/v1.0/security/alerts_v2' }, { endpoint: 'graphAlerts' }));

		emu.faults.clear();

		// Hostile upstreams (issue 12): a token endpoint and an API that echo the request (form
		// fields, Authorization header) into their errors, and redirects to another port.
		const machineGet = { resource: 'machine', operation: 'get', machineId: { __rl: true, mode: 'id', value: machineId } };
		const LOGIN_PATH = '/oauth2/v2.0/token';
		for (const [name, cred] of Object.entries({ full, cert })) {
			resetTransportState();
			emu.faults.next(1, 'echo', LOGIN_PATH);
			await capture(`echo.token.item.${name}`, run(cred, machineGet));
			emu.faults.next(1, 'echo', LOGIN_PATH);
			await capture(`echo.token.throw.${name}`, run(cred, machineGet, false));
			emu.faults.next(1, 'echo', '/api/machines');
			await capture(`echo.api.throw.${name}`, run(cred, machineGet, false));
			emu.faults.next(1, 'echo', { path: '/api/machines', status: 403 });
			await capture(`echo.api403.item.${name}`, run(cred, machineGet));
			resetTransportState();
			// Check Permissions asks for one token per API (Defender for Endpoint, Graph).
			emu.faults.next(2, 'echo', LOGIN_PATH);
			await capture(`echo.doctor.${name}`, run(cred, doctor));
			resetTransportState();
			emu.faults.next(1, 'redirect', { status: 307, path: LOGIN_PATH });
			await capture(`redirect.token.${name}`, run(cred, machineGet, false));
			emu.faults.next(1, 'redirect', { status: 308, path: '/api/machines' });
			await capture(`redirect.api.${name}`, run(cred, machineGet, false));
			emu.faults.next(1, 'echo', LOGIN_PATH);
			await capture(
				`echo.credTest.${name}`,
				testCredential(new MicrosoftDefenderEntraAppApi(), cred, { onRequest: observe }).then((r) => ({ status: r.status, message: r.message })),
			);
		}
		// Whatever reached "the other host" counts as leaked too.
		record('trap', emu.trap.requests);
		expect(emu.log.filter((e) => e.fault === 'echo').length).toBe(14);
		expect(emu.log.filter((e) => e.fault === 'redirect').length).toBe(4);
		expect(emu.faults.pending()).toEqual([]);

		// Credential test button.
		const credentialType = new MicrosoftDefenderEntraAppApi();
		for (const [name, data] of Object.entries({ full, cert, wrongSecret, unregistered, readonly })) {
			// What n8n shows for a credential test: status and message (not the credential data).
			await capture(
				`credTest.${name}`,
				testCredential(credentialType, data as ICredentialDataDecryptedObject, { onRequest: observe }).then((r) => ({ status: r.status, message: r.message })),
			);
		}

		// Every log line.
		for (const l of capturedLogs) record(`log.${l.level}`, `${l.message} ${JSON.stringify(l.meta ?? '')}`);

		// The scan must be able to fail: it saw tokens and assertions being sent.
		const sentTokens = [...needles].filter((n) => n.split('.').length === 3 && n.startsWith('eyJ'));
		expect(sentTokens.length).toBeGreaterThanOrEqual(4);
		expect(haystack.length).toBeGreaterThan(100);
		expect(haystack.some((h) => h.text.includes('AADSTS7000215'))).toBe(true);

		const hits: string[] = [];
		for (const h of haystack) {
			for (const n of needles) if (h.text.includes(n)) hits.push(`${h.where}: …${n.slice(0, 12)}…`);
		}
		expect(hits).toEqual([]);
	});

	it('the scan itself detects a leak', () => {
		const token = [...needles].find((n) => n.startsWith('eyJ'))!;
		const out: INodeExecutionData[] = [{ json: { leaked: `Bearer ${token}` } }];
		expect([...needles].some((n) => JSON.stringify(out).includes(n))).toBe(true);
	});
});
