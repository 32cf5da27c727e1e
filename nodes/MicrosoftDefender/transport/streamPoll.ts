/**
 * One poll of the streaming-export trigger: queue messages (Event Grid Blob Created) → blobs
 * read in ranges → items. Delivery contract (see docs/streaming-export.md):
 *  - "emitted" = poll() returned the items and n8n stored the trigger state with them (n8n saves
 *    a polling trigger's static data when it emits). The state holds per-blob byte offsets, so
 *    the next poll starts after the last emitted line; a poll that throws changes nothing.
 *  - A message is deleted at the start of the poll AFTER the one that emitted its blob's last
 *    records (its receipt is kept in the state), never before.
 *  - A message redelivered before that (lease expired, Event Grid duplicate) re-reads nothing:
 *    the blob's offset says what was emitted.
 */
import type { IDataObject, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import {
	blobKey,
	decodeQueueMessage,
	escapeXml,
	isBlobComplete,
	matchesProperties,
	parseQueueMessages,
	parseRecordLine,
	pruneState,
	tableOfRecord,
	type BlobCreated,
	type BlobCursor,
	type PropertyCondition,
	type QueueMessage,
	type StreamExportState,
} from '../helpers/streamExport';
import {
	encodeBlobPath,
	responseHeader,
	storageRequest,
	type StorageConnection,
	type StorageContext,
	type StorageRequest,
	type StorageResponse,
} from './storage';

export interface StreamOptions {
	queue: string;
	/** Lower-case table names; empty = every table. */
	tables: string[];
	conditions: PropertyCondition[];
	output: 'record' | 'blob';
	/** Items per poll (records and error items); the rest follows on the next polls. */
	maxItems: number;
	leaseSec: number;
	recheckSec: number;
	quietMs: number;
	maxAttempts: number;
	/** Empty: poison messages are deleted after being reported. */
	poisonQueue: string;
	chunkBytes: number;
	emitErrors: boolean;
	/** Longest line kept in memory; longer lines become error items. */
	maxLineBytes: number;
}

type Ctx = StorageContext;

const MAX_BATCHES = 20;

function messageXml(text: string): string {
	return `<QueueMessage><MessageText>${escapeXml(text)}</MessageText></QueueMessage>`;
}

function isAuthFailure(e: unknown): boolean {
	const code = (e as NodeApiError)?.httpCode;
	return e instanceof NodeApiError && (code === '401' || code === '403');
}

class Budget {
	used = 0;
	constructor(public max: number) {}
	get left(): boolean {
		return this.used < this.max;
	}
}

interface Leased {
	msg: QueueMessage;
	leasedAt: number;
}

/** What a poll collects: items, the item budget, and the figures that size the next poll. */
class PollOutput {
	readonly items: INodeExecutionData[] = [];
	readonly budget: Budget;
	readonly lineStats = { bytes: 0, lines: 0 };
	/** Records per completed blob (sizes the next receive). */
	readonly blobStats: number[] = [];

	constructor(
		private readonly o: StreamOptions,
		max: number,
	) {
		this.budget = new Budget(max);
	}

	errorItem(json: IDataObject): void {
		if (!this.o.emitErrors) return;
		this.items.push({ json });
		this.budget.used++;
	}
}

/**
 * One blob read from its offset in ranges, split into lines. `committed` is the offset after the
 * last line handled; `carry` the start of a line whose newline has not been read yet.
 */
class BlobRead {
	committed: number;
	pos: number;
	carry: Buffer = Buffer.alloc(0);
	skipping = false;
	stoppedByBudget = false;
	private group: IDataObject[] | undefined;
	private readonly groupFrom: number;

	constructor(
		private readonly out: PollOutput,
		private readonly o: StreamOptions,
		private readonly ev: BlobCreated,
		from: number,
	) {
		this.committed = from;
		this.pos = from;
		this.groupFrom = from;
	}

	flushGroup(): void {
		const ev = this.ev;
		if (this.group && this.group.length) {
			this.out.items.push({
				json: {
					table: ev.table,
					container: ev.container,
					blob: ev.blob,
					fromOffset: this.groupFrom,
					toOffset: this.committed,
					recordCount: this.group.length,
					records: this.group,
				},
			});
		}
		this.group = undefined;
	}

	private malformed(at: number, text: string, error: string | undefined): void {
		const ev = this.ev;
		this.out.errorItem({
			error: {
				kind: 'malformedLine',
				message: `Line at byte ${at} of blob ${ev.container}/${ev.blob}: ${error}`,
				container: ev.container,
				blob: ev.blob,
				table: ev.table,
				offset: at,
				preview: text.slice(0, 500),
			},
		});
	}

	handleLine(line: Buffer, at: number): void {
		const { ev, o, out } = this;
		out.lineStats.bytes += line.length + 1;
		out.lineStats.lines++;
		let end = line.length;
		if (end && line[end - 1] === 13) end--;
		const text = line.toString('utf8', 0, end);
		if (!text.trim()) return;
		const parsed = parseRecordLine(text);
		if (!parsed.record) return this.malformed(at, text, parsed.error);
		const r = parsed.record;
		const table = tableOfRecord(r, ev.table);
		if (o.tables.length && !o.tables.includes(String(table).toLowerCase())) return;
		if (!matchesProperties(r, o.conditions)) return;
		const json: IDataObject = { table, category: r.category, time: r.time, tenantId: r.tenantId, properties: r.properties };
		if (o.output === 'blob') {
			(this.group ??= []).push(json);
		} else {
			json.source = { container: ev.container, blob: ev.blob, offset: at };
			out.items.push({ json });
		}
		out.budget.used++;
	}

	/** Handles the complete lines of a range; false when the budget ran out in it. */
	takeRange(body: Buffer): boolean {
		const chunkStart = this.pos - this.carry.length;
		const data = this.carry.length ? Buffer.concat([this.carry, body]) : body;
		this.pos += body.length;
		let idx = 0;
		for (;;) {
			const nl = data.indexOf(10, idx);
			if (nl < 0) break;
			if (this.skipping) this.skipping = false;
			else this.handleLine(data.subarray(idx, nl), chunkStart + idx);
			idx = nl + 1;
			this.committed = chunkStart + idx;
			if (!this.out.budget.left) {
				this.stoppedByBudget = true;
				this.carry = Buffer.alloc(0);
				return false;
			}
		}
		this.carry = Buffer.from(data.subarray(idx));
		this.skipOverlongLine(chunkStart + idx);
		return true;
	}

	private skipOverlongLine(at: number): void {
		const ev = this.ev;
		if (this.carry.length > this.o.maxLineBytes && !this.skipping) {
			this.out.errorItem({
				error: {
					kind: 'lineTooLong',
					message: `A line at byte ${at} of blob ${ev.container}/${ev.blob} is longer than ${this.o.maxLineBytes} bytes; it was skipped`,
					container: ev.container,
					blob: ev.blob,
					offset: at,
				},
			});
			this.skipping = true;
		}
		if (this.skipping) {
			this.carry = Buffer.alloc(0);
			this.committed = this.pos;
		}
	}

	/** After the last range: a last line without a newline is a record once the blob is complete (never while it may grow). */
	finish(length: number, complete: boolean): void {
		if (!this.stoppedByBudget && this.pos >= length && this.carry.length && complete && this.out.budget.left) {
			if (!this.skipping) this.handleLine(this.carry, this.pos - this.carry.length);
			this.committed = this.pos;
			this.carry = Buffer.alloc(0);
		}
		if (this.skipping && complete && this.pos >= length) this.committed = this.pos;
	}
}

/** One poll; see runStreamPoll. */
class StreamPoll {
	readonly out: PollOutput;
	/** Blobs read in this poll (a second message for one of them is a duplicate). */
	private readonly handled = new Set<string>();
	private readonly qpath: string;

	constructor(
		private readonly ctx: Ctx,
		private readonly conn: StorageConnection,
		private readonly state: StreamExportState,
		private readonly o: StreamOptions,
		private readonly now: () => number,
	) {
		this.out = new PollOutput(o, o.maxItems);
		this.qpath = `/${o.queue}/messages`;
	}

	private async request(req: StorageRequest): Promise<StorageResponse> {
		return await storageRequest(this.ctx, this.conn, req);
	}

	/** 1. Messages whose records were emitted by an earlier poll. */
	async deleteEmitted(): Promise<void> {
		for (const d of this.state.deletes) {
			await this.request({
				service: 'queue',
				method: 'DELETE',
				path: `${this.qpath}/${encodeURIComponent(d.id)}`,
				query: { popreceipt: d.r },
				accept: [404],
				what: 'deleting a processed queue message',
			});
			delete this.state.deferred[d.id];
		}
		this.state.deletes = [];
	}

	private async updateVisibility(l: Leased, seconds: number): Promise<void> {
		const res = await this.request({
			service: 'queue',
			method: 'PUT',
			path: `${this.qpath}/${encodeURIComponent(l.msg.id)}`,
			query: { popreceipt: l.msg.popReceipt, visibilitytimeout: String(Math.max(0, Math.floor(seconds))) },
			// The unchanged text: a request without a body gets a client-chosen Content-Type, which Shared Key signs.
			body: messageXml(l.msg.text),
			accept: [404],
			what: 'updating a queue message visibility',
		});
		const receipt = responseHeader(res, 'x-ms-popreceipt');
		if (receipt) l.msg.popReceipt = receipt;
		l.leasedAt = this.now();
	}

	async defer(l: Leased, seconds: number): Promise<void> {
		await this.updateVisibility(l, seconds);
		this.state.deferred[l.msg.id] = (this.state.deferred[l.msg.id] ?? 0) + 1;
	}

	private async extendLease(l: Leased): Promise<void> {
		if (this.now() - l.leasedAt > (this.o.leaseSec * 1000) / 2) await this.updateVisibility(l, this.o.leaseSec);
	}

	/** Moves the message to the poison queue (not created here: that needs more than the Message Sender role); '' when moved. */
	private async moveAside(text: string): Promise<string> {
		const o = this.o;
		try {
			const res = await this.request({
				service: 'queue',
				method: 'POST',
				path: `/${o.poisonQueue}/messages`,
				body: messageXml(text),
				accept: [404],
				what: `moving a poison message to the queue ${o.poisonQueue}`,
			});
			return res.status < 300 ? '' : `the queue ${o.poisonQueue} does not exist; create it next to ${o.queue}`;
		} catch (e) {
			return (e as Error).message || 'failed';
		}
	}

	private async poison(l: Leased, reason: string, event?: BlobCreated): Promise<void> {
		const o = this.o;
		const text = l.msg.text;
		const moveProblem = o.poisonQueue ? await this.moveAside(text) : '';
		const moved = !moveProblem;
		this.out.errorItem({
			error: {
				kind: 'poisonMessage',
				message: moved
					? `Queue message ${l.msg.id} could not be processed (${reason}); ${o.poisonQueue ? `moved to the queue ${o.poisonQueue}` : 'deleted'}`
					: `Queue message ${l.msg.id} could not be processed (${reason}) and could not be moved aside (${moveProblem}); it stays hidden for 24 hours`,
				messageId: l.msg.id,
				dequeueCount: l.msg.dequeueCount,
				...(event && { container: event.container, blob: event.blob, table: event.table }),
				messageText: text.length > 8192 ? `${text.slice(0, 8192)}…` : text,
			},
		});
		if (!moved) return await this.defer(l, 24 * 3600);
		await this.request({
			service: 'queue',
			method: 'DELETE',
			path: `${this.qpath}/${encodeURIComponent(l.msg.id)}`,
			query: { popreceipt: l.msg.popReceipt },
			accept: [404],
			what: 'deleting a poison message',
		});
		delete this.state.deferred[l.msg.id];
	}

	private async head(ev: BlobCreated): Promise<StorageResponse> {
		return await this.request({
			service: 'blob',
			method: 'HEAD',
			path: encodeBlobPath(ev.container, ev.blob),
			accept: [404],
			what: `reading the properties of blob ${ev.container}/${ev.blob}`,
		});
	}

	private blobGone(l: Leased, ev: BlobCreated): 'done' {
		this.out.errorItem({
			error: {
				kind: 'blobNotFound',
				message: `Blob ${ev.container}/${ev.blob} no longer exists (deleted by a retention policy or by hand); its records cannot be read`,
				container: ev.container,
				blob: ev.blob,
				table: ev.table,
				messageId: l.msg.id,
			},
		});
		return 'done';
	}

	/** The blob's cursor (reset when a block blob was replaced) and whether the blob is complete. */
	private cursorOf(ev: BlobCreated, props: StorageResponse): { cursor: BlobCursor; complete: boolean } {
		const blobType = responseHeader(props, 'x-ms-blob-type') ?? ev.blobType;
		const etag = responseHeader(props, 'etag');
		const key = blobKey(ev.container, ev.blob);
		const cursor: BlobCursor = this.state.blobs[key] ?? { o: 0, t: this.now() };
		if (blobType === 'BlockBlob' && cursor.e && etag && cursor.e !== etag) {
			// A replaced block blob is new content.
			cursor.o = 0;
			delete cursor.d;
		}
		if (blobType === 'BlockBlob' && etag) cursor.e = etag;
		this.state.blobs[key] = cursor;
		const complete = isBlobComplete({
			blobType,
			blobPath: ev.blob,
			lastModifiedMs: Date.parse(responseHeader(props, 'last-modified') ?? ''),
			nowMs: this.now(),
			quietMs: this.o.quietMs,
		});
		return { cursor, complete };
	}

	/** Reads ranges from the cursor until the end of the blob or of the budget. */
	private async readRanges(l: Leased, ev: BlobCreated, read: BlobRead, length: number): Promise<void> {
		const { o, state, out } = this;
		while (read.pos < length) {
			if (!out.budget.left) {
				read.stoppedByBudget = true;
				return;
			}
			await this.extendLease(l);
			// No more than the budget needs (estimated from the line size), so little is read twice.
			const need = state.lineBytes ? Math.ceil((out.budget.max - out.budget.used) * state.lineBytes * 1.2) + 65536 : o.chunkBytes;
			const end = Math.min(length, read.pos + Math.min(o.chunkBytes, Math.max(need, 65536))) - 1;
			const res = await this.request({
				service: 'blob',
				method: 'GET',
				path: encodeBlobPath(ev.container, ev.blob),
				headers: { 'x-ms-range': `bytes=${read.pos}-${end}` },
				accept: [416],
				what: `reading blob ${ev.container}/${ev.blob}`,
			});
			if (res.status === 416 || res.body.length === 0) return;
			if (!read.takeRange(res.body)) return;
		}
	}

	/** Reads the blob from its offset; says whether its message may be deleted. */
	private async readBlob(l: Leased, ev: BlobCreated): Promise<'done' | 'more' | 'budget'> {
		const props = await this.head(ev);
		if (props.status === 404) return this.blobGone(l, ev);
		const length = Number(responseHeader(props, 'content-length') ?? 0);
		const { cursor, complete } = this.cursorOf(ev, props);
		const read = new BlobRead(this.out, this.o, ev, cursor.o);
		try {
			await this.readRanges(l, ev, read, length);
			read.finish(length, complete);
		} finally {
			// Also after a failed read: the items pushed so far are emitted with this poll.
			cursor.o = read.committed;
			cursor.t = this.now();
			read.flushGroup();
		}
		if (read.stoppedByBudget) return 'budget';
		if (complete && read.committed >= length) {
			// Confirm nothing was appended while reading.
			const again = await this.head(ev);
			const grown = again.status !== 404 && Number(responseHeader(again, 'content-length') ?? 0) > length;
			if (!grown) {
				cursor.d = 1;
				return 'done';
			}
		}
		return 'more';
	}

	private deleteLater(l: Leased): void {
		this.state.deletes.push({ id: l.msg.id, r: l.msg.popReceipt });
	}

	/** Whether the message needs no reading: not a matching Blob Created event, a duplicate, or a blob already done. */
	private alreadySettled(l: Leased, ev: BlobCreated): boolean {
		const o = this.o;
		if (!ev.table || (o.tables.length && !o.tables.includes(ev.table.toLowerCase()))) return true;
		const key = blobKey(ev.container, ev.blob);
		// Another message of this poll carries the blob (Event Grid may deliver an event twice).
		if (this.handled.has(key)) return true;
		const cursor = this.state.blobs[key];
		return !!cursor?.d && !(ev.blobType === 'BlockBlob' && ev.eTag && cursor.e && ev.eTag !== cursor.e);
	}

	async processMessage(l: Leased): Promise<void> {
		const decoded = decodeQueueMessage(l.msg.text);
		if (decoded.kind === 'invalid') return await this.poison(l, decoded.reason);
		if (decoded.kind === 'other') {
			this.ctx.logger?.debug?.(`Microsoft Defender Stream: ignoring ${decoded.eventType} message ${l.msg.id}`);
			return this.deleteLater(l);
		}
		const ev = decoded.event;
		if (this.alreadySettled(l, ev)) return this.deleteLater(l);
		const failures = l.msg.dequeueCount - (this.state.deferred[l.msg.id] ?? 0);
		if (failures > this.o.maxAttempts) return await this.poison(l, `delivered ${failures} times without success`, ev);
		const key = blobKey(ev.container, ev.blob);
		this.handled.add(key);
		const before = this.out.budget.used;
		const outcome = await this.readBlob(l, ev);
		if (outcome === 'done' && this.state.blobs[key]?.o) this.out.blobStats.push(this.out.budget.used - before);
		if (outcome === 'done') this.deleteLater(l);
		else if (outcome === 'budget') await this.defer(l, 0);
		else await this.defer(l, this.o.recheckSec);
	}

	/** Receives up to `requested` messages; undefined when the poll should stop with what it has. */
	async receive(requested: number): Promise<QueueMessage[] | undefined> {
		let received: StorageResponse | undefined;
		let receiveFailure: NodeApiError | undefined;
		try {
			received = await this.request({
				service: 'queue',
				method: 'GET',
				path: this.qpath,
				// Only about as many messages as the budget can take (the rest would be handed back unread).
				query: { numofmessages: String(requested), visibilitytimeout: String(this.o.leaseSec) },
				what: `receiving messages from the queue ${this.o.queue}`,
			});
		} catch (e) {
			// Emit what was read; the queue is asked again on the next poll.
			if (this.out.items.length && !isAuthFailure(e)) return undefined;
			receiveFailure = e as NodeApiError;
		}
		if (receiveFailure || !received) throw receiveFailure;
		return parseQueueMessages(received.body.toString('utf8'));
	}

	/** Sizes the next poll from this one and prunes the state. */
	finish(): void {
		const { state, out } = this;
		if (out.lineStats.lines) state.lineBytes = Math.round(out.lineStats.bytes / out.lineStats.lines);
		if (out.blobStats.length) {
			const avg = out.blobStats.reduce((a, b) => a + b, 0) / out.blobStats.length;
			state.rpm = Math.max(1, Math.round(state.rpm ? state.rpm * 0.5 + avg * 0.5 : avg));
		}
		pruneState(state, this.now());
	}
}

/** Processes one received batch; the first failure of a message (others are retried later), or an auth failure thrown. */
async function processBatch(poll: StreamPoll, ctx: Ctx, messages: QueueMessage[], leasedAt: number): Promise<{ auth?: unknown; first?: unknown } | undefined> {
	let firstFailure: unknown;
	for (const msg of messages) {
		const l: Leased = { msg, leasedAt };
		if (!poll.out.budget.left) {
			// Not started: hand it back at once (not counted as a failed delivery).
			await poll.defer(l, 0);
			continue;
		}
		try {
			await poll.processMessage(l);
		} catch (e) {
			// Every message would fail the same way: stop and show it.
			if (isAuthFailure(e)) return { auth: e };
			// Left as is: visible again when its lease ends, then retried (and counted).
			firstFailure ??= e;
			ctx.logger?.warn?.(`Microsoft Defender Stream: message ${msg.id} failed and will be retried: ${(e as Error).message}`);
		}
	}
	return firstFailure === undefined ? undefined : { first: firstFailure };
}

export async function runStreamPoll(
	ctx: Ctx,
	conn: StorageConnection,
	state: StreamExportState,
	o: StreamOptions,
	now: () => number = Date.now,
): Promise<INodeExecutionData[]> {
	const poll = new StreamPoll(ctx, conn, state, o, now);
	const { budget, items } = poll.out;
	await poll.deleteEmitted();
	let firstFailure: unknown;
	for (let batch = 0; batch < MAX_BATCHES && budget.left; batch++) {
		const requested = state.rpm ? Math.max(1, Math.min(32, Math.ceil((budget.max - budget.used) / state.rpm))) : 32;
		const messages = await poll.receive(requested);
		if (!messages || !messages.length) break;
		const failed = await processBatch(poll, ctx, messages, now());
		if (failed?.auth) throw failed.auth as NodeApiError;
		if (failed?.first !== undefined) firstFailure ??= failed.first;
		if (messages.length < requested) break;
	}
	if (firstFailure && items.length === 0) {
		// Every message failed: show the first reason (nothing was emitted, the state is unchanged).
		if (firstFailure instanceof NodeApiError) throw firstFailure;
		throw new NodeApiError(ctx.getNode(), { message: String((firstFailure as Error)?.message ?? firstFailure) } as JsonObject);
	}
	poll.finish();
	return items;
}

/** "Fetch Test Event": the first matching record of the first blob announced in the queue (nothing changes). */
export async function peekStreamRecord(
	ctx: Ctx,
	conn: StorageConnection,
	o: StreamOptions,
): Promise<INodeExecutionData[]> {
	const res = await storageRequest(ctx, conn, {
		service: 'queue',
		method: 'GET',
		path: `/${o.queue}/messages`,
		query: { peekonly: 'true', numofmessages: '32' },
		what: `peeking at the queue ${o.queue}`,
	});
	for (const msg of parseQueueMessages(res.body.toString('utf8'))) {
		const d = decodeQueueMessage(msg.text);
		if (d.kind !== 'blobCreated' || !d.event.table) continue;
		if (o.tables.length && !o.tables.includes(d.event.table.toLowerCase())) continue;
		const blob = await storageRequest(ctx, conn, {
			service: 'blob',
			method: 'GET',
			path: encodeBlobPath(d.event.container, d.event.blob),
			headers: { 'x-ms-range': `bytes=0-${o.chunkBytes - 1}` },
			accept: [404, 416],
			what: `reading blob ${d.event.container}/${d.event.blob}`,
		});
		if (blob.status >= 300) continue;
		const text = blob.body.toString('utf8');
		for (const line of text.split('\n').slice(0, -1)) {
			const p = parseRecordLine(line.replace(/\r$/, ''));
			if (!p.record || !matchesProperties(p.record, o.conditions)) continue;
			const r = p.record;
			return [
				{
					json: {
						table: tableOfRecord(r, d.event.table),
						category: r.category,
						time: r.time,
						tenantId: r.tenantId,
						properties: r.properties,
						source: { container: d.event.container, blob: d.event.blob, offset: 0 },
					},
				},
			];
		}
	}
	return [];
}
