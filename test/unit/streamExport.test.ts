/**
 * Pure parts of the streaming-export trigger: Event Grid decoding (both schemas), the blob
 * completeness rule, SAS/key checks, table names and the bounded state.
 */
import {
	STATE_LIMITS,
	blobHourEnd,
	checkAccountKey,
	containerOfTable,
	decodeQueueMessage,
	emptyState,
	encodeQueueMessage,
	isBlobComplete,
	loadState,
	matchesProperties,
	normalizeSas,
	parseQueueMessages,
	pruneState,
	storageEndpoints,
	tableOfContainer,
	tableOfRecord,
} from '../../nodes/MicrosoftDefender/helpers/streamExport';

const subject =
	'/blobServices/default/containers/insights-logs-advancedhunting-devicenetworkevents/blobs/t/y=2026/m=01/d=05/h=08/m=00/PT1H.json';

describe('Event Grid Blob Created messages', () => {
	test('Event Grid schema, base64 (as delivered to a storage queue) and plain JSON', () => {
		const event = {
			eventType: 'Microsoft.Storage.BlobCreated',
			subject,
			id: 'e1',
			eventTime: '2026-01-05T08:00:01Z',
			data: { blobType: 'AppendBlob', eTag: '0x1' },
		};
		for (const text of [
			encodeQueueMessage(event),
			JSON.stringify(event),
			JSON.stringify([event]),
		]) {
			expect(decodeQueueMessage(text)).toEqual({
				kind: 'blobCreated',
				event: expect.objectContaining({
					container: 'insights-logs-advancedhunting-devicenetworkevents',
					blob: 't/y=2026/m=01/d=05/h=08/m=00/PT1H.json',
					table: 'DeviceNetworkEvents',
					blobType: 'AppendBlob',
					eventId: 'e1',
				}),
			});
		}
	});

	test('CloudEvents schema (type, subject without leading slash)', () => {
		const ce = {
			specversion: '1.0',
			type: 'Microsoft.Storage.BlobCreated',
			subject: subject.slice(1),
			id: 'c1',
			time: '2026-01-05T08:00:01Z',
			data: { blobType: 'BlockBlob' },
		};
		expect(decodeQueueMessage(encodeQueueMessage(ce))).toMatchObject({
			kind: 'blobCreated',
			event: {
				table: 'DeviceNetworkEvents',
				blobType: 'BlockBlob',
				eventTime: '2026-01-05T08:00:01Z',
			},
		});
	});

	test('other events and garbage', () => {
		expect(
			decodeQueueMessage(
				encodeQueueMessage({ eventType: 'Microsoft.Storage.BlobDeleted', subject }),
			),
		).toEqual({ kind: 'other', eventType: 'Microsoft.Storage.BlobDeleted' });
		expect(decodeQueueMessage('bm90IGpzb24=').kind).toBe('invalid');
		expect(
			decodeQueueMessage(
				encodeQueueMessage({ eventType: 'Microsoft.Storage.BlobCreated', subject: '/nope' }),
			).kind,
		).toBe('invalid');
	});

	test('queue XML with escaped text', () => {
		const xml =
			'<?xml version="1.0"?><QueueMessagesList><QueueMessage><MessageId>m1</MessageId><PopReceipt>AgAAAA+/=</PopReceipt><DequeueCount>3</DequeueCount><MessageText>a&lt;b&amp;c</MessageText></QueueMessage></QueueMessagesList>';
		expect(parseQueueMessages(xml)).toEqual([
			{
				id: 'm1',
				popReceipt: 'AgAAAA+/=',
				dequeueCount: 3,
				text: 'a<b&c',
				insertionTime: undefined,
			},
		]);
	});
});

describe('blob layout', () => {
	test('tables and containers', () => {
		expect(containerOfTable('DeviceProcessEvents')).toBe(
			'insights-logs-advancedhunting-deviceprocessevents',
		);
		expect(tableOfContainer('insights-logs-advancedhunting-alertevidence')).toBe('AlertEvidence');
		expect(tableOfContainer('insights-logs-advancedhunting-somefuturetable')).toBe(
			'somefuturetable',
		);
		expect(tableOfContainer('insights-activity-logs')).toBeUndefined();
		expect(tableOfRecord({ category: 'AdvancedHunting-DeviceLogonEvents' })).toBe(
			'DeviceLogonEvents',
		);
		expect(tableOfRecord({}, 'DeviceEvents')).toBe('DeviceEvents');
	});

	test('an append blob is complete once its hour is over and it was quiet', () => {
		const path = 't/y=2026/m=01/d=05/h=08/m=00/PT1H.json';
		const hourEnd = Date.UTC(2026, 0, 5, 9);
		expect(blobHourEnd(path)).toBe(hourEnd);
		const quietMs = 600000;
		expect(
			isBlobComplete({
				blobType: 'AppendBlob',
				blobPath: path,
				lastModifiedMs: hourEnd - 1000,
				nowMs: hourEnd + 60000,
				quietMs,
			}),
		).toBe(false);
		expect(
			isBlobComplete({
				blobType: 'AppendBlob',
				blobPath: path,
				lastModifiedMs: hourEnd - 1000,
				nowMs: hourEnd + quietMs,
				quietMs,
			}),
		).toBe(true);
		expect(
			isBlobComplete({
				blobType: 'AppendBlob',
				blobPath: path,
				lastModifiedMs: hourEnd + quietMs,
				nowMs: hourEnd + quietMs + 1000,
				quietMs,
			}),
		).toBe(false);
		expect(isBlobComplete({ blobType: 'BlockBlob', blobPath: path, nowMs: 0, quietMs })).toBe(true);
		// No hour in the path: quiet is enough.
		expect(
			isBlobComplete({
				blobType: 'AppendBlob',
				blobPath: 'x.json',
				lastModifiedMs: 0,
				nowMs: quietMs,
				quietMs,
			}),
		).toBe(true);
	});

	test('property filter: dot paths, case-insensitive, all must match', () => {
		const r = {
			properties: {
				ActionType: 'ConnectionSuccess',
				RemotePort: 443,
				AdditionalFields: { Protocol: 'Tcp' },
			},
		};
		expect(matchesProperties(r, [{ name: 'actionType', value: 'x' }])).toBe(false);
		expect(
			matchesProperties(r, [
				{ name: 'ActionType', value: 'connectionsuccess' },
				{ name: 'RemotePort', value: '443' },
			]),
		).toBe(true);
		expect(matchesProperties(r, [{ name: 'AdditionalFields.Protocol', value: 'TCP' }])).toBe(true);
		expect(matchesProperties(r, [{ name: 'RemotePort', value: '80' }])).toBe(false);
	});
});

describe('credentials and endpoints', () => {
	test('SAS tokens: leading ?, full URL, missing signature, expired', () => {
		expect(normalizeSas('?sv=2021&se=2999-01-01T00:00:00Z&sig=abc')).toEqual({
			token: 'sv=2021&se=2999-01-01T00:00:00Z&sig=abc',
		});
		expect(normalizeSas('https://a.blob.core.windows.net/?sv=1&sig=x').token).toBe('sv=1&sig=x');
		expect(normalizeSas('sv=2021').problem).toMatch(/no signature/);
		expect(normalizeSas('se=2020-01-01T00:00:00Z&sig=x').problem).toMatch(/expired at 2020-01-01/);
	});

	test('account keys', () => {
		expect(checkAccountKey('')).toMatch(/empty/);
		expect(checkAccountKey('not a key!')).toMatch(/not a base64/);
		expect(checkAccountKey(Buffer.alloc(64, 1).toString('base64'))).toBeUndefined();
	});

	test('endpoints per cloud and custom', () => {
		expect(storageEndpoints({ account: 'contosostream', cloud: 'global' })).toEqual({
			account: 'contosostream',
			blob: 'https://contosostream.blob.core.windows.net',
			queue: 'https://contosostream.queue.core.windows.net',
			scope: 'https://storage.azure.com/.default',
		});
		expect(storageEndpoints({ account: 'gov1', cloud: 'usGov' }).queue).toBe(
			'https://gov1.queue.core.usgovcloudapi.net',
		);
		expect(
			storageEndpoints({
				account: 'devstoreaccount1',
				cloud: 'custom',
				blobEndpoint: 'http://127.0.0.1:1/devstoreaccount1/',
				queueEndpoint: 'http://127.0.0.1:2/devstoreaccount1',
			}).blob,
		).toBe('http://127.0.0.1:1/devstoreaccount1');
		expect(() =>
			storageEndpoints({ account: 'https://x.blob.core.windows.net', cloud: 'global' }),
		).toThrow(/not a storage account name/);
		expect(() =>
			storageEndpoints({
				account: 'abc',
				cloud: 'custom',
				blobEndpoint: 'ftp://x',
				queueEndpoint: '',
			}),
		).toThrow(/Blob Endpoint/);
	});
});

describe('state', () => {
	test('bounded: finished blobs expire and are capped first; blobs in progress stay', () => {
		const s = emptyState();
		const now = 10 * STATE_LIMITS.keepDoneMs;
		s.blobs.old = { o: 1, d: 1, t: now - STATE_LIMITS.keepDoneMs - 1 };
		for (let i = 0; i < STATE_LIMITS.maxBlobs + 10; i++)
			s.blobs[`done${i}`] = { o: 1, d: 1, t: now - 1000 + i };
		s.blobs.inProgress = { o: 5, t: 0 };
		pruneState(s, now);
		expect(s.blobs.old).toBeUndefined();
		expect(s.blobs.inProgress).toEqual({ o: 5, t: 0 });
		expect(s.blobs.done0).toBeUndefined();
		expect(Object.keys(s.blobs)).toHaveLength(STATE_LIMITS.maxBlobs);
		expect(s.blobs.done10).toBeUndefined();
		expect(s.blobs.done11).toBeDefined();
	});

	test('unknown or old state shapes start empty', () => {
		expect(loadState(undefined)).toEqual(emptyState());
		expect(loadState({ v: 2 })).toEqual(emptyState());
		expect(
			loadState({ v: 1, blobs: { a: { o: 3, t: 1 } }, deletes: [], deferred: {}, rpm: 5 }),
		).toMatchObject({ blobs: { a: { o: 3 } }, rpm: 5 });
	});
});
