/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
/**
 * Fault matrix (issue 12): every operation family × every emulator fault, over real sockets.
 *
 * Each cell ends in one of two acceptable ways:
 *  - `full`: exactly the result of the same call without the fault (same records, same order);
 *  - `error`: a clear NodeApiError/NodeOperationError on the affected item only, with
 *    continueOnFail honoured (the error becomes that item's output, the other item still runs).
 * Never acceptable: a partial list reported as complete, a response action or comment sent twice,
 * a trigger poll that loses or repeats an event, an error without a message.
 *
 * `npm test` runs every cell once. `FAULTS_REPORT=<file>` writes the cell outcomes as JSON
 * (docs/reliability.md is written from it).
 */
import { writeFileSync } from 'node:fs';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { MicrosoftDefenderEntraAppApi } from '../../credentials/MicrosoftDefenderEntraAppApi.credentials';
import { MicrosoftDefenderTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderTrigger.node';
import { responseActionTuning } from '../../nodes/MicrosoftDefender/helpers/outcome';
import { resetTransportState } from '../../nodes/MicrosoftDefender/transport';
import { SETTLE_SECONDS } from '../../nodes/MicrosoftDefender/helpers/pollState';
import { emulatorCredentials, runNode, runPoll, testCredential } from '../harness';
import { shiftClock } from '../harness/clock';

import { node, startEmu, storeOf, windowsMachine, type Emulator } from './node.helpers';

type FaultName =
	| '429 storm'
	| '5xx burst'
	| 'reset mid-body'
	| 'malformed JSON'
	| 'latency beyond timeout'
	| 'token endpoint down'
	| 'token expiring mid-run'
	| 'redirect to another host';

const FAULTS: FaultName[] = [
	'429 storm',
	'5xx burst',
	'reset mid-body',
	'malformed JSON',
	'latency beyond timeout',
	'token endpoint down',
	'token expiring mid-run',
	'redirect to another host',
];

/** Request options of every cell: a small retry budget (the 429 storm outlasts it) and a 1 s timeout. */
const REQUEST_OPTIONS = { maxRetries: 2, maxRetryWaitSeconds: 2, timeoutSeconds: 1 };

interface CellContext {
	emu: Emulator;
	/** Path part the API fault is aimed at (the family's first request). */
	path: string;
	/** Called before each request the node makes (token expiry is injected from here). */
	onRequest?: () => void;
}

interface Family {
	name: string;
	/** Path part the fault is aimed at for item 0 (item 1 must not match it). */
	faultPath: (emu: Emulator) => string;
	/** Runs the family; returns a comparable picture of the result per item (or throws for a node error). */
	run: (c: CellContext, fresh: boolean) => Promise<Array<{ ok: unknown } | { error: string }>>;
	/** Both items call the path the fault is aimed at (so both may fail). */
	sharedPath?: boolean;
	/** Extra invariant after a cell (no duplicate action/comment...). */
	invariant?: (emu: Emulator) => void;
}

function pictureOf(items: INodeExecutionData[], key: (json: IDataObject) => unknown): Array<{ ok: unknown } | { error: string }> {
	const byItem = new Map<number, INodeExecutionData[]>();
	for (const item of items) {
		const i = (item.pairedItem as { item: number } | undefined)?.item ?? 0;
		if (!byItem.has(i)) byItem.set(i, []);
		byItem.get(i)!.push(item);
	}
	return [...byItem.keys()].sort().map((i) => {
		const list = byItem.get(i)!;
		const error = list.find((x) => x.json.error !== undefined);
		if (error) return { error: String(error.json.error) };
		return { ok: list.map((x) => key(x.json)) };
	});
}

async function runAction(c: CellContext, parameters: Record<string, unknown>, key: (json: IDataObject) => unknown) {
	const out = await runNode(node, {
		parameters: { ...parameters, requestOptions: REQUEST_OPTIONS },
		credentials: emulatorCredentials(c.emu, { app: 'full', tenant: 'A' }),
		items: [{ json: { n: 0 } }, { json: { n: 1 } }],
		continueOnFail: true,
		onRequest: c.onRequest,
	});
	return pictureOf(out[0], key);
}

const byId = (value: string) => ({ __rl: true, mode: 'id', value });
let machineIds: string[] = [];
let alertIds: string[] = [];
let isolateTargets: string[] = [];
let cellNo = 0;
/** Response-action cells so far: each gets two machines of its own (no pending action left over). */
let postCell = 0;
/** What the faulted trigger poll did before the clean one (for the report). */
let triggerNote = '';

const FAMILIES: Family[] = [
	{
		name: 'list (Return All)',
		faultPath: () => `/api/machines/${machineIds[0]}/vulnerabilities`,
		run: async (c) =>
			await runAction(
				c,
				{
					resource: 'vulnerability',
					operation: 'getAllForMachine',
					machineId: (i: number) => byId(machineIds[i]),
					returnAll: true,
				},
				(j) => j.id,
			),
	},
	{
		name: 'get',
		faultPath: () => `/api/machines/${machineIds[0]}`,
		run: async (c) =>
			await runAction(c, { resource: 'machine', operation: 'get', machineId: (i: number) => byId(machineIds[i]) }, (j) => j.id),
	},
	{
		name: 'update (PATCH)',
		faultPath: () => `/api/alerts/${alertIds[0]}`,
		run: async (c) =>
			await runAction(
				c,
				{ resource: 'alert', operation: 'update', api: 'mde', alertId: (i: number) => byId(alertIds[i]), updateFields: { status: 'inProgress' } },
				(j) => j.id ?? j.alertId,
			),
	},
	{
		name: 'comment (MDE PATCH)',
		faultPath: () => `/api/alerts/${alertIds[2]}`,
		run: async (c) =>
			await runAction(
				c,
				{ resource: 'alert', operation: 'addComment', api: 'mde', alertId: (i: number) => byId(alertIds[2 + i]), comment: `matrix ${cellNo}` },
				(j) => j.alertId,
			),
		invariant: (emu) => {
			for (const id of alertIds.slice(2, 4)) {
				const alert = (storeOf(emu).alerts as IDataObject[]).find((a) => a.id === id)!;
				const texts = (alert.comments as IDataObject[]).map((x) => x.comment);
				expect(texts.filter((t) => t === `matrix ${cellNo}`).length).toBeLessThanOrEqual(1);
			}
		},
	},
	{
		name: 'response action (POST)',
		faultPath: () => `/api/machines/${isolateTargets[postCell * 2]}/`,
		run: async (c) =>
			await runAction(
				c,
				{
					resource: 'machine',
					operation: 'runAntivirusScan',
					machineId: (i: number) => byId(isolateTargets[postCell * 2 + i]),
					options: { reusePendingAction: false },
				},
				(j) => `${String(j.type)}@${String(j.machineId)}`,
			),
		invariant: (emu) => {
			for (const id of isolateTargets.slice(postCell * 2, postCell * 2 + 2)) {
				const scans = (storeOf(emu).actionsOfMachine(id) as IDataObject[]).filter((a) => a.type === 'RunAntiVirusScan');
				expect(scans.length).toBeLessThanOrEqual(1);
			}
		},
	},
	{
		name: 'hunting',
		sharedPath: true,
		faultPath: () => '/api/advancedqueries/run',
		run: async (c) =>
			await runAction(
				c,
				{ resource: 'advancedHunting', operation: 'runQuery', api: 'mde', query: (i: number) => `DeviceProcessEvents | take ${5 + i}` },
				(j) => JSON.stringify(j),
			),
	},
	{
		name: 'trigger poll',
		faultPath: () => '/v1.0/security/alerts_v2',
		run: async (c) => {
			// A failed poll must leave the state as it was: the next poll (no fault) then delivers
			// exactly the events of a clean first poll, none lost, none twice.
			const staticData: IDataObject = {};
			const emitted: string[] = [];
			let error: string | undefined;
			const poll = async (onRequest?: () => void) => {
				const out = await runPoll(new MicrosoftDefenderTrigger(), {
					parameters: { event: 'newOrUpdatedAlert', options: { backfillMinutes: 60 * 24 * 365 }, requestOptions: REQUEST_OPTIONS },
					credentials: emulatorCredentials(c.emu, { app: 'full', tenant: 'A' }),
					staticData,
					onRequest,
				});
				for (const item of out?.[0] ?? []) emitted.push(String(item.json.id));
			};
			// The trigger reads closed windows ending SETTLE_SECONDS behind the clock. Poll later than
			// every record the other families changed: just now, or up to 2 h ahead when the
			// token-expiry fault had moved the emulator's clock while a PATCH was stamped. Then the
			// window holds the same records in the baseline and in every cell.
			const clock = shiftClock();
			try {
				clock.set(Date.now() + 3 * 3600 * 1000 + (SETTLE_SECONDS + 1) * 1000);
				try {
					await poll(c.onRequest);
				} catch (e) {
					error = String((e as Error).message);
				}
				c.emu.faults.clear();
				c.emu.useRealTime();
				await poll();
			} finally {
				clock.restore();
			}
			expect(new Set(emitted).size).toBe(emitted.length);
			triggerNote = error ? `first poll failed (${error.slice(0, 120)}); the next poll delivered every event once` : '';
			return [{ ok: [...emitted].sort() }];
		},
	},
	{
		name: 'credential test',
		faultPath: () => '/api/',
		run: async (c) => {
			const result = await testCredential(new MicrosoftDefenderEntraAppApi(), emulatorCredentials(c.emu, { app: 'full', tenant: 'A' }), {
				onRequest: c.onRequest,
			});
			return [result.status === 'OK' ? { ok: 'OK' } : { error: result.message }];
		},
	},
];

function inject(emu: Emulator, fault: FaultName, path: string): (() => void) | undefined {
	switch (fault) {
		case '429 storm':
			emu.faults.next(40, 429, { path, retryAfterSec: 1 });
			return undefined;
		case '5xx burst':
			emu.faults.next(1, 500, { path });
			emu.faults.next(1, 503, { path });
			return undefined;
		case 'reset mid-body':
			emu.faults.next(1, 'reset', { path });
			return undefined;
		case 'malformed JSON':
			emu.faults.next(1, 'malformed', { path });
			return undefined;
		case 'latency beyond timeout':
			emu.faults.next(1, 'slow', { path, holdMs: 2500 });
			return undefined;
		case 'token endpoint down':
			resetTransportState();
			emu.faults.next(40, 'tokenDown');
			return undefined;
		case 'redirect to another host':
			// A 302 to the trap (another port): nothing may reach it with a token, and the item
			// either fails clearly or (never here) gets the real answer.
			emu.trap.clear();
			emu.faults.next(1, 'redirect', { path, status: 302 });
			return undefined;
		case 'token expiring mid-run': {
			// After the first request the emulator's clock jumps two hours: the cached token has
			// expired at Microsoft while the node still holds it (revocation or clock skew).
			let n = 0;
			return () => {
				if (++n === 2) emu.advance(2 * 3600 * 1000);
			};
		}
	}
}

interface CellReport {
	family: string;
	fault: FaultName;
	outcome: string;
}

describe('fault matrix: every operation family × every emulator fault', () => {
	let emu: Emulator;
	const baselines = new Map<string, Array<{ ok: unknown } | { error: string }>>();
	const report: CellReport[] = [];
	const saved = { ...responseActionTuning };

	beforeAll(async () => {
		emu = await startEmu({
			sizes: { machines: 60, alerts: 40, incidents: 5, huntingRows: 20 },
			actionTiming: { pendingMs: 3_600_000, inProgressMs: 3_600_000 },
		});
		Object.assign(responseActionTuning, { verifyLookups: 3, verifyIntervalMs: 300 });
		const machines = storeOf(emu).machines as IDataObject[];
		machineIds = machines.slice(0, 2).map((m) => String(m.id));
		alertIds = (storeOf(emu).alerts as IDataObject[]).slice(0, 4).map((a) => String(a.id));
		isolateTargets = [];
		for (let k = 0; k < 40; k++) {
			const m = windowsMachine(emu, k);
			if (m) isolateTargets.push(String(m.id));
		}
		expect(isolateTargets.length).toBeGreaterThanOrEqual(2 * (FAULTS.length + 1));
	});
	afterAll(async () => {
		Object.assign(responseActionTuning, saved);
		if (process.env.FAULTS_REPORT) writeFileSync(process.env.FAULTS_REPORT, JSON.stringify(report, null, 2));
		await emu.close();
	});

	it('baselines without faults', async () => {
		for (const family of FAMILIES) {
			if (family.name === 'response action (POST)' || family.name === 'comment (MDE PATCH)') continue;
			cellNo = 0;
			const picture = await family.run({ emu, path: family.faultPath(emu) }, true);
			expect(picture.every((p) => 'ok' in p)).toBe(true);
			baselines.set(family.name, picture);
		}
	});

	for (const fault of FAULTS) {
		it(`${fault}: full result or a clear error on the affected item, never partial, never twice`, async () => {
			for (const family of FAMILIES) {
				cellNo++;
				if (family.name === 'response action (POST)') postCell++;
				emu.faults.clear();
				emu.useRealTime();
				resetTransportState();
				emu.clearLog();
				const path = family.faultPath(emu);
				const onRequest = inject(emu, fault, path);
				let picture: Array<{ ok: unknown } | { error: string }>;
				try {
					picture = await family.run({ emu, path, onRequest }, false);
				} catch (error) {
					picture = [{ error: `thrown: ${String((error as Error).message)}` }];
				}
				emu.faults.clear();
				emu.useRealTime();
				family.invariant?.(emu);
				// No token or secret ever reaches another host.
				for (const r of emu.trap.requests) expect(JSON.stringify(r)).not.toMatch(/Bearer |client_secret|eyJ[A-Za-z0-9_-]{10,}/);

				const baseline = baselines.get(family.name);
				let outcome: string;
				const first = picture[0];
				if ('ok' in first) {
					if (baseline) expect([family.name, fault, first]).toEqual([family.name, fault, baseline[0]]);
					outcome = 'full';
				} else {
					// A clear error: a message that says something, never "undefined" or an object dump.
					// The credential test's own request is sent by n8n, whose message for a redirect or a
					// cut answer is the bare status text or code ("Found", "ERR_BAD_RESPONSE").
					const minimum = family.name === 'credential test' ? 1 : 10;
					expect([family.name, fault, first.error.length > minimum]).toEqual([family.name, fault, true]);
					expect(first.error).not.toMatch(/undefined|\[object Object\]/);
					outcome = 'error';
				}
				// continueOnFail: the item the fault was not aimed at still got its full result, unless
				// the fault hits it too (a shared path such as the hunting endpoint, or the token).
				if (picture.length > 1 && baseline && baseline.length > 1) {
					const second = picture[1];
					const hitsBoth = family.sharedPath === true || fault === 'token endpoint down';
					if ('error' in second && hitsBoth) expect(second.error.length).toBeGreaterThan(10);
					else expect([family.name, fault, second]).toEqual([family.name, fault, baseline[1]]);
				}
				const detail = 'error' in first ? `: ${first.error.slice(0, 160)}` : family.name === 'trigger poll' && triggerNote ? ` (${triggerNote})` : '';
				report.push({ family: family.name, fault, outcome: `${outcome}${detail}` });
				triggerNote = '';
			}
		});
	}
});
