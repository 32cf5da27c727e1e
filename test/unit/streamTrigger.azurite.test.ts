/**
 * Microsoft Defender Stream Trigger against Azurite over real sockets: the streaming API's blob
 * layout and Event Grid's base64 Blob Created messages are written by the fixture (SDK), the
 * trigger reads them with its own Storage REST client. Every delivery guarantee is checked by
 * counting records: each ReportId exactly once.
 */
import {
	AccountSASPermissions,
	AccountSASResourceTypes,
	AccountSASServices,
	generateAccountSASQueryParameters,
	StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { MicrosoftDefenderStreamTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderStreamTrigger.node';
import { encodeQueueMessage } from '../../nodes/MicrosoftDefender/helpers/streamExport';
import { storageTuning } from '../../nodes/MicrosoftDefender/transport/storage';
import { clearTokenCache } from '../../nodes/MicrosoftDefender/transport/tokenCache';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { FIXTURE } from '../emulator/core/fixture';
import { emulatorCredentials, runPoll } from '../harness';
import {
	DEV_KEY,
	hourPath,
	recordLines,
	startAzurite,
	startFaultProxy,
	StreamFixture,
	type Azurite,
} from '../stream/azurite';

const trigger = new MicrosoftDefenderStreamTrigger();
const keyCredentials = {
	microsoftDefenderStorageApi: { authentication: 'accountKey', accountKeySecret: DEV_KEY },
};
const OLD_HOUR = new Date(Date.UTC(2026, 0, 5, 8));
let queueSeq = 0;

function params(
	az: { blobUrl: string; queueUrl: string },
	queue: string,
	over: IDataObject = {},
	options: IDataObject = {},
): IDataObject {
	return {
		authentication: 'storageCredential',
		storageAccount: 'devstoreaccount1',
		queueName: queue,
		storageCloud: 'custom',
		blobEndpoint: az.blobUrl,
		queueEndpoint: az.queueUrl,
		tables: [],
		output: 'record',
		options: { quietMinutes: 0, recheckSeconds: 0, leaseSeconds: 30, ...options },
		...over,
	};
}

const records = (items: INodeExecutionData[]) => items.filter((i) => !i.json.error);
const errors = (items: INodeExecutionData[]) =>
	items.filter((i) => i.json.error).map((i) => i.json.error as IDataObject);
const ids = (items: INodeExecutionData[]) =>
	records(items).map((i) => (i.json.properties as IDataObject).ReportId as number);

async function poll(
	p: IDataObject,
	staticData: IDataObject,
	credentials: object = keyCredentials,
	ca?: string,
): Promise<INodeExecutionData[]> {
	const out = await runPoll(trigger, {
		parameters: p,
		credentials: credentials as never,
		staticData,
		mode: 'trigger',
		ca,
	});
	return out?.[0] ?? [];
}

/** Polls until `done` or `max` polls; a new static-data copy each time when `restart` (n8n restarted). */
async function drain(
	p: IDataObject,
	staticData: IDataObject,
	o: { max?: number; restart?: boolean; credentials?: object } = {},
): Promise<{ items: INodeExecutionData[]; data: IDataObject }> {
	const all: INodeExecutionData[] = [];
	let data = staticData;
	for (let i = 0; i < (o.max ?? 20); i++) {
		if (o.restart) data = JSON.parse(JSON.stringify(data)) as IDataObject;
		const items = await poll(p, data, o.credentials);
		all.push(...items);
		if (!items.length) break;
	}
	return { items: all, data };
}

function expectExactlyOnce(got: number[], from: number, count: number): void {
	const sorted = [...got].sort((a, b) => a - b);
	expect(sorted.length).toBe(count);
	expect(new Set(sorted).size).toBe(count);
	expect(sorted[0]).toBe(from);
	expect(sorted[sorted.length - 1]).toBe(from + count - 1);
}

describe('Stream trigger on Azurite (Shared Key)', () => {
	let az: Azurite;
	let fx: StreamFixture;
	const saved = { ...storageTuning };

	beforeAll(async () => {
		az = await startAzurite();
		fx = new StreamFixture(az);
		storageTuning.baseBackoffMs = 5;
	}, 60000);
	afterAll(async () => {
		Object.assign(storageTuning, saved);
		await az?.close();
	});

	async function newQueue(): Promise<string> {
		const q = `defender-events-${++queueSeq}`;
		await fx.createQueue(q);
		return q;
	}

	test('emits every record once with table, time and properties; deletes the messages on the next poll', async () => {
		const q = await newQueue();
		const p1 = `t1/${hourPath(OLD_HOUR)}`;
		const p2 = `t1/${hourPath(new Date(OLD_HOUR.getTime() + 3600000))}`;
		await fx.append('DeviceNetworkEvents', p1, recordLines('DeviceNetworkEvents', 0, 120));
		await fx.append('DeviceProcessEvents', p2, recordLines('DeviceProcessEvents', 120, 80));
		await fx.putBlockBlob(
			'DeviceFileEvents',
			't1/block.json',
			recordLines('DeviceFileEvents', 200, 10),
		);
		await fx.announce(q, 'DeviceNetworkEvents', p1);
		await fx.announce(q, 'DeviceProcessEvents', p2);
		await fx.announce(q, 'DeviceFileEvents', 't1/block.json', 'BlockBlob');

		const data: IDataObject = {};
		const first = await poll(params(az, q), data);
		expect(errors(first)).toEqual([]);
		expectExactlyOnce(ids(first), 0, 210);
		const sample = first.find((i) => (i.json.properties as IDataObject).ReportId === 5)!.json;
		expect(sample).toMatchObject({
			table: 'DeviceNetworkEvents',
			category: 'AdvancedHunting-DeviceNetworkEvents',
			time: expect.any(String),
			tenantId: FIXTURE.tenants.A.id,
			properties: { ReportId: 5, ActionType: expect.any(String) },
			source: {
				container: 'insights-logs-advancedhunting-devicenetworkevents',
				blob: p1,
				offset: expect.any(Number),
			},
		});
		// Delete-after-emit: the messages are still in the queue (hidden) until the next poll.
		expect(await fx.depth(q)).toBe(3);
		expect(await poll(params(az, q), data)).toEqual([]);
		expect(await fx.depth(q)).toBe(0);
	});

	test('table and property filters; messages of other tables are removed unread', async () => {
		const q = await newQueue();
		const p = `t2/${hourPath(OLD_HOUR)}`;
		await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 0, 30));
		await fx.append('DeviceLogonEvents', p, recordLines('DeviceLogonEvents', 30, 30));
		await fx.announce(q, 'DeviceNetworkEvents', p);
		await fx.announce(q, 'DeviceLogonEvents', p);
		const prm = params(az, q, {
			tables: ['DeviceNetworkEvents'],
			propertyFilters: { conditions: [{ name: 'ActionType', value: 'connectionfailed' }] },
		});
		const { items } = await drain(prm, {});
		expect(errors(items)).toEqual([]);
		expect(ids(items).sort((a, b) => a - b)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
		expect(records(items).every((i) => i.json.table === 'DeviceNetworkEvents')).toBe(true);
		expect(await fx.depth(q)).toBe(0);
	});

	test('one item per blob', async () => {
		const q = await newQueue();
		const p = `t3/${hourPath(OLD_HOUR)}`;
		await fx.append('DeviceEvents', p, recordLines('DeviceEvents', 0, 25));
		await fx.announce(q, 'DeviceEvents', p);
		const items = await poll(params(az, q, { output: 'blob' }), {});
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({
			table: 'DeviceEvents',
			blob: p,
			recordCount: 25,
			fromOffset: 0,
		});
		expect(
			(items[0].json.records as IDataObject[]).map((r) => (r.properties as IDataObject).ReportId),
		).toEqual([...Array(25).keys()]);
	});

	test('restart mid-blob: a large blob read in small ranges over budgeted polls, static data reloaded each time → exactly once', async () => {
		const q = await newQueue();
		const p = `t4/${hourPath(OLD_HOUR)}`;
		await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 0, 1000));
		await fx.announce(q, 'DeviceNetworkEvents', p);
		// 7 KB ranges split lines across reads; 137 items per poll stop mid-range.
		const prm = params(az, q, {}, { maxItems: 137, readSizeMiB: 7 / 1024 });
		const { items } = await drain(prm, {}, { restart: true, max: 30 });
		expectExactlyOnce(ids(items), 0, 1000);
		expect(await fx.depth(q)).toBe(0);
	});

	test('malformed lines become error items and the other records still arrive', async () => {
		const q = await newQueue();
		const p = `t5/${hourPath(OLD_HOUR)}`;
		const good = recordLines('DeviceEvents', 0, 4).split('\n');
		const text = [
			good[0],
			'{"time": "2026-01-05T08:00:00Z", broken',
			good[1],
			'[1,2,3]',
			'',
			good[2],
			`${good[3].slice(0, -1)}\r`,
		].join('\n');
		await fx.append('DeviceEvents', p, text); // last line: CRLF and no final newline
		await fx.announce(q, 'DeviceEvents', p);
		const { items } = await drain(params(az, q), {});
		expect(ids(items).sort()).toEqual([0, 1, 2]);
		const errs = errors(items);
		expect(errs.map((e) => e.kind)).toEqual(['malformedLine', 'malformedLine', 'malformedLine']);
		expect(errs[0].preview).toContain('broken');
		expect(await fx.depth(q)).toBe(0);
	});

	test('a message that is not an Event Grid event is reported and moved to the poison queue', async () => {
		const q = await newQueue();
		await fx.putMessage(q, 'bm90IGpzb24='); // base64 of "not json"
		const items = await poll(params(az, q), {});
		expect(errors(items)).toEqual([
			expect.objectContaining({ kind: 'poisonMessage', messageText: 'bm90IGpzb24=' }),
		]);
		expect(await fx.depth(q)).toBe(0);
		expect((await fx.peekAll(`${q}-poison`)).map((m) => m.text)).toEqual(['bm90IGpzb24=']);
	});

	test('a message that keeps failing is poisoned after Max Delivery Attempts, not retried forever', async () => {
		const proxy = await startFaultProxy(new URL(az.blobUrl).origin);
		try {
			const q = await newQueue();
			const p = `t6/${hourPath(OLD_HOUR)}`;
			await fx.append('DeviceEvents', p, recordLines('DeviceEvents', 0, 5));
			await fx.announce(q, 'DeviceEvents', p);
			proxy.rules.push({
				count: 1000,
				status: 500,
				match: (r) => r.method === 'HEAD' && (r.url ?? '').includes('/t6/'),
			});
			const saved = storageTuning.maxRetries;
			storageTuning.maxRetries = 0;
			const prm = params(
				az,
				q,
				{ blobEndpoint: `${proxy.url}/devstoreaccount1` },
				{ leaseSeconds: 1, maxAttempts: 2 },
			);
			const data: IDataObject = {};
			let poisoned: IDataObject[] = [];
			try {
				for (let i = 0; i < 6 && !poisoned.length; i++) {
					const items = await poll(prm, data).catch((e: Error) => {
						expect(e.message).toMatch(/HTTP 500/);
						return [] as INodeExecutionData[];
					});
					poisoned = errors(items);
					if (!poisoned.length) await sleep(1100);
				}
			} finally {
				storageTuning.maxRetries = saved;
			}
			expect(poisoned).toEqual([
				expect.objectContaining({ kind: 'poisonMessage', dequeueCount: 3, blob: p }),
			]);
			expect(await fx.depth(q)).toBe(0);
			expect(await fx.depth(`${q}-poison`)).toBe(1);
		} finally {
			await proxy.close();
		}
	});

	test('growing append blob: only new bytes are read (x-ms-range), a partial last line waits, the message goes once the hour is over and quiet', async () => {
		const q = await newQueue();
		// The current hour: the blob is still being appended to.
		const p = `t7/${hourPath(new Date())}`;
		await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 0, 100));
		await fx.announce(q, 'DeviceNetworkEvents', p);
		const ranges: string[] = [];
		const prm = params(az, q, {}, { quietMinutes: 0 });
		const data: IDataObject = {};
		const run = async () =>
			(
				await runPoll(trigger, {
					parameters: prm,
					credentials: keyCredentials as never,
					staticData: data,
					mode: 'trigger',
					onRequest: (o) => {
						const r = (o.headers as IDataObject | undefined)?.['x-ms-range'];
						if (r) ranges.push(String(r));
					},
				})
			)?.[0] ?? [];
		expectExactlyOnce(ids(await run()), 0, 100);
		const size1 = Buffer.byteLength(recordLines('DeviceNetworkEvents', 0, 100));
		await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 100, 50));
		const second = await run();
		expectExactlyOnce(ids(second), 100, 50);
		expect(ranges[ranges.length - 1]).toMatch(new RegExp(`^bytes=${size1}-`));
		// A record cut in the middle stays unread while the blob may grow.
		const next = recordLines('DeviceNetworkEvents', 150, 1);
		await fx.append('DeviceNetworkEvents', p, next.slice(0, 40));
		expect(ids(await run())).toEqual([]);
		await fx.append('DeviceNetworkEvents', p, next.slice(40));
		expect(ids(await run())).toEqual([150]);
		expect(await fx.depth(q)).toBe(1); // kept while the hour lasts
	});

	test('a complete append blob (hour over, quiet) releases its message', async () => {
		const q = await newQueue();
		const p = `t8/${hourPath(OLD_HOUR)}`;
		await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 0, 10));
		await fx.announce(q, 'DeviceNetworkEvents', p);
		const prm = params(az, q, {}, { quietMinutes: 0.02 }); // 1.2 s quiet
		const data: IDataObject = {};
		expectExactlyOnce(ids(await poll(prm, data)), 0, 10); // modified just now: not complete yet
		await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 10, 5));
		expectExactlyOnce(ids(await poll(prm, data)), 10, 5);
		await sleep(1400);
		expect(await poll(prm, data)).toEqual([]); // complete now: message scheduled for deletion
		expect(await poll(prm, data)).toEqual([]);
		expect(await fx.depth(q)).toBe(0);
		// Event Grid delivers an event twice: the finished blob is not read again.
		await fx.announce(q, 'DeviceNetworkEvents', p);
		expect(await poll(prm, data)).toEqual([]);
		expect(await poll(prm, data)).toEqual([]);
		expect(await fx.depth(q)).toBe(0);
	});

	test('429 (Retry-After) and 503 from storage are retried; nothing lost or repeated', async () => {
		const blobProxy = await startFaultProxy(new URL(az.blobUrl).origin);
		const queueProxy = await startFaultProxy(new URL(az.queueUrl).origin);
		try {
			const q = await newQueue();
			const p = `t9/${hourPath(OLD_HOUR)}`;
			await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 0, 300));
			await fx.announce(q, 'DeviceNetworkEvents', p);
			queueProxy.rules.push({
				count: 2,
				status: 429,
				headers: { 'Retry-After': '0' },
				match: (r) => r.method === 'GET',
			});
			blobProxy.rules.push({ count: 3, status: 503, match: (r) => r.method === 'GET' });
			const prm = params(
				az,
				q,
				{
					blobEndpoint: `${blobProxy.url}/devstoreaccount1`,
					queueEndpoint: `${queueProxy.url}/devstoreaccount1`,
				},
				{ readSizeMiB: 0.01 },
			);
			const { items } = await drain(prm, {});
			expectExactlyOnce(ids(items), 0, 300);
			expect(queueProxy.injected + blobProxy.injected).toBe(5);
			expect(await fx.depth(q)).toBe(0);
		} finally {
			await blobProxy.close();
			await queueProxy.close();
		}
	});

	test('a failed poll (storage down mid-blob beyond retries) loses and repeats nothing', async () => {
		const proxy = await startFaultProxy(new URL(az.blobUrl).origin);
		try {
			const q = await newQueue();
			const p = `t10/${hourPath(OLD_HOUR)}`;
			await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 0, 400));
			await fx.announce(q, 'DeviceNetworkEvents', p);
			const saved = storageTuning.maxRetries;
			storageTuning.maxRetries = 1;
			let gets = 0;
			// The third range read and its retry fail: the poll emits what it read before.
			proxy.rules.push({ count: 2, status: 503, match: (r) => r.method === 'GET' && ++gets >= 3 });
			const prm = params(
				az,
				q,
				{ blobEndpoint: `${proxy.url}/devstoreaccount1` },
				{ readSizeMiB: 0.01, leaseSeconds: 1 },
			);
			const data: IDataObject = {};
			const got: number[] = [];
			try {
				for (let i = 0; i < 10; i++) {
					const items = await poll(prm, data);
					got.push(...ids(items));
					if (got.length >= 400) break;
					await sleep(1100);
				}
			} finally {
				storageTuning.maxRetries = saved;
			}
			expect(proxy.injected).toBe(2);
			expectExactlyOnce(got, 0, 400);
		} finally {
			await proxy.close();
		}
	});

	test('SAS token authentication reads the export; a refused SAS gives a fix and never echoes the token', async () => {
		const q = await newQueue();
		const p = `t12/${hourPath(OLD_HOUR)}`;
		await fx.append('DeviceEvents', p, recordLines('DeviceEvents', 0, 40));
		await fx.announce(q, 'DeviceEvents', p);
		const sas = generateAccountSASQueryParameters(
			{
				expiresOn: new Date(Date.now() + 3600000),
				permissions: AccountSASPermissions.parse('rlap'),
				services: AccountSASServices.parse('bq').toString(),
				resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
			},
			new StorageSharedKeyCredential('devstoreaccount1', DEV_KEY),
		).toString();
		const sasCredentials = (token: string) => ({
			microsoftDefenderStorageApi: { authentication: 'sas', sasToken: token },
		});
		// A SAS signed with another key: refused, and neither the message nor the description shows it.
		const forged = sas.replace(
			/sig=[^&]+/,
			`sig=${encodeURIComponent(Buffer.alloc(32, 9).toString('base64'))}`,
		);
		const error = (await poll(params(az, q), {}, sasCredentials(forged)).catch(
			(e: Error) => e,
		)) as Error & { description?: string };
		expect(error).toBeInstanceOf(Error);
		expect(error.message).toMatch(/rejected the authentication/);
		expect(`${error.message} ${error.description}`).not.toContain('sig=');
		expect(error.description).toMatch(/SAS token/);
		const { items } = await drain(params(az, q), {}, { credentials: sasCredentials(`?${sas}`) });
		expectExactlyOnce(ids(items), 0, 40);
	});

	test('a poll that throws changes nothing (the same records come on the next poll, once)', async () => {
		const q = await newQueue();
		const p = `t11/${hourPath(OLD_HOUR)}`;
		await fx.append('DeviceEvents', p, recordLines('DeviceEvents', 0, 20));
		await fx.announce(q, 'DeviceEvents', p);
		const data: IDataObject = {};
		await expect(
			poll(params(az, q), data, {
				microsoftDefenderStorageApi: {
					authentication: 'accountKey',
					accountKeySecret: Buffer.alloc(64, 7).toString('base64'),
				},
			}),
		).rejects.toThrow(/rejected the authentication/);
		expect(data).toEqual({});
		// The failed poll received nothing (its first call was refused): everything comes next time.
		const { items } = await drain(params(az, q), data, { max: 5 });
		expectExactlyOnce(ids(items), 0, 20);
	});
});

describe('Stream trigger on Azurite (HTTPS + OAuth, Entra app tokens from the emulator)', () => {
	let az: Azurite;
	let fx: StreamFixture;
	let emu: EmulatorHandle;

	beforeAll(async () => {
		[az, emu] = await Promise.all([startAzurite({ oauth: true }), startEmulator({ port: 0 })]);
		fx = new StreamFixture(az);
	}, 60000);
	afterAll(async () => {
		await Promise.all([az?.close(), emu?.close()]);
	});
	beforeEach(() => clearTokenCache());

	test('reads the export with a token for https://storage.azure.com; a token the service calls expired is replaced without loss', async () => {
		const q = `defender-oauth-${++queueSeq}`;
		await fx.createQueue(q);
		const p = `t1/${hourPath(OLD_HOUR)}`;
		await fx.append('DeviceNetworkEvents', p, recordLines('DeviceNetworkEvents', 0, 50));
		await fx.announce(q, 'DeviceNetworkEvents', p);
		const credentials = { microsoftDefenderEntraAppApi: emulatorCredentials(emu) };
		const prm = params(az, q, { authentication: 'entraApp' });
		const data: IDataObject = {};

		// Entra issues a token that is already expired (its clock is 2 h behind): storage refuses it.
		emu.setNow(Date.now() - 2 * 3600000);
		await expect(poll(prm, data, credentials, az.ca)).rejects.toThrow(
			/Azure Storage rejected the authentication/,
		);
		expect(data).toEqual({});
		emu.useRealTime();
		// The cached (expired) token is refused once, dropped, and a fresh one is used.
		const items = await poll(prm, data, credentials, az.ca);
		expectExactlyOnce(ids(items), 0, 50);
		expect(await poll(prm, data, credentials, az.ca)).toEqual([]);
		expect(await fx.depth(q)).toBe(0);
		const tokenCalls = emu.log.filter(
			(e) => e.family === 'entra' && e.audience === 'https://storage.azure.com',
		);
		expect(tokenCalls.length).toBeGreaterThanOrEqual(2);
	});

	test('encodeQueueMessage is what Event Grid puts in the queue (base64 JSON)', () => {
		const text = encodeQueueMessage({ eventType: 'Microsoft.Storage.BlobCreated' });
		expect(JSON.parse(Buffer.from(text, 'base64').toString('utf8'))).toEqual({
			eventType: 'Microsoft.Storage.BlobCreated',
		});
	});
});
