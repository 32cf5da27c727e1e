import type { IDataObject } from 'n8n-workflow';

import { addSeconds, canonicalTimestamp, floorSecond, secondsBetween, subtractSeconds, timestampFromMs } from './pollTime';

/**
 * Pure state logic of the polling trigger: watermark, dedupe set, "new vs updated" and closed
 * time windows. No HTTP here: the caller passes a `fetchWindow` function that yields every page of
 * one `lastUpdateDateTime ge <since> and lt <until>` query (following `@odata.nextLink`), so the
 * whole cycle can be unit tested against an in-memory list and driven against the emulator.
 *
 * Order-independent by design. *List alerts_v2* documents only `$count, $filter, $skip, $top`
 * and *List incidents* adds `$expand`: no `$orderby`, and a live probe saw it silently ignored.
 * So nothing here infers progress from the order of records or pages: a window counts as read
 * only when every page of it was read, and the cap cuts a window client-side after sorting.
 *
 * Model
 * - `watermark` (W): every record with a `lastUpdateDateTime` below W was read in a window that
 *   was read completely. W is a whole second taken from the wall clock (`now − settle`), so the
 *   window is closed: records still being written "now" are left for the next poll.
 * - Late arrivals: a record may become visible after its timestamp. The overlap window assumes
 *   every record with timestamp T is visible by the time W has moved past T + overlap.
 * - `seenFrom` (S, the "swept" cursor): every pair below S was read after its slice left the
 *   overlap window, so nothing below S can still arrive. `seen` holds every processed
 *   (id, lastUpdate) pair with lastUpdate ≥ S: a pair in `seen` is a repeat; a new pair for a
 *   known ID is an update.
 * - Each poll reads up to three closed windows, every page of each, and dedupes by `seen`:
 *   1. sweep `[S, L)` with `L = W − overlap` (whole seconds): the slice leaving the window now,
 *      read one last time for late arrivals;
 *   2. while the overlap window holds more seen records than `windowPages` pages, a rotating
 *      slice of it of about one page (the rest of the window is re-read by the fresh window);
 *   3. fresh `[X, B)`, X ≥ L, B = now − settle: new changes plus the newest part of the overlap.
 *   So the number of requests follows the number of new events, not the history.
 * - First poll without backfill: records changed up to ACTIVATION_GRACE_SECONDS before it are
 *   emitted (n8n 2.x polls first after activation returned); the rest of the overlap before it is
 *   read and remembered without emitting, so late arrivals there still count.
 * - Per-poll cap: a window with more new records than the cap left is cut client-side at a whole
 *   second T (records sorted by time after the whole window was read): records below T are
 *   emitted, the rest come next poll from T. Catch-up windows are sized from the last cut
 *   (`span`), so a long backlog is not re-read in full every poll.
 * - Bounds are whole seconds, so they mean the same under any server-side precision.
 * - Nothing is written unless the whole poll succeeded: the cycle returns a new state object and
 *   the caller stores it only after emitting.
 */

export const POLL_STATE_VERSION = 2;

/** Seconds the fresh window ends behind the wall clock (records written "now" come next poll). */
export const SETTLE_SECONDS = 5;

/**
 * On the first poll (no state, no backfill) records changed this long before it are emitted too.
 * n8n 2.x activates a published workflow asynchronously: its first poll runs after activation
 * returned, so "now" at the first poll is later than the activation the user saw.
 */
export const ACTIVATION_GRACE_SECONDS = 120;

export interface StreamState {
	v: number;
	/** Records whose lastUpdate is older than this are never emitted (activation or backfill start). */
	floor: string;
	/** Every record older than this was read in a completely read window (exclusive bound). */
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
	/** Where the rotating re-read of a busy overlap window continues (whole second). */
	rescan?: { from: string };
	/** Catch-up: seconds of new time the next fresh window covers (absent = up to now). */
	span?: number;
}

export type EventKind = 'new' | 'updated';

export interface PollEvent {
	kind: EventKind;
	record: IDataObject;
}

/** One closed window: `lastUpdateDateTime ge <since> and lt <until>` (canonical, whole seconds). */
export interface WindowRequest {
	since: string;
	until: string;
}

/**
 * Every page of one window, in whatever order the server returns them (follow
 * `@odata.nextLink`). Each yielded array is one page's records.
 */
export type FetchWindow = (req: WindowRequest) => AsyncIterable<IDataObject[]>;

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
	/** At most this many new (id, lastUpdate) pairs are processed in one poll (a second's records are never split). */
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
	/** Default SETTLE_SECONDS. */
	settleSeconds?: number;
}

export interface ClockOptions {
	/** Wall clock in ms: the end of the fresh window (minus settle) and, on the first poll, the start. */
	nowMs: number;
	/** Backfill window in seconds (first poll only); 0 = start at activation (minus the grace). */
	backfillSeconds: number;
}

export interface PollOutcome {
	events: PollEvent[];
	state: StreamState;
	/** Pages read. */
	pages: number;
	/** Windows (queries) read. */
	windows: number;
	/** True when the per-poll cap stopped the poll; the rest comes next time. */
	capped: boolean;
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
		(s.v === POLL_STATE_VERSION || s.v === 1) &&
		typeof s.floor === 'string' &&
		typeof s.watermark === 'string' &&
		typeof s.seenFrom === 'string' &&
		!!s.seen &&
		typeof s.seen === 'object'
	);
}

/**
 * Version 1 (record-order paging) states load as they are: its watermark was the newest
 * timestamp processed, so every record below it was read; its `rescan.skip` is dropped.
 */
function upgrade(s: StreamState): StreamState {
	if (s.v === POLL_STATE_VERSION) return s;
	const out: StreamState = { v: POLL_STATE_VERSION, floor: s.floor, watermark: s.watermark, seenFrom: s.seenFrom, seen: s.seen };
	if (s.backlog) out.backlog = s.backlog;
	return out;
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

	/** Timestamps of the `n` oldest pairs at or above `from`, oldest first (with repeats). */
	oldestTimestamps(n: number, from: string): string[] {
		const out: string[] = [];
		const keys = [...this.byTs.keys()].filter((ts) => ts >= from).sort();
		for (const ts of keys) {
			const count = (this.byTs.get(ts) as Set<string>).size;
			for (let i = 0; i < count && out.length < n; i++) out.push(ts);
			if (out.length >= n) break;
		}
		return out;
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

/**
 * Initial state for a trigger that has none yet, and the window to prime: without backfill,
 * records changed in the overlap before activation (minus the grace) are remembered, not emitted,
 * so that a late arrival there is still caught and nothing that existed is reported as new.
 */
export function initialState(first: ClockOptions, overlapSeconds: number): { state: StreamState; prime?: WindowRequest } {
	const now = timestampFromMs(first.nowMs);
	if (first.backfillSeconds > 0) {
		const floor = floorSecond(subtractSeconds(now, Math.max(first.backfillSeconds, ACTIVATION_GRACE_SECONDS)));
		return { state: { v: POLL_STATE_VERSION, floor, watermark: floor, seenFrom: floor, seen: {} } };
	}
	const start = floorSecond(subtractSeconds(now, ACTIVATION_GRACE_SECONDS));
	const floor = floorSecond(subtractSeconds(now, Math.max(overlapSeconds, ACTIVATION_GRACE_SECONDS)));
	return {
		state: { v: POLL_STATE_VERSION, floor, watermark: start, seenFrom: floor, seen: {} },
		prime: floor < start ? { since: floor, until: start } : undefined,
	};
}

/** End of this poll's sweep: `W − overlap` (whole seconds), never below S or the floor. */
export function sweepTarget(state: StreamState, overlapSeconds: number): string {
	let l = floorSecond(subtractSeconds(state.watermark, overlapSeconds));
	if (state.seenFrom > l) l = state.seenFrom;
	if (state.floor > l) l = state.floor;
	return l;
}

const byTime = (a: Row, b: Row) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One poll. Never mutates `previous`; returns the state to store after the events were emitted.
 * Throws (PollDataError or whatever `fetchWindow` throws) without a partial result.
 */
export async function runPollCycle(
	previous: StreamState | undefined,
	clock: ClockOptions,
	config: PollConfig,
	fetchWindow: FetchWindow,
): Promise<PollOutcome> {
	const fields = config.fields ?? GRAPH_FIELDS;
	const overlap = Math.max(0, Math.floor(config.overlapSeconds));
	const pageSize = Math.max(1, Math.floor(config.pageSize));
	const maxPerPoll = Math.max(1, Math.floor(config.maxPerPoll));
	const maxBacklogIds = config.maxBacklogIds ?? 50000;
	const windowPages = Math.max(1, Math.floor(config.windowPages ?? 3));
	const settle = Math.max(0, Math.floor(config.settleSeconds ?? SETTLE_SECONDS));

	let prev: StreamState;
	let prime: WindowRequest | undefined;
	if (previous && isStreamState(previous)) {
		prev = upgrade(previous);
	} else {
		({ state: prev, prime } = initialState(clock, overlap));
	}

	const seen = new SeenSet(prev.seen);
	const backlogIds = new Set(prev.backlog?.ids ?? []);
	const events: PollEvent[] = [];
	const sweepFrom = prev.seenFrom > prev.floor ? prev.seenFrom : prev.floor;
	const sweepTo = sweepTarget(prev, overlap);

	let processedNew = 0;
	let capped = false;
	let pages = 0;
	let windows = 0;
	let lastEmitted = 0;

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
	 * Reads every page of `[since, until)`, then emits its new records oldest first. Returns the
	 * whole second the window is complete up to: `until`, or less when the cap cut it.
	 */
	const readWindow = async (since: string, until: string): Promise<string> => {
		if (since >= until) return until;
		const left = maxPerPoll - processedNew;
		if (left <= 0) {
			capped = true;
			return since;
		}
		windows++;
		let kept: Row[] = [];
		let trimmed = false;
		for await (const records of fetchWindow({ since, until })) {
			pages++;
			if (!Array.isArray(records)) throw new PollDataError('The API returned a page without a "value" list');
			for (const record of records) {
				const row = toRow(record, fields);
				// Outside the window (a server reading our bounds differently): another window's job.
				if (row.ts < since || row.ts >= until) continue;
				if (seen.has(row.id, row.ts)) continue;
				if (config.accept && !config.accept(row.record)) continue;
				kept.push(row);
			}
			// Only the oldest `left` records (whole seconds) can be emitted this poll: keep memory
			// bounded on a long backlog.
			if (kept.length > 2 * (left + 1) + pageSize) {
				kept.sort(byTime);
				const lastSecond = floorSecond(kept[left].ts);
				const limit = addSeconds(lastSecond, 1);
				const before = kept.length;
				kept = kept.filter((r) => r.ts < limit);
				if (kept.length < before) trimmed = true;
			}
		}
		kept.sort(byTime);
		// Two versions of one record in one window (it changed while we paged): the newest counts.
		const newest = new Map<string, Row>();
		for (const row of kept) newest.set(row.id, row);
		kept = kept.filter((row) => newest.get(row.id) === row);
		let done = until;
		let emit = kept;
		if (trimmed || kept.length > left) {
			// Every record below the second of the first one that does not fit is in `kept`.
			let cut = floorSecond(kept[left].ts);
			emit = kept.filter((r) => r.ts < cut);
			if (emit.length === 0) {
				// One second holds more than the cap: emit that whole second (a second is never split).
				cut = addSeconds(cut, 1);
				emit = kept.filter((r) => r.ts < cut);
			}
			if (cut < until) {
				done = cut;
				capped = true;
			}
		}
		for (const row of emit) {
			const kind = classify(row);
			seen.add(row.id, row.ts);
			processedNew++;
			events.push({ kind, record: row.record });
		}
		lastEmitted = emit.length;
		return done;
	};

	if (prime) {
		// What existed before activation (outside the grace) is remembered, not emitted.
		windows++;
		for await (const records of fetchWindow(prime)) {
			pages++;
			if (!Array.isArray(records)) throw new PollDataError('The API returned a page without a "value" list');
			for (const record of records) {
				const row = toRow(record, fields);
				if (row.ts >= prime.since && row.ts < prime.until) seen.add(row.id, row.ts);
			}
		}
	}

	let seenFrom = sweepTo;
	let watermark = prev.watermark;
	let rescan: StreamState['rescan'];
	let span = prev.span;
	// 1. The slice leaving the overlap window: last look for late arrivals there.
	if (sweepFrom < sweepTo) {
		const done = await readWindow(sweepFrom, sweepTo);
		if (done < sweepTo) seenFrom = done;
	}
	if (!capped) {
		// 2. Where the fresh window starts: L while the overlap holds at most `windowPages` pages of
		// seen records (every poll re-reads the whole window: late arrivals show up on the next
		// poll); otherwise at the newest records that fit, and the rest of the overlap is re-read
		// about one page per poll (rotating), and once more by the sweep when it leaves the window.
		const budget = Math.max(1, windowPages * pageSize - Math.ceil(pageSize / 2));
		const recent = seen.newestTimestamps(budget + 1, sweepTo);
		let fresh = sweepTo;
		if (recent.length > budget) {
			const x = floorSecond(recent[recent.length - 1]);
			if (x > sweepTo) fresh = x;
		}
		if (fresh > sweepTo) {
			const from = prev.rescan && prev.rescan.from >= sweepTo && prev.rescan.from < fresh ? prev.rescan.from : sweepTo;
			const oldest = seen.oldestTimestamps(pageSize, from);
			let to = oldest.length >= pageSize ? addSeconds(floorSecond(oldest[oldest.length - 1]), 1) : fresh;
			if (to > fresh) to = fresh;
			const done = await readWindow(from, to);
			if (done < fresh) rescan = { from: done };
		}
		// 3. New changes, up to now − settle (or the catch-up span).
		if (!capped) {
			const now = floorSecond(subtractSeconds(timestampFromMs(clock.nowMs), settle));
			let until = now > watermark ? now : watermark;
			if (span !== undefined && span > 0) {
				const limit = addSeconds(watermark, span);
				if (limit < until) until = limit;
			}
			const start = fresh < until ? fresh : until;
			const room = maxPerPoll - processedNew;
			const done = await readWindow(start, until);
			if (capped) {
				if (done > watermark) {
					span = Math.max(1, secondsBetween(watermark, done));
					watermark = done;
				}
			} else {
				watermark = until > watermark ? until : watermark;
				// Catch-up went faster than the cap: widen the next window by how much room was left.
				span = until < now && span !== undefined ? span * Math.min(16, Math.max(2, Math.floor(room / Math.max(1, lastEmitted)))) : undefined;
			}
		}
	}
	const state: StreamState = {
		v: POLL_STATE_VERSION,
		floor: prev.floor,
		watermark,
		seenFrom,
		seen: seen.toJSON(seenFrom),
	};
	if (rescan) state.rescan = rescan;
	else if (capped && prev.rescan) state.rescan = prev.rescan;
	if (span !== undefined) state.span = span;
	if (capped) {
		const ids = new Set(backlogIds);
		for (const id of seen.ids()) {
			if (ids.size >= maxBacklogIds) break;
			ids.add(id);
		}
		state.backlog = { floor: prev.backlog?.floor ?? sweepFrom, ids: [...ids].sort() };
	}
	return { events, state, pages, windows, capped };
}
