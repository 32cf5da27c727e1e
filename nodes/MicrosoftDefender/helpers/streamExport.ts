/**
 * Defender's streaming export to Azure Storage (pure parts): storage hosts per cloud, Shared Key
 * signing, the Event Grid Blob Created message, the blob layout, line splitting and the
 * trigger's bounded state. Sources (Microsoft Learn titles) are in docs/streaming-export.md.
 */
import { createHmac } from 'node:crypto';
import type { IDataObject } from 'n8n-workflow';

/* ------------------------------------------------------------------ hosts */

/**
 * Storage endpoint suffixes ("Azure Storage endpoints" per cloud). The token audience for data
 * access is https://storage.azure.com/ ("Authorize access to blobs using Microsoft Entra ID");
 * the sovereign clouds' audience is not stated there, so it can be overridden.
 */
export const STORAGE_CLOUDS: Record<
	string,
	{ displayName: string; suffix: string; scope: string }
> = {
	global: {
		displayName: 'Azure (Global)',
		suffix: 'core.windows.net',
		scope: 'https://storage.azure.com/.default',
	},
	usGov: {
		displayName: 'Azure Government (GCC High, DoD)',
		suffix: 'core.usgovcloudapi.net',
		scope: 'https://storage.azure.com/.default',
	},
	china: {
		displayName: 'Azure China (21Vianet)',
		suffix: 'core.chinacloudapi.cn',
		scope: 'https://storage.azure.com/.default',
	},
};

/** Storage REST version sent as x-ms-version (OAuth needs 2017-11-09 or later). */
export const STORAGE_API_VERSION = '2021-12-02';

export interface StorageEndpoints {
	account: string;
	blob: string;
	queue: string;
	scope: string;
}

const ACCOUNT = /^[a-z0-9]{3,24}$/;
const QUEUE = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

export class StreamConfigError extends Error {
	constructor(
		message: string,
		public description: string,
	) {
		super(message);
		this.name = 'StreamConfigError';
	}
}

function trimUrl(value: unknown, label: string): string {
	const raw = typeof value === 'string' ? value.trim() : '';
	let u: URL | undefined;
	try {
		u = new URL(raw);
	} catch {
		u = undefined;
	}
	if (
		!u ||
		(u.protocol !== 'https:' && u.protocol !== 'http:') ||
		u.search ||
		u.hash ||
		u.username
	) {
		throw new StreamConfigError(
			`${label} is not a valid http(s) URL`,
			'Enter a URL such as http://127.0.0.1:10000/devstoreaccount1 (Azurite) or https://myaccount.blob.core.windows.net.',
		);
	}
	return u.toString().replace(/\/+$/, '');
}

/** Blob and queue endpoints of the account (a cloud's suffix, or custom URLs for Azurite). */
export function storageEndpoints(p: {
	account: string;
	cloud: string;
	blobEndpoint?: string;
	queueEndpoint?: string;
	scope?: string;
}): StorageEndpoints {
	const account = String(p.account ?? '').trim();
	if (!ACCOUNT.test(account)) {
		throw new StreamConfigError(
			`"${account}" is not a storage account name`,
			'Use the name of the storage account the streaming API writes to: 3-24 lowercase letters and digits (not its URL or resource ID).',
		);
	}
	let blob: string;
	let queue: string;
	let scope: string;
	if (p.cloud === 'custom') {
		blob = trimUrl(p.blobEndpoint, 'Blob Endpoint');
		queue = trimUrl(p.queueEndpoint, 'Queue Endpoint');
		scope = STORAGE_CLOUDS.global.scope;
	} else {
		const c = STORAGE_CLOUDS[p.cloud] ?? STORAGE_CLOUDS.global;
		blob = `https://${account}.blob.${c.suffix}`;
		queue = `https://${account}.queue.${c.suffix}`;
		scope = c.scope;
	}
	const override = typeof p.scope === 'string' ? p.scope.trim() : '';
	return { account, blob, queue, scope: override || scope };
}

export function validateQueueName(name: string, label = 'Queue Name'): string {
	const q = String(name ?? '').trim();
	if (!QUEUE.test(q)) {
		throw new StreamConfigError(
			`${label} "${q}" is not a valid queue name`,
			'Queue names are 3-63 lowercase letters, digits and single hyphens (the queue the Event Grid subscription delivers to).',
		);
	}
	return q;
}

/* ------------------------------------------------------------------ Shared Key and SAS */

export interface SignableRequest {
	method: string;
	url: string;
	headers: Record<string, string>;
	/** Body length in bytes (0 = none). */
	contentLength: number;
}

/**
 * The Authorization header for Shared Key ("Authorize with Shared Key": Blob, Queue and File
 * services, version 2009-09-19 and later; empty Content-Length when zero since 2015-02-21).
 */
export function sharedKeyAuthorization(
	account: string,
	keyBase64: string,
	req: SignableRequest,
): string {
	const h: Record<string, string> = {};
	for (const [k, v] of Object.entries(req.headers)) h[k.toLowerCase()] = String(v);
	const url = new URL(req.url);
	const canonicalHeaders = Object.keys(h)
		.filter((k) => k.startsWith('x-ms-'))
		.sort()
		.map((k) => `${k}:${h[k].replace(/\s+/g, ' ').trim()}\n`)
		.join('');
	const params = new Map<string, string[]>();
	for (const [k, v] of url.searchParams) {
		const key = k.toLowerCase();
		params.set(key, [...(params.get(key) ?? []), v]);
	}
	const canonicalQuery = [...params.keys()]
		.sort()
		.map((k) => `\n${k}:${params.get(k)!.sort().join(',')}`)
		.join('');
	const canonicalResource = `/${account}${url.pathname}${canonicalQuery}`;
	const stringToSign = [
		req.method.toUpperCase(),
		h['content-encoding'] ?? '',
		h['content-language'] ?? '',
		req.contentLength > 0 ? String(req.contentLength) : '',
		h['content-md5'] ?? '',
		h['content-type'] ?? '',
		'', // Date: x-ms-date is sent instead
		h['if-modified-since'] ?? '',
		h['if-match'] ?? '',
		h['if-none-match'] ?? '',
		h['if-unmodified-since'] ?? '',
		h.range ?? '',
		canonicalHeaders + canonicalResource,
	].join('\n');
	const signature = createHmac('sha256', Buffer.from(keyBase64, 'base64'))
		.update(stringToSign, 'utf8')
		.digest('base64');
	return `SharedKey ${account}:${signature}`;
}

/** An account key is 64 bytes, base64-encoded (88 characters). */
export function checkAccountKey(key: string): string | undefined {
	const k = String(key ?? '').trim();
	if (!k) return 'The account key is empty';
	if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k) || Buffer.from(k, 'base64').length < 32) {
		return 'The account key is not a base64 storage key (Storage account → Security + networking → Access keys → key1 → Key)';
	}
	return undefined;
}

/** A SAS token without its leading "?"; checks the signature and expiry fields are present. */
export function normalizeSas(sas: string, now = Date.now()): { token?: string; problem?: string } {
	let s = String(sas ?? '').trim();
	if (s.includes('?') && /^https?:/i.test(s)) s = s.slice(s.indexOf('?') + 1);
	s = s.replace(/^\?/, '');
	const q = new URLSearchParams(s);
	if (!q.get('sig'))
		return { problem: 'The SAS token has no signature (sig=…); paste the whole token' };
	const se = q.get('se');
	if (se && Number.isFinite(Date.parse(se)) && Date.parse(se) <= now) {
		return { problem: `The SAS token expired at ${se}; generate a new one` };
	}
	return { token: s };
}

/* ------------------------------------------------------------------ queue XML */

export interface QueueMessage {
	id: string;
	popReceipt: string;
	dequeueCount: number;
	text: string;
	insertionTime?: string;
}

function unescapeXml(s: string): string {
	return s.replace(
		/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-f]+));/gi,
		(_m, name: string, dec?: string, hex?: string) => {
			if (dec) return String.fromCodePoint(Number(dec));
			if (hex) return String.fromCodePoint(parseInt(hex, 16));
			return ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[
				name.toLowerCase()
			];
		},
	);
}

export function escapeXml(s: string): string {
	return s
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&apos;');
}

function tag(xml: string, name: string): string | undefined {
	const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
	return m ? unescapeXml(m[1]) : undefined;
}

/** Get Messages / Peek Messages response (QueueMessagesList). */
export function parseQueueMessages(xml: string): QueueMessage[] {
	const out: QueueMessage[] = [];
	const re = /<QueueMessage>([\s\S]*?)<\/QueueMessage>/g;
	for (let m = re.exec(xml); m; m = re.exec(xml)) {
		const body = m[1];
		out.push({
			id: tag(body, 'MessageId') ?? '',
			popReceipt: tag(body, 'PopReceipt') ?? '',
			dequeueCount: Number(tag(body, 'DequeueCount') ?? 0) || 0,
			text: tag(body, 'MessageText') ?? '',
			insertionTime: tag(body, 'InsertionTime'),
		});
	}
	return out;
}

/** The error code of a storage error body (<Error><Code>…</Code>). */
export function storageErrorCode(body: string): string | undefined {
	return tag(body, 'Code');
}

/* ------------------------------------------------------------------ Event Grid */

export const CONTAINER_PREFIX = 'insights-logs-advancedhunting-';

/** Tables the streaming API exports ("Supported Microsoft Defender XDR streaming event types"). */
export const STREAM_TABLES = [
	'AlertEvidence',
	'AlertInfo',
	'CloudAppEvents',
	'DeviceEvents',
	'DeviceFileCertificateInfo',
	'DeviceFileEvents',
	'DeviceImageLoadEvents',
	'DeviceInfo',
	'DeviceLogonEvents',
	'DeviceNetworkEvents',
	'DeviceNetworkInfo',
	'DeviceProcessEvents',
	'DeviceRegistryEvents',
	'EmailAttachmentInfo',
	'EmailEvents',
	'EmailPostDeliveryEvents',
	'EmailUrlInfo',
	'IdentityDirectoryEvents',
	'IdentityLogonEvents',
	'IdentityQueryEvents',
	'UrlClickEvents',
];

const TABLE_BY_LOWER = new Map(STREAM_TABLES.map((t) => [t.toLowerCase(), t]));

/** DeviceNetworkEvents → insights-logs-advancedhunting-devicenetworkevents. */
export function containerOfTable(table: string): string {
	return `${CONTAINER_PREFIX}${table.toLowerCase()}`;
}

/** The table of a container (its canonical casing when known), or undefined for other containers. */
export function tableOfContainer(container: string): string | undefined {
	if (!container.startsWith(CONTAINER_PREFIX)) return undefined;
	const lower = container.slice(CONTAINER_PREFIX.length);
	return lower ? (TABLE_BY_LOWER.get(lower) ?? lower) : undefined;
}

export interface BlobCreated {
	eventId: string;
	container: string;
	blob: string;
	table?: string;
	blobType?: string;
	eventTime?: string;
	eTag?: string;
}

export type DecodedMessage =
	| { kind: 'blobCreated'; event: BlobCreated }
	| { kind: 'other'; eventType: string }
	| { kind: 'invalid'; reason: string };

/**
 * A queue message as Event Grid delivers it ("Storage queue as an event handler"): the event
 * (Event Grid or CloudEvents schema) as JSON, base64-encoded. Plain JSON is accepted too.
 */
export function decodeQueueMessage(text: string): DecodedMessage {
	const raw = text.trim();
	let json = raw;
	if (!raw.startsWith('{') && !raw.startsWith('[')) {
		json = Buffer.from(raw, 'base64').toString('utf8').trim();
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(json);
	} catch {
		return {
			kind: 'invalid',
			reason: 'The message is not base64-encoded JSON (an Event Grid event)',
		};
	}
	const event = (Array.isArray(parsed) ? parsed[0] : parsed) as IDataObject | undefined;
	if (!event || typeof event !== 'object')
		return { kind: 'invalid', reason: 'The message holds no event object' };
	const eventType = String(event.eventType ?? event.type ?? '');
	if (eventType !== 'Microsoft.Storage.BlobCreated')
		return { kind: 'other', eventType: eventType || '(none)' };
	// subject: /blobServices/default/containers/<container>/blobs/<path>
	const subject = String(event.subject ?? '');
	const m = /^\/?blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(subject);
	if (!m)
		return {
			kind: 'invalid',
			reason: `The Blob Created event has an unexpected subject "${subject.slice(0, 200)}"`,
		};
	const data = (event.data ?? {}) as IDataObject;
	return {
		kind: 'blobCreated',
		event: {
			eventId: String(event.id ?? ''),
			container: m[1],
			blob: m[2],
			table: tableOfContainer(m[1]),
			blobType: typeof data.blobType === 'string' ? data.blobType : undefined,
			eventTime: String(event.eventTime ?? event.time ?? '') || undefined,
			eTag: typeof data.eTag === 'string' ? data.eTag : undefined,
		},
	};
}

/** Encodes an event the way Event Grid puts it into a storage queue (tests, demo, bench). */
export function encodeQueueMessage(event: IDataObject): string {
	return Buffer.from(JSON.stringify(event), 'utf8').toString('base64');
}

/**
 * End of the hour a PT1H.json blob covers, from `y=YYYY/m=MM/d=DD/h=HH` in its path (Azure
 * Monitor's export layout, which the streaming API follows); undefined if the path has none.
 */
export function blobHourEnd(blobPath: string): number | undefined {
	const m = /y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/h=(\d{2})/.exec(blobPath);
	if (!m) return undefined;
	const start = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
	return Number.isFinite(start) ? start + 3600000 : undefined;
}

/**
 * Whether a blob will not grow any more. Block blobs are complete when created (Blob Created
 * fires after the commit). Append blobs receive records during their hour: complete once the
 * hour is over and nothing was appended for `quietMs`.
 */
export function isBlobComplete(p: {
	blobType?: string;
	blobPath: string;
	lastModifiedMs?: number;
	nowMs: number;
	quietMs: number;
}): boolean {
	if (p.blobType && p.blobType !== 'AppendBlob') return true;
	const quietSince =
		p.lastModifiedMs !== undefined && Number.isFinite(p.lastModifiedMs)
			? p.lastModifiedMs
			: p.nowMs;
	if (p.nowMs - quietSince < p.quietMs) return false;
	const hourEnd = blobHourEnd(p.blobPath);
	return hourEnd === undefined || p.nowMs >= hourEnd + p.quietMs;
}

/* ------------------------------------------------------------------ records */

export interface ParsedRecord {
	record?: IDataObject;
	error?: string;
}

/** One line of a PT1H.json blob: {time, tenantId, category, properties}. */
export function parseRecordLine(line: string): ParsedRecord {
	let value: unknown;
	try {
		value = JSON.parse(line);
	} catch (e) {
		return { error: `Not valid JSON (${(e as Error).message.slice(0, 120)})` };
	}
	if (!value || typeof value !== 'object' || Array.isArray(value))
		return { error: 'The line is not a JSON object' };
	return { record: value as IDataObject };
}

/** Table of a record: its category without the "AdvancedHunting-" prefix, else the container's. */
export function tableOfRecord(record: IDataObject, fallback?: string): string | undefined {
	const category = typeof record.category === 'string' ? record.category : '';
	const m = /^AdvancedHunting-(.+)$/i.exec(category);
	return m ? (TABLE_BY_LOWER.get(m[1].toLowerCase()) ?? m[1]) : fallback;
}

export interface PropertyCondition {
	name: string;
	value: string;
}

/** All conditions must hold: the property (dot path into `properties`) equals the value (case-insensitive). */
export function matchesProperties(record: IDataObject, conditions: PropertyCondition[]): boolean {
	if (!conditions.length) return true;
	const props = (record.properties ?? {}) as IDataObject;
	return conditions.every((c) => {
		let cur: unknown = props;
		for (const k of c.name.split('.'))
			cur = cur && typeof cur === 'object' ? (cur as IDataObject)[k] : undefined;
		if (cur === undefined || cur === null) return c.value === '';
		const s = typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
		return s.toLowerCase() === c.value.toLowerCase();
	});
}

/* ------------------------------------------------------------------ state */

export interface BlobCursor {
	/** Bytes consumed (emitted or skipped), always at a line boundary. */
	o: number;
	/** ETag of a block blob (a replaced block blob is read again from 0). */
	e?: string;
	/** 1 once the blob is complete and read to its end. */
	d?: 1;
	/** Last touched (ms). */
	t: number;
}

export interface StreamExportState {
	v: 1;
	blobs: Record<string, BlobCursor>;
	/** Messages whose records were all emitted: deleted at the start of the next poll. */
	deletes: Array<{ id: string; r: string }>;
	/** Deliberate re-deliveries per message (growing blob, poll budget), not failures. */
	deferred: Record<string, number>;
	/** Average records per announced blob and bytes per line seen so far (sizes receives and reads to the poll budget). */
	rpm?: number;
	lineBytes?: number;
}

export const STATE_LIMITS = {
	/** Finished blobs remembered to drop Event Grid's duplicate deliveries. */
	maxBlobs: 20000,
	keepDoneMs: 7 * 24 * 3600000,
	maxDeferred: 5000,
	maxDeletes: 5000,
};

export function emptyState(): StreamExportState {
	return { v: 1, blobs: {}, deletes: [], deferred: {} };
}

export function loadState(raw: unknown): StreamExportState {
	const s = raw as Partial<StreamExportState> | undefined;
	if (!s || s.v !== 1 || typeof s.blobs !== 'object') return emptyState();
	return {
		v: 1,
		blobs: { ...(s.blobs ?? {}) },
		deletes: Array.isArray(s.deletes) ? [...s.deletes] : [],
		deferred: { ...(s.deferred ?? {}) },
		...(typeof s.rpm === 'number' && s.rpm > 0 && { rpm: s.rpm }),
		...(typeof s.lineBytes === 'number' && s.lineBytes > 0 && { lineBytes: s.lineBytes }),
	};
}

/** Keeps the state bounded: finished blobs expire first, oldest first; in-progress blobs stay. */
export function pruneState(s: StreamExportState, nowMs: number): void {
	const entries = Object.entries(s.blobs);
	for (const [k, c] of entries) if (c.d && nowMs - c.t > STATE_LIMITS.keepDoneMs) delete s.blobs[k];
	const left = Object.entries(s.blobs);
	if (left.length > STATE_LIMITS.maxBlobs) {
		const done = left.filter(([, c]) => c.d).sort((a, b) => a[1].t - b[1].t);
		for (const [k] of done.slice(0, left.length - STATE_LIMITS.maxBlobs)) delete s.blobs[k];
	}
	const deferred = Object.keys(s.deferred);
	if (deferred.length > STATE_LIMITS.maxDeferred) {
		for (const k of deferred.slice(0, deferred.length - STATE_LIMITS.maxDeferred))
			delete s.deferred[k];
	}
	if (s.deletes.length > STATE_LIMITS.maxDeletes)
		s.deletes = s.deletes.slice(-STATE_LIMITS.maxDeletes);
}

export function blobKey(container: string, blob: string): string {
	return `${container}/${blob}`;
}
