import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { apiCalls, run, runError, startEmu, storeOf, type Emulator } from './node.helpers';

describe('software (emulator)', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmu({ sizes: { machines: 30, alerts: 5, incidents: 3, huntingRows: 5 } });
	});
	afterAll(async () => await emu.close());
	beforeEach(() => emu.clearLog());

	const software = () => storeOf(emu).software as IDataObject[];

	it('Get: returns the product', async () => {
		const product = software()[0];
		const [out] = await run(emu, { resource: 'software', operation: 'get', softwareId: String(product.id) });
		expect(out.json.id).toBe(product.id);
		expect(out.json).toHaveProperty('vendor');
		expect(out.pairedItem).toEqual({ item: 0 });
	});

	it('Get: unknown → 404; malformed → refused before sending', async () => {
		const error = await runError(emu, { resource: 'software', operation: 'get', softwareId: 'nobody-_-nothing' });
		expect(String(error.httpCode)).toBe('404');
		emu.clearLog();
		const bad = await runError(emu, { resource: 'software', operation: 'get', softwareId: '../machines' });
		expect(bad).toBeInstanceOf(NodeOperationError);
		expect(apiCalls(emu)).toHaveLength(0);
	});

	it('Get Machines: machine references, limit and Return All', async () => {
		const product = software().find((s) => Number(s.exposedMachines ?? 0) > 2) ?? software()[0];
		const all = await run(emu, { resource: 'software', operation: 'getMachines', softwareId: String(product.id), returnAll: true });
		expect(all.length).toBeGreaterThan(0);
		for (const o of all) {
			expect(String(o.json.id)).toMatch(/^[0-9a-f]{40}$/);
			expect(o.json).toHaveProperty('computerDnsName');
		}
		const limited = await run(emu, { resource: 'software', operation: 'getMachines', softwareId: String(product.id), limit: 1 });
		expect(limited).toHaveLength(1);
	});

	it('403: an app without roles gets the permission hint', async () => {
		const error = await runError(emu, { resource: 'software', operation: 'get', softwareId: String(software()[0].id) }, { app: 'noroles' });
		expect(String(error.httpCode)).toBe('403');
		expect(`${error.message} ${error.description ?? ''}`).toContain('Software.Read.All');
	});
});
