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

export async function runStreamPoll(
	ctx: Ctx,
	conn: StorageConnection,
	state: StreamExportState,
	o: StreamOptions,
	now: () => number = Date.now,
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	const budget = new Budget(o.maxItems);
	/** Blobs read in this poll (a second message for one of them is a duplicate). */
	const handled = new Set<string>();
	const lineStats = { bytes: 0, lines: 0 };
	const blobStats: number[] = [];
	const qpath = `/${o.queue}/messages`;

	// 1. Messages whose records were emitted by an earlier poll.
	for (const d of state.deletes) {
		await storageRequest(ctx, conn, {
			service: 'queue',
			method: 'DELETE',
			path: `${qpath}/${encodeURIComponent(d.id)}`,
			query: { popreceipt: d.r },
			accept: [404],
			what: 'deleting a processed queue message',
		});
		delete state.deferred[d.id];
	}
	state.deletes = [];

	const updateVisibility = async (l: Leased, seconds: number): Promise<void> => {
		const res = await storageRequest(ctx, conn, {
			service: 'queue',
			method: 'PUT',
			path: `${qpath}/${encodeURIComponent(l.msg.id)}`,
			query: {
				popreceipt: l.msg.popReceipt,
				visibilitytimeout: String(Math.max(0, Math.floor(seconds))),
			},
			// The unchanged text: a request without a body gets a client-chosen Content-Type, which Shared Key signs.
			body: messageXml(l.msg.text),
			accept: [404],
			what: 'updating a queue message visibility',
		});
		const receipt = responseHeader(res, 'x-ms-popreceipt');
		if (receipt) l.msg.popReceipt = receipt;
		l.leasedAt = now();
	};
	const defer = async (l: Leased, seconds: number): Promise<void> => {
		await updateVisibility(l, seconds);
		state.deferred[l.msg.id] = (state.deferred[l.msg.id] ?? 0) + 1;
	};
	const extendLease = async (l: Leased): Promise<void> => {
		if (now() - l.leasedAt > (o.leaseSec * 1000) / 2) await updateVisibility(l, o.leaseSec);
	};
	const errorItem = (json: IDataObject): void => {
		if (!o.emitErrors) return;
		items.push({ json });
		budget.used++;
	};

	const poison = async (l: Leased, reason: string, event?: BlobCreated): Promise<void> => {
		const text = l.msg.text;
		let moved = !o.poisonQueue;
		let moveProblem = '';
		if (o.poisonQueue) {
			const put = () =>
				storageRequest(ctx, conn, {
					service: 'queue',
					method: 'POST',
					path: `/${o.poisonQueue}/messages`,
					body: messageXml(text),
					accept: [404],
					what: `moving a poison message to the queue ${o.poisonQueue}`,
				});
			try {
				// Not created here: creating queues needs more than the Message Sender role.
				const res = await put();
				moved = res.status < 300;
				if (!moved)
					moveProblem = `the queue ${o.poisonQueue} does not exist; create it next to ${o.queue}`;
			} catch (e) {
				moveProblem = (e as Error).message;
			}
		}
		errorItem({
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
		if (moved) {
			await storageRequest(ctx, conn, {
				service: 'queue',
				method: 'DELETE',
				path: `${qpath}/${encodeURIComponent(l.msg.id)}`,
				query: { popreceipt: l.msg.popReceipt },
				accept: [404],
				what: 'deleting a poison message',
			});
			delete state.deferred[l.msg.id];
		} else {
			await defer(l, 24 * 3600);
		}
	};

	/** Reads the blob from its offset; returns whether its message may be deleted. */
	const readBlob = async (l: Leased, ev: BlobCreated): Promise<'done' | 'more' | 'budget'> => {
		const path = encodeBlobPath(ev.container, ev.blob);
		const head = async () =>
			storageRequest(ctx, conn, {
				service: 'blob',
				method: 'HEAD',
				path,
				accept: [404],
				what: `reading the properties of blob ${ev.container}/${ev.blob}`,
			});
		const props = await head();
		if (props.status === 404) {
			errorItem({
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
		const length = Number(responseHeader(props, 'content-length') ?? 0);
		const blobType = responseHeader(props, 'x-ms-blob-type') ?? ev.blobType;
		const etag = responseHeader(props, 'etag');
		const lastModified = Date.parse(responseHeader(props, 'last-modified') ?? '');
		const key = blobKey(ev.container, ev.blob);
		const cursor: BlobCursor = state.blobs[key] ?? { o: 0, t: now() };
		if (blobType === 'BlockBlob' && cursor.e && etag && cursor.e !== etag) {
			// A replaced block blob is new content.
			cursor.o = 0;
			delete cursor.d;
		}
		if (blobType === 'BlockBlob' && etag) cursor.e = etag;
		state.blobs[key] = cursor;
		const complete = isBlobComplete({
			blobType,
			blobPath: ev.blob,
			lastModifiedMs: lastModified,
			nowMs: now(),
			quietMs: o.quietMs,
		});

		let committed = cursor.o;
		let pos = cursor.o;
		let carry: Buffer = Buffer.alloc(0);
		let skipping = false;
		let group: IDataObject[] | undefined;
		const groupFrom = committed;
		const flushGroup = () => {
			if (group && group.length) {
				items.push({
					json: {
						table: ev.table,
						container: ev.container,
						blob: ev.blob,
						fromOffset: groupFrom,
						toOffset: committed,
						recordCount: group.length,
						records: group,
					},
				});
			}
			group = undefined;
		};
		const handleLine = (line: Buffer, at: number) => {
			lineStats.bytes += line.length + 1;
			lineStats.lines++;
			let end = line.length;
			if (end && line[end - 1] === 13) end--;
			const text = line.toString('utf8', 0, end);
			if (!text.trim()) return;
			const parsed = parseRecordLine(text);
			if (!parsed.record) {
				errorItem({
					error: {
						kind: 'malformedLine',
						message: `Line at byte ${at} of blob ${ev.container}/${ev.blob}: ${parsed.error}`,
						container: ev.container,
						blob: ev.blob,
						table: ev.table,
						offset: at,
						preview: text.slice(0, 500),
					},
				});
				return;
			}
			const r = parsed.record;
			const table = tableOfRecord(r, ev.table);
			if (o.tables.length && !o.tables.includes(String(table).toLowerCase())) return;
			if (!matchesProperties(r, o.conditions)) return;
			const json: IDataObject = {
				table,
				category: r.category,
				time: r.time,
				tenantId: r.tenantId,
				properties: r.properties,
			};
			if (o.output === 'blob') {
				(group ??= []).push(json);
			} else {
				json.source = { container: ev.container, blob: ev.blob, offset: at };
				items.push({ json });
			}
			budget.used++;
		};

		let stoppedByBudget = false;
		try {
			outer: while (pos < length) {
				if (!budget.left) {
					stoppedByBudget = true;
					break;
				}
				await extendLease(l);
				// No more than the budget needs (estimated from the line size), so little is read twice.
				const need = state.lineBytes
					? Math.ceil((budget.max - budget.used) * state.lineBytes * 1.2) + 65536
					: o.chunkBytes;
				const end = Math.min(length, pos + Math.min(o.chunkBytes, Math.max(need, 65536))) - 1;
				const res = await storageRequest(ctx, conn, {
					service: 'blob',
					method: 'GET',
					path,
					headers: { 'x-ms-range': `bytes=${pos}-${end}` },
					accept: [416],
					what: `reading blob ${ev.container}/${ev.blob}`,
				});
				if (res.status === 416 || res.body.length === 0) break;
				const chunkStart = pos - carry.length;
				const data = carry.length ? Buffer.concat([carry, res.body]) : res.body;
				pos += res.body.length;
				let idx = 0;
				for (;;) {
					const nl = data.indexOf(10, idx);
					if (nl < 0) break;
					if (skipping) {
						skipping = false;
					} else {
						handleLine(data.subarray(idx, nl), chunkStart + idx);
					}
					idx = nl + 1;
					committed = chunkStart + idx;
					if (!budget.left) {
						stoppedByBudget = true;
						carry = Buffer.alloc(0);
						break outer;
					}
				}
				carry = Buffer.from(data.subarray(idx));
				if (carry.length > o.maxLineBytes && !skipping) {
					errorItem({
						error: {
							kind: 'lineTooLong',
							message: `A line at byte ${chunkStart + idx} of blob ${ev.container}/${ev.blob} is longer than ${o.maxLineBytes} bytes; it was skipped`,
							container: ev.container,
							blob: ev.blob,
							offset: chunkStart + idx,
						},
					});
					skipping = true;
				}
				if (skipping) {
					carry = Buffer.alloc(0);
					committed = pos;
				}
			}
			// A last line without a newline is a record once the blob is complete (never while it may grow).
			if (!stoppedByBudget && pos >= length && carry.length && complete && budget.left) {
				if (!skipping) handleLine(carry, pos - carry.length);
				committed = pos;
				carry = Buffer.alloc(0);
			}
			if (skipping && complete && pos >= length) committed = pos;
		} finally {
			// Also after a failed read: the items pushed so far are emitted with this poll.
			cursor.o = committed;
			cursor.t = now();
			flushGroup();
		}
		if (stoppedByBudget) return 'budget';
		if (complete && committed >= length) {
			// Confirm nothing was appended while reading.
			const again = await head();
			const grown =
				again.status !== 404 && Number(responseHeader(again, 'content-length') ?? 0) > length;
			if (!grown) {
				cursor.d = 1;
				return 'done';
			}
		}
		return 'more';
	};

	const processMessage = async (l: Leased): Promise<void> => {
		const decoded = decodeQueueMessage(l.msg.text);
		if (decoded.kind === 'invalid') {
			await poison(l, decoded.reason);
			return;
		}
		if (decoded.kind === 'other') {
			ctx.logger?.debug?.(
				`Microsoft Defender Stream: ignoring ${decoded.eventType} message ${l.msg.id}`,
			);
			state.deletes.push({ id: l.msg.id, r: l.msg.popReceipt });
			return;
		}
		const ev = decoded.event;
		if (!ev.table || (o.tables.length && !o.tables.includes(ev.table.toLowerCase()))) {
			state.deletes.push({ id: l.msg.id, r: l.msg.popReceipt });
			return;
		}
		const key = blobKey(ev.container, ev.blob);
		if (handled.has(key)) {
			// Another message of this poll carries the blob (Event Grid may deliver an event twice).
			state.deletes.push({ id: l.msg.id, r: l.msg.popReceipt });
			return;
		}
		const cursor = state.blobs[key];
		if (
			cursor?.d &&
			!(ev.blobType === 'BlockBlob' && ev.eTag && cursor.e && ev.eTag !== cursor.e)
		) {
			state.deletes.push({ id: l.msg.id, r: l.msg.popReceipt });
			return;
		}
		const failures = l.msg.dequeueCount - (state.deferred[l.msg.id] ?? 0);
		if (failures > o.maxAttempts) {
			await poison(l, `delivered ${failures} times without success`, ev);
			return;
		}
		handled.add(key);
		const before = budget.used;
		const outcome = await readBlob(l, ev);
		if (outcome === 'done' && state.blobs[key]?.o) blobStats.push(budget.used - before);
		if (outcome === 'done') state.deletes.push({ id: l.msg.id, r: l.msg.popReceipt });
		else if (outcome === 'budget') await defer(l, 0);
		else await defer(l, o.recheckSec);
	};

	let firstFailure: unknown;
	let authFailure: NodeApiError | undefined;
	for (let batch = 0; batch < MAX_BATCHES && budget.left; batch++) {
		const requested = state.rpm
			? Math.max(1, Math.min(32, Math.ceil((budget.max - budget.used) / state.rpm)))
			: 32;
		let received;
		let receiveFailure: NodeApiError | undefined;
		try {
			received = await storageRequest(ctx, conn, {
				service: 'queue',
				method: 'GET',
				path: qpath,
				// Only about as many messages as the budget can take (the rest would be handed back unread).
				query: {
					numofmessages: String(requested),
					visibilitytimeout: String(o.leaseSec),
				},
				what: `receiving messages from the queue ${o.queue}`,
			});
		} catch (e) {
			// Emit what was read; the queue is asked again on the next poll.
			if (items.length && !isAuthFailure(e)) break;
			receiveFailure = e as NodeApiError;
		}
		if (receiveFailure || !received) throw receiveFailure;
		const messages = parseQueueMessages(received.body.toString('utf8'));
		if (!messages.length) break;
		const leasedAt = now();
		for (const msg of messages) {
			const l: Leased = { msg, leasedAt };
			if (!budget.left) {
				// Not started: hand it back at once (not counted as a failed delivery).
				await defer(l, 0);
				continue;
			}
			try {
				await processMessage(l);
			} catch (e) {
				if (isAuthFailure(e)) {
					// Every message would fail the same way: stop and show it.
					authFailure = e as NodeApiError;
					break;
				}
				// Left as is: visible again when its lease ends, then retried (and counted).
				firstFailure ??= e;
				ctx.logger?.warn?.(
					`Microsoft Defender Stream: message ${msg.id} failed and will be retried: ${(e as Error).message}`,
				);
			}
		}
		if (authFailure) throw authFailure;
		if (messages.length < requested) break;
	}
	if (firstFailure && items.length === 0) {
		// Every message failed: show the first reason (nothing was emitted, the state is unchanged).
		if (firstFailure instanceof NodeApiError) throw firstFailure;
		throw new NodeApiError(ctx.getNode(), {
			message: String((firstFailure as Error)?.message ?? firstFailure),
		} as JsonObject);
	}
	if (lineStats.lines) state.lineBytes = Math.round(lineStats.bytes / lineStats.lines);
	if (blobStats.length) {
		const avg = blobStats.reduce((a, b) => a + b, 0) / blobStats.length;
		state.rpm = Math.max(1, Math.round(state.rpm ? state.rpm * 0.5 + avg * 0.5 : avg));
	}
	pruneState(state, now());
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
