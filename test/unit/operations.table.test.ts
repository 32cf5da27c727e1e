/**
 * Ties the operation table (nodes/MicrosoftDefender/actions/operations.ts) to what the node shows
 * and to what it sends:
 *  - every Resource × Operation option of the node's description has a row, and every row an
 *    option and a module;
 *  - every operation runs (default options, as an AI-agent tool) against the strict emulator; the
 *    requests it really sends decide: an operation that sends a write (a non-GET to an endpoint
 *    whose permission is not a read permission) must be destructive, a destructive one must send
 *    one, and every request must be one of the row's listed calls or optional calls. So a write
 *    operation added without the flag, or a call left out of the permission row, fails here;
 *  - a destructive operation is refused to an AI agent without the opt-in, before any request.
 */
import type { INodeExecutionData, INodePropertyOptions } from 'n8n-workflow';

import { OPERATION_LIST, OPERATIONS, findOperation, type OperationRow } from '../../nodes/MicrosoftDefender/actions/operations';
import { OPERATION_MODULES } from '../../nodes/MicrosoftDefender/actions/router';
import { ENDPOINT_PERMISSIONS, endpointOf, type EndpointKey, type OperationPermission } from '../../nodes/MicrosoftDefender/helpers/permissions';
import { FIXTURE } from '../emulator';
import { apiCalls, node, run, startEmu, type Emulator } from './node.helpers';
import { CASES_EMULATOR, caseKey, operationCases } from './operation.cases';

const TOOL = 'n8n-nodes-microsoft-defender.microsoftDefenderTool';
const FULL = { clientId: FIXTURE.apps.full.clientId, secret: FIXTURE.apps.full.secret as string };

/** Resource × Operation pairs as the node's description offers them. */
function describedOperations(): string[] {
	const properties = node.description.properties;
	const resources = (properties.find((p) => p.name === 'resource')!.options as INodePropertyOptions[]).map((o) => String(o.value));
	const pairs: string[] = [];
	for (const p of properties.filter((q) => q.name === 'operation')) {
		for (const resource of p.displayOptions?.show?.resource ?? []) {
			expect(resources).toContain(resource);
			for (const o of p.options as INodePropertyOptions[]) pairs.push(`${String(resource)}:${String(o.value)}`);
		}
	}
	// A resource without an operation parameter would leave the node unusable for it.
	for (const r of resources) expect(pairs.some((k) => k.startsWith(`${r}:`))).toBe(true);
	return pairs.sort();
}

describe('operation table ↔ node description', () => {
	it('every Resource × Operation option has a row, and every row an option', () => {
		const described = describedOperations();
		expect(described.length).toBeGreaterThanOrEqual(40);
		expect(OPERATION_LIST.map((r) => `${r.resource}:${r.operation}`).sort()).toEqual(described);
	});

	it('every row has a module with a description and an execute, and its own key', () => {
		for (const row of OPERATION_LIST) {
			const module = (OPERATION_MODULES as Record<string, Record<string, { execute?: unknown; description?: unknown }>>)[row.resource][row.operation];
			expect({ row: `${row.resource}:${row.operation}`, execute: typeof module?.execute, description: Array.isArray(module?.description) }).toEqual({
				row: `${row.resource}:${row.operation}`,
				execute: 'function',
				description: true,
			});
			expect(findOperation(row.resource, row.operation)).toBe(row);
			expect((OPERATIONS as Record<string, Record<string, OperationRow>>)[row.resource][row.operation]).toBe(row);
			for (const p of row.permissions) expect(p).toMatchObject({ resource: row.resource, operation: row.operation });
		}
		expect(findOperation('machine', 'doesNotExist')).toBeUndefined();
		expect(findOperation('constructor', 'name')).toBeUndefined();
	});

	it('permission rows are named as the dropdowns name the operation (README, Check Permissions)', () => {
		const properties = node.description.properties;
		const resourceName = (r: string) => (properties.find((p) => p.name === 'resource')!.options as INodePropertyOptions[]).find((o) => o.value === r)!.name;
		const operationName = (r: string, o: string) =>
			properties
				.filter((p) => p.name === 'operation' && (p.displayOptions?.show?.resource ?? []).includes(r))
				.flatMap((p) => p.options as INodePropertyOptions[])
				.find((x) => x.value === o)!.name;
		for (const row of OPERATION_LIST) {
			for (const p of row.permissions) {
				// "Machine: Release From Isolation" says more than the option's "Release"; the start must match.
				expect(p.displayName.startsWith(`${resourceName(row.resource)}: ${operationName(row.resource, row.operation)}`)).toBe(true);
			}
		}
	});

	it('an operation with an API option has one permission row per API', () => {
		const withApiOption = new Set(
			node.description.properties
				.filter((p) => p.name === 'api')
				.flatMap((p) => (p.displayOptions?.show?.resource ?? []).map(String)),
		);
		for (const row of OPERATION_LIST) {
			const apis = row.permissions.map((p) => p.api).sort();
			if (withApiOption.has(row.resource) && row.permissions.length) expect({ row: row.operation, apis }).toEqual({ row: row.operation, apis: ['graph', 'mde'] });
			else expect(apis.length).toBeLessThanOrEqual(1);
		}
	});
});

/** A write: anything but GET, unless every permission that allows it is a read permission (hunting). */
function isWrite(key: EndpointKey): boolean {
	const [method] = key.split(' ');
	return method !== 'GET' && !ENDPOINT_PERMISSIONS[key].roles.every((r) => /\.Read(\.|$)/.test(r));
}

describe('operation table ↔ the requests each operation sends', () => {
	let emu: Emulator;
	const CASES = operationCases(() => emu);

	beforeAll(async () => {
		emu = await startEmu(CASES_EMULATOR);
	});
	afterAll(async () => await emu.close());

	it('the write rule can tell reads from writes', () => {
		expect(isWrite('POST /v1.0/security/runHuntingQuery')).toBe(false);
		expect(isWrite('POST /api/advancedqueries/run')).toBe(false);
		expect(isWrite('GET /api/machines/:id')).toBe(false);
		expect(isWrite('POST /api/machines/:id/isolate')).toBe(true);
		expect(isWrite('POST /api/indicators')).toBe(true);
		expect(isWrite('PATCH /v1.0/security/alerts_v2/:id')).toBe(true);
		expect(endpointOf('GET', '/api/machineactions/abc/GetLiveResponseResultDownloadLink(index=0)')).toBe(
			'GET /api/machineactions/:id/GetLiveResponseResultDownloadLink(index=:index)',
		);
		expect(endpointOf('GET', '/api/machines/abc')).toBe('GET /api/machines/:id');
	});

	/** Runs a case as an AI-agent tool; returns the endpoints it called, in order. */
	async function callsOf(parameters: Record<string, unknown>, items?: INodeExecutionData[]): Promise<string[]> {
		emu.clearLog();
		await run(emu, parameters, { app: FULL, items, nodeType: TOOL });
		// Signed download links carry no token and need no permission.
		return apiCalls(emu)
			.filter((e) => e.audience !== undefined)
			.map((e) => endpointOf(e.method, e.path) ?? `${e.method} ${e.path} (not in ENDPOINT_PERMISSIONS)`);
	}

	// Each API of an operation on its own (alert Update on Graph and on the MDE API send different calls).
	type Case = [string, OperationRow, OperationPermission | undefined];
	const cases = OPERATION_LIST.flatMap((row): Case[] =>
		row.permissions.length ? row.permissions.map((p): Case => [caseKey(p), row, p]) : [[`${row.resource}.${row.operation}`, row, undefined]],
	);

	it('every permission row has a case', () => {
		for (const [key, , p] of cases) if (p) expect({ key, hasCase: key in CASES }).toEqual({ key, hasCase: true });
	});

	it.each(cases)('%s: destructive exactly when it writes; every call is listed', async (_key, row, p) => {
		const { __items: items, ...parameters } = p
			? await CASES[caseKey(p)](FULL)
			: { resource: row.resource, operation: row.operation, __items: undefined };
		if (row.destructive) {
			// The AI-agent gate: refused without the opt-in, before any request.
			emu.clearLog();
			await expect(run(emu, parameters, { app: FULL, nodeType: TOOL, items: items as INodeExecutionData[] | undefined })).rejects.toThrow(
				/The AI agent tried to run/,
			);
			expect(apiCalls(emu)).toEqual([]);
			parameters.allowDestructiveForAgents = true;
		}
		const calls = await callsOf(parameters, items as INodeExecutionData[] | undefined);
		const listed = new Set<string>([...(p?.calls ?? []), ...(p?.optional ?? []).map((o) => o.call)]);
		expect({ unlisted: calls.filter((c) => !listed.has(c)) }).toEqual({ unlisted: [] });
		const writes = calls.filter((c) => ENDPOINT_PERMISSIONS[c as EndpointKey] && isWrite(c as EndpointKey));
		expect({ writes, destructive: row.destructive }).toEqual({ writes, destructive: writes.length > 0 });
		// The row's own (first) call is made with default options.
		if (p) expect(calls).toContain(p.calls[0]);
	});
});
