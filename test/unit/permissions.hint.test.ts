/**
 * A refused call names the permission of the endpoint actually called. When Microsoft's 403 text
 * names no role (the emulator's `bare` variant: the Learn pages document the 403, not its text),
 * the hint comes from the ENDPOINT_PERMISSIONS row of that call (method + path template), and
 * from the operation's row only when the call matches none. Check Permissions lists the same
 * permission for the optional call.
 */
import type { IDataObject } from 'n8n-workflow';

import { OPERATIONS } from '../../nodes/MicrosoftDefender/actions/operations';
import { explainApiError } from '../../nodes/MicrosoftDefender/helpers/errors';
import {
	ENDPOINT_PERMISSIONS,
	callPermissions,
	delegatedScopes,
	endpointOf,
	userPermissionFor,
	type EndpointKey,
} from '../../nodes/MicrosoftDefender/helpers/permissions';
import { variantsForSeed, type ForbiddenMessage } from '../emulator/contract';
import { byId, byIp, byName, run, runError, startEmu, storeOf, windowsMachine, type Emulator } from './node.helpers';
import { CASES_EMULATOR } from './operation.cases';

/** A concrete path for a key: each `:param` filled with a value of the shape the node sends. */
const concrete = (key: EndpointKey) => {
	const [method, template] = key.split(' ');
	return { method, path: template.replace(/:([a-zA-Z]+)/g, (_m, name: string) => (name === 'index' ? '0' : `x-${name}-1`)) };
};

describe('endpointOf / callPermissions', () => {
	it.each(Object.keys(ENDPOINT_PERMISSIONS) as EndpointKey[])('%s: a request to it maps back to its own row', (key) => {
		const { method, path } = concrete(key);
		expect(endpointOf(method, path)).toBe(key);
		expect(endpointOf(method.toLowerCase(), path.toUpperCase())).toBe(key);
	});

	it('a lookup by IP is the Get machine row; unknown calls match nothing', () => {
		expect(endpointOf('GET', "/api/machines/findbyip(ip='10.1.2.3',timestamp=2026-12-07T10:00:00Z)")).toBe('GET /api/machines/:id');
		expect(endpointOf('GET', '/api/machines/abc/unknownThing')).toBeUndefined();
		expect(endpointOf('DELETE', '/api/machines/abc')).toBeUndefined();
	});

	it("the refused call's row wins; the operation's row only when the call is unknown", () => {
		const isolate = OPERATIONS.machine.isolate;
		expect(callPermissions(isolate, { api: 'mde', method: 'GET', path: '/api/machines/pc-01' })?.calls).toEqual(['GET /api/machines/:id']);
		expect(callPermissions(isolate, { api: 'mde', method: 'POST', path: '/api/machines/abc/isolate' })?.calls).toEqual(['POST /api/machines/:id/isolate']);
		expect(callPermissions(isolate, { api: 'mde', method: 'GET', path: '/api/somethingNew' })?.calls).toEqual(['POST /api/machines/:id/isolate']);
		// A path of the other API is not that API's row.
		expect(callPermissions(OPERATIONS.alert.get, { api: 'graph', method: 'GET', path: '/api/alerts/abc' })?.calls).toEqual(['GET /v1.0/security/alerts_v2/:id']);
	});

	it('a delegated 403 on the lookup asks for its delegated read permission and "View data"', () => {
		const lookup = callPermissions(OPERATIONS.machine.isolate, { api: 'mde', method: 'GET', path: '/api/machines/pc-01' })!;
		expect(delegatedScopes(lookup)).toEqual(['Machine.Read', 'Machine.ReadWrite']);
		expect(userPermissionFor(lookup)).toBe('View data');
		const post = callPermissions(OPERATIONS.machine.isolate, { api: 'mde', method: 'POST', path: '/api/machines/abc/isolate' })!;
		expect(delegatedScopes(post)).toEqual(['Machine.Isolate']);
		expect(userPermissionFor(post)).toBe('Active remediation actions');
	});

	it('a 403 naming no role names the roles of the call, not of the operation', () => {
		const bare = { error: { code: 'Forbidden', message: 'Insufficient privileges to complete the operation.' } };
		const lookup = explainApiError(403, bare, { family: 'mde', method: 'GET', path: '/api/machines/pc-01', operation: OPERATIONS.machine.isolate });
		expect(lookup.message).toContain('needs Machine.Read.All or Machine.ReadWrite.All');
		expect(`${lookup.message} ${lookup.description}`).not.toContain('Machine.Isolate');
		const post = explainApiError(403, bare, { family: 'mde', method: 'POST', path: '/api/machines/abc/isolate', operation: OPERATIONS.machine.isolate });
		expect(post.message).toContain('needs Machine.Isolate on');
	});
});

it('the emulator reaches both 403 texts, the suites keep the observed one', () => {
	const seen = new Set<ForbiddenMessage>([...Array(32).keys()].map((seed) => variantsForSeed(seed).forbiddenMessage));
	expect([...seen].sort()).toEqual(['bare', 'namesRoles']);
	for (let seed = 0; seed < 16; seed++) expect(variantsForSeed(seed).forbiddenMessage).toBe('namesRoles');
});

describe.each<ForbiddenMessage>(['bare', 'namesRoles'])('Isolate with Machine.Isolate only (403 text: %s)', (forbiddenMessage) => {
	let emu: Emulator;
	let app: { clientId: string; secret: string };
	beforeAll(async () => {
		emu = await startEmu({ ...CASES_EMULATOR, variants: { forbiddenMessage } });
		expect(emu.mode.strict).toBe(true);
		app = { clientId: 'bbbbbbbb-0000-4000-8000-00000000a013', secret: 'hint-secret' };
		emu.addApp({ name: 'HINT', clientId: app.clientId, tenants: [storeOf(emu).tenantId], secret: app.secret, roles: { mde: ['Machine.Isolate'], xdr: [], graph: [] } });
	});
	afterAll(async () => await emu.close());

	async function refused(machineId: IDataObject) {
		const error = await runError(emu, { resource: 'machine', operation: 'isolate', machineId }, { app });
		return { error, text: `${error.message} ${error.description ?? ''}` };
	}

	it.each([
		['By Name', () => byName(String(windowsMachine(emu, 0).computerDnsName))],
		['By IP Address', () => byIp(String(windowsMachine(emu, 1).lastIpAddress))],
	])('the refused lookup %s names Machine.Read.All, not Machine.Isolate', async (_mode, locator) => {
		const { error, text } = await refused(locator());
		expect(error.httpCode).toBe('403');
		expect(error.message).toMatch(/needs Machine\.Read\.All or Machine\.ReadWrite\.All on WindowsDefenderATP/);
		expect(text).not.toMatch(/needs Machine\.Isolate/);
	});

	it('Check Permissions agrees: Isolate allowed, its lookup needs the same permission and is not granted', async () => {
		const rows = await run(emu, { resource: 'connection', operation: 'checkPermissions' }, { app });
		const isolate = rows.map((r) => r.json).find((r) => r.resource === 'machine' && r.operation === 'isolate')!;
		expect(isolate).toMatchObject({ allowed: true });
		const lookup = (isolate.optional as IDataObject[]).find((o) => String(o.enables).includes('by name'))!;
		expect(lookup).toMatchObject({ anyOf: ENDPOINT_PERMISSIONS['GET /api/machines/:id'].roles, granted: false });
	});

	it('picked by ID, the isolation itself succeeds (the lookup was the only refused call)', async () => {
		const out = await run(emu, { resource: 'machine', operation: 'isolate', machineId: byId(String(windowsMachine(emu, 2).id)), waitForCompletion: false }, { app });
		expect(out[0].json.error).toBeUndefined();
	});
});
