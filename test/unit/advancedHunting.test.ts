import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { isValidTimespan } from '../../nodes/MicrosoftDefender/actions/advancedHunting/runQuery.operation';
import { MicrosoftDefender } from '../../nodes/MicrosoftDefender/MicrosoftDefender.node';
import { emulatorCredentials, runNode } from '../harness';
import type { FixtureAppName } from '../harness';
import { startEmulator } from '../emulator';
import type { EmulatorHandle } from '../emulator';

let emu: EmulatorHandle;

beforeAll(async () => {
	emu = await startEmulator({
		port: 0,
		httpsPort: 0,
		seed: 3,
		sizes: { machines: 6, alerts: 20, incidents: 5, huntingRows: 400 },
		quotas: false,
	});
});

afterAll(async () => {
	await emu.close();
});

beforeEach(() => emu.clearLog());

async function run(
	parameters: IDataObject,
	o: { app?: FixtureAppName; items?: INodeExecutionData[]; continueOnFail?: boolean } = {},
) {
	const out = await runNode(new MicrosoftDefender(), {
		parameters: { resource: 'advancedHunting', operation: 'runQuery', ...parameters },
		credentials: emulatorCredentials(emu, { app: o.app ?? 'full', tenant: 'A' }),
		items: o.items,
		continueOnFail: o.continueOnFail,
	});
	return out[0];
}

async function runError(parameters: IDataObject, o: { app?: FixtureAppName } = {}) {
	try {
		await run(parameters, o);
	} catch (error) {
		return error as NodeApiError | NodeOperationError;
	}
	throw new Error('expected the node to fail');
}

function apiCalls(pathPart: string) {
	return emu.log.filter((e) => e.family !== 'entra' && e.family !== 'control' && e.path.includes(pathPart));
}

const QUERY = 'DeviceProcessEvents | take 7';

describe('isValidTimespan', () => {
	it('accepts durations, datetimes and intervals; rejects the rest', () => {
		for (const ok of ['P7D', 'PT12H', 'P1DT2H', 'P30D/2024-02-15T08:00:00Z', '2024-02-01T08:00:00Z/P30D', '2024-02-01T08:00:00Z', '2024-02-01T08:00:00Z/2024-02-15T08:00:00Z']) {
			expect(isValidTimespan(ok)).toBe(true);
		}
		for (const bad of ['7 days', 'P', 'PT', 'P7D/P1D', '2024-02-31T99:00:00Z', 'P7D/', "P7D' or 1"]) {
			expect(isValidTimespan(bad)).toBe(false);
		}
	});
});

describe('Advanced Hunting: Run Query', () => {
	it('Graph: one item per row (default), each paired with the input item', async () => {
		const items = await run({ query: QUERY });
		expect(items).toHaveLength(7);
		for (const item of items) {
			expect(item.pairedItem).toEqual({ item: 0 });
			expect(item.json).toHaveProperty('Timestamp');
		}
		const call = apiCalls('/v1.0/security/runHuntingQuery')[0];
		expect(call.method).toBe('POST');
	});

	it('Graph: one item with rows, schema and stats; Timespan is sent', async () => {
		const [item] = await run({ query: QUERY, output: 'single', options: { timespan: 'P7D' } });
		expect((item.json.rows as unknown[]).length).toBe(7);
		expect(item.json.rowCount).toBe(7);
		const schema = item.json.schema as Array<{ name: string; type: string }>;
		expect(schema.length).toBeGreaterThan(0);
		expect(schema[0]).toEqual({ name: expect.any(String), type: expect.any(String) });
		expect(item.json).toHaveProperty('stats');
		// The timespan reaches the API: a window far in the past holds no rows.
		const [old] = await run({ query: QUERY, output: 'single', options: { timespan: '2001-01-01T00:00:00Z/P1D' } });
		expect(old.json.rowCount).toBe(0);
	});

	it('MDE API: PascalCase response normalised to the same shape', async () => {
		const [single] = await run({ api: 'mde', query: QUERY, output: 'single' });
		expect((single.json.rows as unknown[]).length).toBe(7);
		const schema = single.json.schema as Array<{ name: string; type: string }>;
		expect(Object.keys(schema[0])).toEqual(['name', 'type']);
		const rows = await run({ api: 'mde', query: QUERY });
		expect(rows).toHaveLength(7);
		expect(apiCalls('/api/advancedqueries/run').length).toBe(2);
	});

	it('a query with no rows gives no items (per row) or an empty rows list (single)', async () => {
		const none = await run({ query: 'DeviceProcessEvents | take 0' });
		expect(none).toHaveLength(0);
		const [single] = await run({ query: 'DeviceProcessEvents | take 0', output: 'single' });
		expect(single.json.rows).toEqual([]);
		expect(single.json.rowCount).toBe(0);
	});

	it('refuses an empty query and a bad timespan before any HTTP', async () => {
		const empty = await runError({ query: '   ' });
		expect(empty).toBeInstanceOf(NodeOperationError);
		expect(empty.message).toMatch(/Query \(KQL\).*item 0/);
		const badSpan = await runError({ query: QUERY, options: { timespan: 'last week' } });
		expect(badSpan).toBeInstanceOf(NodeOperationError);
		expect(badSpan.message).toMatch(/Timespan/);
		expect(apiCalls('/')).toHaveLength(0);
	});

	it('400 from Microsoft is passed through (bad KQL)', async () => {
		const error = await runError({ query: 'NoSuchTable | take 1' });
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).httpCode).toBe('400');
	});

	it('403 names the hunting permission of each API', async () => {
		const graph = await runError({ query: QUERY }, { app: 'noroles' });
		expect((graph as NodeApiError).httpCode).toBe('403');
		expect(`${graph.message} ${graph.description ?? ''}`).toMatch(/ThreatHunting\.Read\.All/);
		const mde = await runError({ api: 'mde', query: QUERY }, { app: 'noroles' });
		expect((mde as NodeApiError).httpCode).toBe('403');
		expect(`${mde.message} ${mde.description ?? ''}`).toMatch(/AdvancedQuery\.Read\.All/);
	});

	it('continueOnFail: an empty query on one item does not stop the others', async () => {
		const out = await run(
			{ query: '={{ $json.q }}', output: 'single' },
			{ items: [{ json: { q: '' } }, { json: { q: QUERY } }], continueOnFail: true },
		);
		expect(out).toHaveLength(2);
		expect(out[0].json.error).toMatch(/Query/);
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(out[1].json.rowCount).toBe(7);
		expect(out[1].pairedItem).toEqual({ item: 1 });
	});
});
