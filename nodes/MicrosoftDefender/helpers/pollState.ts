import type { IDataObject } from 'n8n-workflow';

import { canonicalTimestamp, maxTimestamp, subtractSeconds, timestampFromMs } from './pollTime';

/**
 * Pure state logic of the polling trigger: cursor, dedupe set, "new vs updated" and time-boundary
 * paging. No HTTP here: the caller passes a `fetchPage` function, so the whole cycle can be unit
 * tested against an in-memory list and driven against the emulator by the node.
 *
 * Model
 * - `watermark` (W): the newest `lastUpdateDateTime` processed, taken from the data (never the
 *   wall clock, except the first anchor on activation).
 * - Late arrivals: a record may become visible after records with newer timestamps. The overlap
 *   window assumes every record with timestamp T is visible by the time W has moved past
 *   T + overlap.
 * - `seenFrom` (S, the "swept" cursor): every pair with a timestamp below S has been read after
 *   its region left the overlap window, so nothing below S can still arrive. `seen` holds every
 *   processed (id, lastUpdate) pair with lastUpdate ≥ S: a pair in `seen` is a repeat; a new pair
 *   for a known ID is an update.
 * - Each poll does two time-boundary scans, oldest first:
 *   1. sweep `[S, L)` with `L = W − overlap` (rounded down to a second): the slice that leaves the
 *      window now, read one last time for late arrivals;
 *   2. fresh `≥ X`: new changes. X is L when the window holds at most half a page of records
 *      (quiet tenants: late arrivals are picked up on the next poll); otherwise X starts at the
 *      newest half page of records seen, and late arrivals further back are picked up by the
 *      sweep when their slice leaves the window. So the number of requests follows the number
 *      of new events, not the history and not how many records the overlap window holds.
 * - Pages follow the time boundary: the next page asks for `ge <last timestamp of the page>` and
 *   the repeats at that timestamp are dropped by `seen`. When a whole page shares one timestamp,
 *   the next request keeps the timestamp and adds `$skip`.
 * - Nothing is written unless the whole poll succeeded: the cycle returns a new state object and
 *   the caller stores it only after emitting.
 */

export const POLL_STATE_VERSION = 1;

export interface StreamState {
	v: number;
	/** Records whose lastUpdate is older than this are never emitted (activation or backfill start). */
	floor: string;
	/** Newest lastUpdate processed. */
	watermark: string;
	/** Swept cursor: everything older was read after leaving the overlap window; `seen` starts here. */
	seenFrom: string;
	/** lastUpdate → IDs processed at that timestamp. */
	seen: Record<string, string[]>;
	/**
	 * Set while a capped poll left records for later (catch-up). IDs processed since `floor`
	 * of the backlog, so that "new vs updated" stays right for records reached late.
	 */
	backlog?: { floor: string; ids: string[] };
	/** Where the rotating re-read of a busy overlap window continues. */
	rescan?: { from: string; skip: number };
}

export type EventKind = 'new' | 'updated';

export interface PollEvent {
	kind: EventKind;
	record: IDataObject;
}

export interface PageRequest {
	/** Canonical timestamp for `lastUpdateDateTime ge <since>`. */
	since: string;
	/** Canonical timestamp for `lastUpdateDateTime lt <until>` (whole seconds), or none. */
	until?: string;
	/** `$skip` within `since` when a whole page shared one timestamp; 0 otherwise. */
	skip: number;
	top: number;
}

export interface PageResult {
	records: IDataObject[];
	/** The server said there is more (e.g. `@odata.nextLink`). */
	hasMore?: boolean;
}

export type FetchPage = (req: PageRequest) => Promise<PageResult>;

export interface PollFields {
	id: string;
	lastUpdate: string;
	created: string;
}

export const GRAPH_FIELDS: PollFields = {
	id: 'id',
	lastUpdate: 'lastUpdateDateTime',
	created: 'createdDateTime',
};

export interface PollConfig {
	/** Overlap window in seconds. */
	overlapSeconds: number;
	/** At most this many new (id, lastUpdate) pairs are processed in one poll. */
	maxPerPoll: number;
	pageSize: number;
	fields?: PollFields;
	/** Client-side filter; records it rejects are skipped (and not remembered). */
	accept?: (record: IDataObject) => boolean;
	/**
	 * How many pages of already-seen records each poll may re-read to look for late arrivals
	 * (default 3). Beyond that the window is re-read one page per poll.
	 */
	windowPages?: number;
	/** Cap on backlog IDs kept for classification during catch-up. */
	maxBacklogIds?: number;
}

export interface FirstRunOptions {
	/** Wall clock in ms (only read when there is no state yet). */
	nowMs: number;
	/** Backfill window in seconds; 0 = start now and emit nothing that exists at activation. */
	backfillSeconds: number;
}

export interface PollOutcome {
	events: PollEvent[];
	state: StreamState;
	/** Requests made. */
	pages: number;
	/** True when the per-poll cap stopped the poll; the rest comes next time. */
	capped: boolean;
	/** True on the very first poll without backfill: existing records were remembered, not emitted. */
	primed: boolean;
	lowerBound: string;
}

/** Malformed data from the API. The node turns it into a NodeApiError; the state is untouched. */
export class PollDataError extends Error {
	constructor(
		message: string,
		public readonly detail?: string,
	) {
		super(message);
		this.name = 'PollDataError';
	}
}

export function isStreamState(value: unknown): value is StreamState {
	if (!value || typeof value !== 'object') return false;
	const s = value as Partial<StreamState>;
	return (
		s.v === POLL_STATE_VERSION &&
		typeof s.floor === 'string' &&
		typeof s.watermark === 'string' &&
		typeof s.seenFrom === 'string' &&
		!!s.seen &&
		typeof s.seen === 'object'
	);
}

/** Working copy of `seen` with an index by ID. */
class SeenSet {
	private byTs = new Map<string, Set<string>>();
	private byId = new Map<string, number>();

	constructor(seen?: Record<string, string[]>) {
		if (seen) {
			for (const [ts, ids] of Object.entries(seen)) {
				if (!Array.isArray(ids)) continue;
				for (const id of ids) this.add(String(id), ts);
			}
		}
	}

	has(id: string, ts: string): boolean {
		return this.byTs.get(ts)?.has(id) ?? false;
	}

	hasId(id: string): boolean {
		return (this.byId.get(id) ?? 0) > 0;
	}

	add(id: string, ts: string): void {
		let set = this.byTs.get(ts);
		if (!set) {
			set = new Set();
			this.byTs.set(ts, set);
		}
		if (set.has(id)) return;
		set.add(id);
		this.byId.set(id, (this.byId.get(id) ?? 0) + 1);
	}

	/** Timestamps of the `n` newest pairs at or above `from`, newest first (with repeats). */
	newestTimestamps(n: number, from: string): string[] {
		const out: string[] = [];
		const keys = [...this.byTs.keys()].filter((ts) => ts >= from).sort().reverse();
		for (const ts of keys) {
			const count = (this.byTs.get(ts) as Set<string>).size;
			for (let i = 0; i < count && out.length < n; i++) out.push(ts);
			if (out.length >= n) break;
		}
		return out;
	}

	ids(): IterableIterator<string> {
		return this.byId.keys();
	}

	/** Serialisable form keeping only timestamps ≥ from. */
	toJSON(from: string): Record<string, string[]> {
		const out: Record<string, string[]> = {};
		const keys = [...this.byTs.keys()].filter((ts) => ts >= from).sort();
		for (const ts of keys) out[ts] = [...(this.byTs.get(ts) as Set<string>)].sort();
		return out;
	}
}

interface Row {
	id: string;
	ts: string;
	created?: string;
	record: IDataObject;
}

function toRow(record: IDataObject, fields: PollFields): Row {
	if (!record || typeof record !== 'object' || Array.isArray(record)) {
		throw new PollDataError('The API returned a record that is not an object');
	}
	const rawId = record[fields.id];
	if ((typeof rawId !== 'string' && typeof rawId !== 'number') || rawId === '') {
		throw new PollDataError(`The API returned a record without "${fields.id}"`);
	}
	const ts = canonicalTimestamp(record[fields.lastUpdate]);
	if (!ts) {
		throw new PollDataError(
			`Record ${String(rawId)} has no valid "${fields.lastUpdate}"`,
			`Value received: ${JSON.stringify(record[fields.lastUpdate])}`,
		);
	}
	return { id: String(rawId), ts, created: canonicalTimestamp(record[fields.created]), record };
}

/** Initial state for a trigger that has none yet. */
export function initialState(first: FirstRunOptions, overlapSeconds: number): { state: StreamState; prime: boolean } {
	const now = timestampFromMs(first.nowMs);
	if (first.backfillSeconds > 0) {
		const floor = subtractSeconds(now, first.backfillSeconds);
		return { state: { v: POLL_STATE_VERSION, floor, watermark: floor, seenFrom: floor, seen: {} }, prime: false };
	}
	// No backfill: remember what exists (including the overlap before now, to absorb clock skew
	// between n8n and Microsoft), emit nothing.
	const floor = subtractSeconds(now, overlapSeconds);
	return { state: { v: POLL_STATE_VERSION, floor, watermark: floor, seenFrom: floor, seen: {} }, prime: true };
}

/** Whole-second timestamp at or below `ts` (exact under any server-side precision). */
function floorSecond(ts: string): string {
	return ts.replace(/\.\d{7}Z$/, '.0000000Z');
}

/** End of this poll's sweep: `W − overlap` (whole seconds), never below S or the floor. */
export function sweepTarget(state: StreamState, overlapSeconds: number): string {
	let l = floorSecond(subtractSeconds(state.watermark, overlapSeconds));
	if (state.seenFrom > l) l = state.seenFrom;
	if (state.floor > l) l = state.floor;
	return l;
}

/**
 * One poll. Never mutates `previous`; returns the state to store after the events were emitted.
 * Throws (PollDataError or whatever `fetchPage` throws) without a partial result.
 */
export async function runPollCycle(
	previous: StreamState | undefined,
	first: FirstRunOptions,
	config: PollConfig,
	fetchPage: FetchPage,
): Promise<PollOutcome> {
	const fields = config.fields ?? GRAPH_FIELDS;
	const overlap = Math.max(0, Math.floor(config.overlapSeconds));
	const pageSize = Math.max(1, Math.floor(config.pageSize));
	const maxPerPoll = Math.max(1, Math.floor(config.maxPerPoll));
	const maxBacklogIds = config.maxBacklogIds ?? 50000;
	const windowPages = Math.max(1, Math.floor(config.windowPages ?? 3));

	let prime = false;
	let prev: StreamState;
	if (previous && isStreamState(previous)) {
		prev = previous;
	} else {
		const init = initialState(first, overlap);
		prev = init.state;
		prime = init.prime;
	}

	const seen = new SeenSet(prev.seen);
	const backlogIds = new Set(prev.backlog?.ids ?? []);
	const events: PollEvent[] = [];
	const sweepFrom = prev.seenFrom > prev.floor ? prev.seenFrom : prev.floor;
	const sweepTo = sweepTarget(prev, overlap);

	let watermark = prev.watermark;
	let processedNew = 0;
	let capped = false;
	let cappedAt: string | undefined;
	let pages = 0;

	const classify = (row: Row): EventKind => {
		if (seen.hasId(row.id)) return 'updated';
		const c = row.created;
		if (!c || c < prev.floor) return 'updated';
		// Any earlier version of this record would have lastUpdate ≥ created ≥ S and would
		// still be in `seen`.
		if (c >= sweepFrom) return 'new';
		// Created before S: in steady state an earlier poll saw it. During catch-up (capped
		// polls) it may not have been reached yet.
		if (prev.backlog && c >= prev.backlog.floor && !backlogIds.has(row.id)) return 'new';
		return 'updated';
	};

	/**
	 * Time-boundary scan of `[since, until)`. `done: false` when the cap stopped it; `next` when
	 * `maxPages` ran out before the end of the range.
	 */
	const scan = async (
		since: string,
		until: string | undefined,
		opts: { skip?: number; maxPages?: number } = {},
	): Promise<{ done: boolean; next?: { from: string; skip: number } }> => {
		const start = since;
		let skip = opts.skip ?? 0;
		let left = opts.maxPages ?? Infinity;
		for (;;) {
			const res = await fetchPage(until ? { since, until, skip, top: pageSize } : { since, skip, top: pageSize });
			pages++;
			if (!res || !Array.isArray(res.records)) {
				throw new PollDataError('The API returned a page without a "value" list');
			}
			const rows = res.records.map((r) => toRow(r, fields));
			// Stable sort by timestamp, in case the server's order is off by sub-millisecond digits.
			const ordered = rows
				.map((row, i) => ({ row, i }))
				.sort((a, b) => (a.row.ts < b.row.ts ? -1 : a.row.ts > b.row.ts ? 1 : a.i - b.i));

			for (const { row } of ordered) {
				// The server may read our literals with less precision than we sent and return a
				// little more; anything outside the range is handled by another scan.
				if (row.ts < start || (until && row.ts >= until)) continue;
				if (seen.has(row.id, row.ts)) {
					watermark = maxTimestamp(watermark, row.ts);
					continue;
				}
				if (config.accept && !config.accept(row.record)) {
					watermark = maxTimestamp(watermark, row.ts);
					continue;
				}
				if (!prime && processedNew >= maxPerPoll) {
					capped = true;
					cappedAt = row.ts;
					return { done: false };
				}
				const kind = classify(row);
				seen.add(row.id, row.ts);
				processedNew++;
				watermark = maxTimestamp(watermark, row.ts);
				if (!prime) events.push({ kind, record: row.record });
			}

			const full = rows.length >= pageSize || res.hasMore === true;
			if (!full || rows.length === 0) return { done: true };

			const lastTs = ordered[ordered.length - 1].row.ts;
			if (until && lastTs >= until) return { done: true };
			if (lastTs <= since) {
				// The whole page shares the boundary timestamp: step over it with $skip.
				skip += rows.length;
			} else {
				since = lastTs;
				skip = 0;
			}
			if (--left <= 0) return { done: true, next: { from: since, skip } };
		}
	};

	let seenFrom = sweepTo;
	let rescan: StreamState['rescan'];
	// 1. The slice leaving the overlap window: last look for late arrivals there.
	if (sweepFrom < sweepTo) {
		// Only reads below W − overlap, so the watermark does not move here.
		const r = await scan(sweepFrom, sweepTo);
		if (!r.done) seenFrom = cappedAt as string;
	}
	if (!capped) {
		// 2. Where the fresh scan starts: L while the window holds at most `windowPages` pages of
		// records (every poll re-reads the whole window: late arrivals show up on the next poll);
		// otherwise at the newest records that fit, and the rest of the window is re-read one
		// page per poll (rotating), and once more by the sweep when it leaves the window.
		const budget = Math.max(1, windowPages * pageSize - Math.ceil(pageSize / 2));
		const recent = seen.newestTimestamps(budget + 1, sweepTo);
		const fresh = recent.length > budget && recent[recent.length - 1] > sweepTo ? recent[recent.length - 1] : sweepTo;
		if (fresh > sweepTo) {
			let from = prev.rescan && prev.rescan.from >= sweepTo && prev.rescan.from < fresh ? prev.rescan : undefined;
			from ??= { from: sweepTo, skip: 0 };
			const r = await scan(from.from, fresh, { skip: from.skip, maxPages: 1 });
			if (r.done && r.next) rescan = r.next;
		}
		// 3. New changes.
		if (!capped) await scan(fresh, undefined);
	}
	const state: StreamState = {
		v: POLL_STATE_VERSION,
		floor: prev.floor,
		watermark,
		seenFrom,
		seen: seen.toJSON(seenFrom),
	};
	if (rescan && !capped) state.rescan = rescan;
	else if (capped && prev.rescan) state.rescan = prev.rescan;
	if (capped) {
		const ids = new Set(backlogIds);
		for (const id of seen.ids()) {
			if (ids.size >= maxBacklogIds) break;
			ids.add(id);
		}
		state.backlog = { floor: prev.backlog?.floor ?? sweepFrom, ids: [...ids].sort() };
	}
	return { events, state, pages, capped, primed: prime, lowerBound: sweepTo };
}
