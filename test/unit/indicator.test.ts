import { NodeOperationError } from 'n8n-workflow';

import { PAGE_LIMITS } from '../../nodes/MicrosoftDefender/helpers/limits';
import { apiCalls, run, runError, startEmu, type Emulator } from './node.helpers';

const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('indicator (emulator)', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 5, alerts: 5, incidents: 3, huntingRows: 5 } });
	});
	afterAll(async () => await emu.close());
	beforeEach(() => emu.clearLog());

	const create = (fields: Record<string, unknown>) =>
		run(emu, {
			resource: 'indicator',
			operation: 'createOrUpdate',
			title: 'From n8n',
			description: 'Test indicator',
			...fields,
		});

	it('Create or Update: creates, then updates the same value instead of duplicating it', async () => {
		const [first] = await create({
			indicatorType: 'FileSha256',
			indicatorValue: SHA256.toUpperCase(),
			action: 'Block',
			additionalFields: {
				severity: 'High',
				expirationTime: '2099-01-01T00:00:00Z',
				rbacGroupNames: 'Servers, Finance laptops',
				recommendedActions: 'Reimage',
				generateAlert: true,
			},
		});
		expect(first.json).toMatchObject({
			indicatorValue: SHA256,
			indicatorType: 'FileSha256',
			action: 'Block',
			severity: 'High',
			title: 'From n8n',
		});
		expect(first.json.rbacGroupNames).toEqual(['Servers', 'Finance laptops']);
		expect(String(first.json.id)).toMatch(/^\d+$/);
		expect(first.pairedItem).toEqual({ item: 0 });

		const [second] = await create({ indicatorType: 'FileSha256', indicatorValue: SHA256, action: 'Audit', title: 'Now audit' });
		expect(second.json.id).toBe(first.json.id);
		expect(second.json.action).toBe('Audit');
		expect(second.json.generateAlert).toBe(true);
	});

	it('Create or Update: every type validates its value before sending', async () => {
		const cases: Array<[string, string]> = [
			['FileSha1', SHA256],
			['FileSha256', 'abc'],
			['FileMd5', SHA256],
			['IpAddress', '10.0.0.0/8'],
			['IpAddress', '999.1.1.1'],
			['DomainName', 'not a domain'],
			['Url', 'http://exa mple.com'],
			['CertificateThumbprint', 'xyz'],
		];
		for (const [indicatorType, indicatorValue] of cases) {
			const error = await runError(emu, {
				resource: 'indicator',
				operation: 'createOrUpdate',
				indicatorType,
				indicatorValue,
				action: 'Block',
				title: 't',
				description: 'd',
			});
			expect([indicatorType, error instanceof NodeOperationError]).toEqual([indicatorType, true]);
			expect(error.message).toContain('"Indicator Value"');
		}
		const noTitle = await runError(emu, {
			resource: 'indicator',
			operation: 'createOrUpdate',
			indicatorType: 'DomainName',
			indicatorValue: 'bad.example.com',
			action: 'Block',
			title: '',
			description: 'd',
		});
		expect(noTitle.message).toContain('"Title"');
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('Create or Update: valid values of each type are accepted', async () => {
		const values: Array<[string, string]> = [
			['FileSha1', '87662bc3d60e4200ceaf7aae249d1c343f4b83c9'],
			['FileMd5', 'd41d8cd98f00b204e9800998ecf8427e'],
			['IpAddress', '203.0.113.9'],
			['IpAddress', '2001:db8::9'],
			['DomainName', 'bad.example.com'],
			['Url', 'https://bad.example.com/payload'],
			['CertificateThumbprint', '0123456789abcdef0123456789abcdef01234567'],
		];
		for (const [indicatorType, indicatorValue] of values) {
			const [out] = await create({ indicatorType, indicatorValue, action: indicatorType === 'Url' ? 'Warn' : 'Block' });
			expect(out.json.indicatorType).toBe(indicatorType);
		}
	});

	it('Get Many: limit, Return All and filters (type, value, action); a quote in the value stays inside the literal', async () => {
		const all = await run(emu, { resource: 'indicator', operation: 'getAll', returnAll: true });
		expect(all.length).toBeGreaterThanOrEqual(8);
		const limited = await run(emu, { resource: 'indicator', operation: 'getAll', limit: 2 });
		expect(limited).toHaveLength(2);

		const ips = await run(emu, { resource: 'indicator', operation: 'getAll', returnAll: true, filters: { indicatorType: ['IpAddress'] } });
		expect(ips.length).toBeGreaterThanOrEqual(2);
		for (const o of ips) expect(o.json.indicatorType).toBe('IpAddress');

		const one = await run(emu, {
			resource: 'indicator',
			operation: 'getAll',
			returnAll: true,
			filters: { indicatorValue: 'bad.example.com', action: ['Block'] },
		});
		expect(one.map((o) => o.json.indicatorValue)).toEqual(['bad.example.com']);

		emu.clearLog();
		const none = await run(emu, {
			resource: 'indicator',
			operation: 'getAll',
			returnAll: true,
			filters: { indicatorValue: "x' or indicatorValue ne '" },
		});
		expect(none).toHaveLength(0);
		expect(apiCalls(emu, 'GET', '/api/indicators')[0].query.$filter).toBe("indicatorValue eq 'x'' or indicatorValue ne '''");
	});

	it('Get Many: pages with $top/$skip (small pages) without loss or repeats', async () => {
		const everything = await run(emu, { resource: 'indicator', operation: 'getAll', returnAll: true });
		const saved = PAGE_LIMITS.mdeIndicators.maxPageSize;
		PAGE_LIMITS.mdeIndicators.maxPageSize = 3;
		try {
			emu.clearLog();
			const paged = await run(emu, { resource: 'indicator', operation: 'getAll', returnAll: true });
			expect(paged.map((o) => o.json.id)).toEqual(everything.map((o) => o.json.id));
			expect(apiCalls(emu, 'GET', '/api/indicators').length).toBe(Math.floor(everything.length / 3) + 1);
		} finally {
			PAGE_LIMITS.mdeIndicators.maxPageSize = saved;
		}
	});

	it('Delete: returns {deleted: true}; deleting again is a 404; a malformed ID is refused', async () => {
		const [created] = await create({ indicatorType: 'DomainName', indicatorValue: 'delete-me.example.com', action: 'Block' });
		const [out] = await run(emu, { resource: 'indicator', operation: 'delete', indicatorId: String(created.json.id) });
		expect(out.json).toEqual({ deleted: true, id: String(created.json.id) });
		expect(out.pairedItem).toEqual({ item: 0 });
		const again = await runError(emu, { resource: 'indicator', operation: 'delete', indicatorId: String(created.json.id) });
		expect(String(again.httpCode)).toBe('404');

		emu.clearLog();
		const bad = await runError(emu, { resource: 'indicator', operation: 'delete', indicatorId: '12; DROP' });
		expect(bad).toBeInstanceOf(NodeOperationError);
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('403: an app without Ti roles gets the permission hint', async () => {
		const list = await runError(emu, { resource: 'indicator', operation: 'getAll' }, { app: 'readonly' });
		expect(String(list.httpCode)).toBe('403');
		expect(`${list.message} ${list.description ?? ''}`).toContain('Ti.ReadWrite');
		const write = await runError(
			emu,
			{
				resource: 'indicator',
				operation: 'createOrUpdate',
				indicatorType: 'DomainName',
				indicatorValue: 'x.example.com',
				action: 'Block',
				title: 't',
				description: 'd',
			},
			{ app: 'noroles' },
		);
		expect(String(write.httpCode)).toBe('403');
	});

	it('continueOnFail: an invalid item yields an error item, the valid one an indicator', async () => {
		const out = await run(
			emu,
			{
				resource: 'indicator',
				operation: 'createOrUpdate',
				indicatorType: 'IpAddress',
				indicatorValue: '={{ $json.ip }}',
				action: 'Block',
				title: 't',
				description: 'd',
			},
			{ items: [{ json: { ip: '10.1.1.1/24' } }, { json: { ip: '10.1.1.1' } }], continueOnFail: true },
		);
		expect(out).toHaveLength(2);
		expect(out[0].json.error).toContain('Indicator Value');
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(out[1].json.indicatorValue).toBe('10.1.1.1');
		expect(out[1].pairedItem).toEqual({ item: 1 });
	});
});
