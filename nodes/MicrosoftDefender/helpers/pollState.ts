import type { IDataObject } from 'n8n-workflow';

import { canonicalTimestamp, maxTimestamp, subtractSeconds, timestampFromMs } from './pollTime';

/**
 * Pure state logic of the polling trigger: cursor, dedupe set, "new vs updated" and time-boundary
 * paging. No HTTP here: the caller passes a `fetchPage` function, so the whole cycle can be unit
 * tested against an in-memory list and driven against the emulator by the node.
 *
 * Model
 * - `watermark`: the newest `lastUpdateDateTime` the trigger has processed (taken from the data,
 *   never from the wall clock, except the very first anchor on activation).
 * - Every poll reads `lastUpdateDateTime ge lowerBound` in ascending order, where
 *   `lowerBound = max(floor, seenFrom, watermark − overlap)`. The overlap picks up records that
 *   become visible late with a timestamp older than the watermark.
 * - `seen` holds every (id, lastUpdate) pair processed with `lastUpdate ≥ seenFrom`
 *   (= watermark − overlap after the poll). A pair in `seen` is a repeat; a new pair for a known
 *   ID is an update.
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
	/** Pairs older than this were pruned from `seen`; the next window never starts below it. */
	seenFrom: string;
	/** lastUpdate → IDs processed at that timestamp. */
	seen: Record<string, string[]>;
	/**
	 * Set while a capped poll left records for later (catch-up). IDs processed since `floor`
	 * of the backlog, so that "new vs updated" stays right for records reached late.
	 */
	backlog?: { floor: string; ids: string[] };
}

export type EventKind = 'new' | 'updated';

export interface PollEvent {
	kind: EventKind;
	record: IDataObject;
}

export interface PageRequest {
	/** Canonical timestamp for `lastUpdateDateTime ge <since>`. */
	since: string;
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

export function lowerBoundOf(state: StreamState, overlapSeconds: number): string {
	let lb = subtractSeconds(state.watermark, overlapSeconds);
	if (state.seenFrom > lb) lb = state.seenFrom;
	if (state.floor > lb) lb = state.floor;
	return lb;
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

	let prime = false;
	let prev: StreamState;
	if (previous && isStreamState(previous)) {
		prev = previous;
	} else {
		const init = initialState(first, overlap);
		prev = init.state;
		prime = init.prime;
	}

	const lowerBound = lowerBoundOf(prev, overlap);
	const seen = new SeenSet(prev.seen);
	const backlogIds = new Set(prev.backlog?.ids ?? []);
	const events: PollEvent[] = [];

	let watermark = prev.watermark;
	let processedNew = 0;
	let capped = false;
	let pages = 0;

	const classify = (row: Row): EventKind => {
		if (seen.hasId(row.id)) return 'updated';
		const c = row.created;
		if (!c || c < prev.floor) return 'updated';
		// Any earlier version of this record would have lastUpdate ≥ created ≥ lowerBound and
		// would still be in `seen`.
		if (c >= lowerBound) return 'new';
		// Created before the window: in steady state an earlier poll saw it. During catch-up
		// (capped polls) it may not have been reached yet.
		if (prev.backlog && c >= prev.backlog.floor && !backlogIds.has(row.id)) return 'new';
		return 'updated';
	};

	let since = lowerBound;
	let skip = 0;
	for (;;) {
		const res = await fetchPage({ since, skip, top: pageSize });
		pages++;
		if (!res || !Array.isArray(res.records)) {
			throw new PollDataError('The API returned a page without a "value" list');
		}
		const rows = res.records.map((r) => toRow(r, fields));
		// Stable sort by timestamp, in case the server's order is off by sub-millisecond digits.
		const ordered = rows.map((row, i) => ({ row, i })).sort((a, b) => (a.row.ts < b.row.ts ? -1 : a.row.ts > b.row.ts ? 1 : a.i - b.i));

		for (const { row } of ordered) {
			// The server may read our literal with less precision than we sent and return a little
			// more; records below the window were either handled before or are out of scope.
			if (row.ts < lowerBound) continue;
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
				break;
			}
			const kind = classify(row);
			seen.add(row.id, row.ts);
			processedNew++;
			watermark = maxTimestamp(watermark, row.ts);
			if (!prime) events.push({ kind, record: row.record });
		}
		if (capped) break;

		const full = rows.length >= pageSize || res.hasMore === true;
		if (!full || rows.length === 0) break;

		const lastTs = ordered[ordered.length - 1].row.ts;
		if (lastTs <= since) {
			// The whole page shares the boundary timestamp: step over it with $skip.
			skip += rows.length;
		} else {
			since = lastTs;
			skip = 0;
		}
	}

	const seenFrom = maxTimestamp(subtractSeconds(watermark, overlap), lowerBound);
	const state: StreamState = {
		v: POLL_STATE_VERSION,
		floor: prev.floor,
		watermark,
		seenFrom,
		seen: seen.toJSON(seenFrom),
	};
	if (capped) {
		const ids = new Set(backlogIds);
		for (const id of seen.ids()) {
			if (ids.size >= maxBacklogIds) break;
			ids.add(id);
		}
		state.backlog = { floor: prev.backlog?.floor ?? lowerBound, ids: [...ids].sort() };
	}
	return { events, state, pages, capped, primed: prime, lowerBound };
}
