import type { IDataObject } from 'n8n-workflow';

import {
	type FetchWindow,
	type PollConfig,
	type PollEvent,
	type StreamState,
	ACTIVATION_GRACE_SECONDS,
	PollDataError,
	SETTLE_SECONDS,
	runPollCycle,
} from '../../nodes/MicrosoftDefender/helpers/pollState';
import {
	canonicalTimestamp,
	subtractSeconds,
	timestampFromMs,
	timestampToMs,
} from '../../nodes/MicrosoftDefender/helpers/pollTime';

type Order = 'shuffled' | 'reverse' | 'asc';

/**
 * An in-memory stand-in for a Graph collection: `lastUpdateDateTime ge since and lt until`, pages
 * of `pageSize` over a snapshot taken at the first page, in an order that follows no timestamp
 * (`shuffled`, seeded), newest first (`reverse`) or oldest first (`asc`). Not HTTP: this tests the
 * pure cycle; the node against the emulator is tested in trigger*.test.ts.
 */
class FakeCollection {
	records = new Map<string, { id: string; createdDateTime: string; lastUpdateDateTime: string }>();
	calls: Array<{ since: string; until: string; page: number }> = [];
	failOn = new Set<number>();

	constructor(
		private order: Order = 'shuffled',
		public pageSize = 100,
	) {}

	put(id: string, lastUpdate: string, created?: string) {
		const existing = this.records.get(id);
		this.records.set(id, { id, createdDateTime: created ?? existing?.createdDateTime ?? lastUpdate, lastUpdateDateTime: lastUpdate });
	}

	private hash(id: string) {
		let h = 0x811c9dc5;
		for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
		return h;
	}

	private async *pages(since: string, until: string): AsyncGenerator<IDataObject[]> {
		const rows = [...this.records.values()].filter((r) => r.lastUpdateDateTime >= since && r.lastUpdateDateTime < until);
		if (this.order === 'shuffled') rows.sort((a, b) => this.hash(a.id) - this.hash(b.id));
		else rows.sort((a, b) => (a.lastUpdateDateTime < b.lastUpdateDateTime ? -1 : a.lastUpdateDateTime > b.lastUpdateDateTime ? 1 : 0) * (this.order === 'reverse' ? -1 : 1));
		for (let page = 0; page === 0 || page * this.pageSize < rows.length; page++) {
			this.calls.push({ since, until, page });
			if (this.failOn.has(this.calls.length)) throw new Error('HTTP 503');
			yield rows.slice(page * this.pageSize, (page + 1) * this.pageSize).map((r) => ({ ...r })) as IDataObject[];
		}
	}

	fetch: FetchWindow = ({ since, until }) => this.pages(since, until);
}

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const at = (secondsAfterT0: number, ticks = 0) =>
	subtractSeconds(timestampFromMs(T0), -secondsAfterT0).replace(/\.\d{7}Z$/, `.${String(ticks).padStart(7, '0')}Z`);
/** The poll's clock, `s` seconds after T0. */
const clock = (s: number, backfillSeconds = 0) => ({ nowMs: T0 + s * 1000, backfillSeconds });

const cfg = (over: Partial<PollConfig> = {}): PollConfig => ({ overlapSeconds: 600, maxPerPoll: 1000, pageSize: 100, ...over });
const key = (e: PollEvent) => `${String(e.record.id)}|${String(e.record.lastUpdateDateTime)}`;

/** Save/restore through JSON like n8n's static data does across restarts. */
const persist = (s: StreamState) => JSON.parse(JSON.stringify(s)) as StreamState;

describe('pollTime', () => {
	it('canonicalises to 7 fractional digits in UTC and keeps sub-millisecond order', () => {
		expect(canonicalTimestamp('2026-11-22T20:33:57.7220239Z')).toBe('2026-11-22T20:33:57.7220239Z');
		expect(canonicalTimestamp('2026-11-22T20:33:57Z')).toBe('2026-11-22T20:33:57.0000000Z');
		expect(canonicalTimestamp('2026-11-22T20:33:57.72Z')).toBe('2026-11-22T20:33:57.7200000Z');
		expect(canonicalTimestamp('2026-11-22T22:33:57.5+02:00')).toBe('2026-11-22T20:33:57.5000000Z');
		expect(canonicalTimestamp('2026-11-22T20:33:57.123456789Z')).toBe('2026-11-22T20:33:57.1234567Z');
		expect(canonicalTimestamp('yesterday')).toBeUndefined();
		expect(canonicalTimestamp(undefined)).toBeUndefined();
		expect('2026-11-22T20:33:57.7220239Z' > '2026-11-22T20:33:57.7220238Z').toBe(true);
	});

	it('subtracts whole seconds without losing ticks, across a day boundary', () => {
		expect(subtractSeconds('2026-11-23T00:05:00.0000001Z', 600)).toBe('2026-11-22T23:55:00.0000001Z');
		expect(timestampToMs('2026-11-22T20:33:57.7229999Z')).toBe(Date.parse('2026-11-22T20:33:57.722Z'));
		expect(timestampFromMs(Date.parse('2026-11-22T20:33:57.722Z'))).toBe('2026-11-22T20:33:57.7220000Z');
	});
});

describe('runPollCycle', () => {
	it('first poll emits only what changed since activation (minus a grace for n8n 2.x), later polls only new pairs', async () => {
		const c = new FakeCollection();
		for (let i = 0; i < 50; i++) c.put(`old${i}`, at(-3600 + i));
		c.put('justBefore', at(-60)); // inside the activation grace
		expect(ACTIVATION_GRACE_SECONDS).toBeGreaterThan(60);
		c.put('existing', at(-300)); // in the overlap before activation: remembered, not emitted
		const p1 = await runPollCycle(undefined, clock(0), cfg(), c.fetch);
		expect(p1.events.map((e) => [e.record.id, e.kind])).toEqual([['justBefore', 'new']]);
		expect(p1.state.watermark).toBe(at(-SETTLE_SECONDS));
		// The overlap before activation is remembered, so a late arrival there still counts.
		expect(p1.state.floor).toBe(at(-600));
		c.put('lateBefore', at(-300));

		c.put('a1', at(10));
		c.put('a2', at(20));
		const p2 = await runPollCycle(persist(p1.state), clock(30), cfg(), c.fetch);
		expect(p2.events.map((e) => [e.record.id, e.kind])).toEqual([
			['lateBefore', 'new'],
			['a1', 'new'],
			['a2', 'new'],
		]);
		const p3 = await runPollCycle(persist(p2.state), clock(60), cfg(), c.fetch);
		expect(p3.events).toHaveLength(0);
		expect(p3.windows).toBeLessThanOrEqual(2); // the slice leaving the overlap, then the fresh window
		// Every window is closed: `ge since and lt until`, until a little behind the clock.
		expect(c.calls[c.calls.length - 1].until).toBe(at(60 - SETTLE_SECONDS));
	});

	it('records written in the last seconds before a poll come with the next poll (closed window), once', async () => {
		const c = new FakeCollection();
		let s = (await runPollCycle(undefined, clock(0), cfg(), c.fetch)).state;
		c.put('now', at(59, 5));
		let r = await runPollCycle(s, clock(60), cfg(), c.fetch);
		expect(r.events).toHaveLength(0);
		s = r.state;
		r = await runPollCycle(s, clock(120), cfg(), c.fetch);
		expect(r.events.map((e) => e.record.id)).toEqual(['now']);
	});

	it('an update is a new event ("updated"); a record created before activation and updated later is "updated"', async () => {
		const c = new FakeCollection();
		c.put('before', at(-7200));
		let s = (await runPollCycle(undefined, clock(0), cfg(), c.fetch)).state;
		c.put('x', at(5));
		s = (await runPollCycle(s, clock(20), cfg(), c.fetch)).state;
		c.put('x', at(30));
		c.put('before', at(31));
		const r = await runPollCycle(s, clock(40), cfg(), c.fetch);
		expect(r.events.map((e) => [e.record.id, e.kind])).toEqual([
			['x', 'updated'],
			['before', 'updated'],
		]);
		// Far later (after the first version was pruned from the dedupe set) x is still "updated".
		c.put('x', at(36000));
		const r2 = await runPollCycle(r.state, clock(36100), cfg(), c.fetch);
		expect(r2.events.map((e) => [e.record.id, e.kind])).toEqual([['x', 'updated']]);
	});

	it('picks up a late arrival inside the overlap window, once', async () => {
		const c = new FakeCollection();
		let s = (await runPollCycle(undefined, clock(0), cfg(), c.fetch)).state;
		c.put('a', at(100));
		s = (await runPollCycle(s, clock(110), cfg(), c.fetch)).state;
		c.put('late', at(40)); // older than the watermark, within 10 minutes
		const r = await runPollCycle(s, clock(170), cfg(), c.fetch);
		expect(r.events.map(key)).toEqual([`late|${at(40)}`]);
		expect(r.events[0].kind).toBe('new');
		const r2 = await runPollCycle(r.state, clock(230), cfg(), c.fetch);
		expect(r2.events).toHaveLength(0);
	});

	it.each(['shuffled', 'reverse', 'asc'] as const)('reads every page of a window (%s), including a run of equal timestamps longer than a page', async (order) => {
		const c = new FakeCollection(order, 100);
		let s = (await runPollCycle(undefined, clock(0), cfg(), c.fetch)).state;
		for (let i = 0; i < 30; i++) c.put(`b${i}`, at(10 + i));
		for (let i = 0; i < 250; i++) c.put(`same${i}`, at(100, 1234567)); // one timestamp, 2.5 pages
		for (let i = 0; i < 30; i++) c.put(`c${i}`, at(200 + i));
		c.calls = [];
		const r = await runPollCycle(s, clock(300), cfg({ pageSize: 100 }), c.fetch);
		expect(r.events).toHaveLength(310);
		expect(new Set(r.events.map(key)).size).toBe(310);
		expect(r.pages).toBe(4);
		// Emitted oldest first whatever the server's order.
		const ts = r.events.map((e) => String(e.record.lastUpdateDateTime));
		expect(ts).toEqual([...ts].sort());
		s = r.state;
		const again = await runPollCycle(persist(s), clock(360), cfg({ pageSize: 100 }), c.fetch);
		expect(again.events).toHaveLength(0);
	});

	it.each(['shuffled', 'reverse', 'asc'] as const)('caps a poll (%s pages), advances only as far as it emitted, and loses nothing', async (order) => {
		const c = new FakeCollection(order, 300);
		let s = (await runPollCycle(undefined, clock(0), cfg(), c.fetch)).state;
		for (let i = 0; i < 2500; i++) c.put(`n${i}`, at(10 + Math.floor(i / 7), i % 7)); // clusters of equal seconds
		const got: PollEvent[] = [];
		let capped = 0;
		for (let p = 0; p < 6; p++) {
			// During catch-up, an already emitted record changes.
			if (p === 1) c.put('n3', at(5000));
			const r = await runPollCycle(persist(s), clock(6000 + p * 60), cfg({ maxPerPoll: 1000, pageSize: 300 }), c.fetch);
			expect(r.events.length).toBeLessThanOrEqual(1000);
			got.push(...r.events);
			if (r.capped) capped++;
			s = r.state;
		}
		expect(capped).toBeGreaterThanOrEqual(2);
		expect(s.backlog).toBeUndefined();
		const keys = got.map(key);
		expect(new Set(keys).size).toBe(keys.length);
		expect(keys).toHaveLength(2501);
		expect(got.filter((e) => e.kind === 'new')).toHaveLength(2500);
		expect(got.find((e) => e.record.id === 'n3' && e.kind === 'updated')?.record.lastUpdateDateTime).toBe(at(5000));
	});

	it('a long backlog is read in windows sized from the last cut, not in full every poll', async () => {
		const c = new FakeCollection('shuffled', 1000);
		for (let i = 0; i < 20000; i++) c.put(`k${i}`, at(-86000 + i * 4));
		let s: StreamState | undefined;
		let pages = 0;
		let n = 0;
		for (let p = 0; p < 30 && n < 20000; p++) {
			// First poll with a day of backfill: 20 pages of history, 1,000 events per poll.
			const r = await runPollCycle(s && persist(s), clock(p * 60, 86400), cfg({ maxPerPoll: 1000, pageSize: 1000 }), c.fetch);
			pages += r.pages;
			n += r.events.length;
			s = r.state;
		}
		expect(n).toBe(20000);
		// Reading the whole rest every poll would cost ~20+19+…+1 = 210 pages; each record is read
		// about twice (fresh, then swept as it leaves the overlap) plus the first full read.
		expect(pages).toBeLessThan(90);
	});

	it('a failed page leaves the state alone and the next poll emits everything', async () => {
		const c = new FakeCollection();
		const s0 = (await runPollCycle(undefined, clock(0), cfg(), c.fetch)).state;
		for (let i = 0; i < 250; i++) c.put(`f${i}`, at(10 + i));
		const before = JSON.stringify(s0);
		c.calls = [];
		c.failOn.add(2);
		await expect(runPollCycle(s0, clock(300), cfg({ pageSize: 100 }), c.fetch)).rejects.toThrow('HTTP 503');
		expect(JSON.stringify(s0)).toBe(before);
		c.failOn.clear();
		const r = await runPollCycle(s0, clock(300), cfg({ pageSize: 100 }), c.fetch);
		expect(r.events).toHaveLength(250);
	});

	it('rejects a malformed page or record instead of guessing', async () => {
		const bad1: FetchWindow = async function* () {
			yield 'nope' as unknown as IDataObject[];
		};
		await expect(runPollCycle(undefined, clock(0), cfg(), bad1)).rejects.toBeInstanceOf(PollDataError);
		const bad2: FetchWindow = async function* () {
			yield [{ id: 'x', lastUpdateDateTime: 'garbage' }];
		};
		await expect(runPollCycle(undefined, clock(0), cfg(), bad2)).rejects.toThrow(/lastUpdateDateTime/);
	});

	it('backfill emits what changed in the window; records created before it count as updated', async () => {
		const c = new FakeCollection();
		c.put('old', at(-7200), at(-7200));
		c.put('touched', at(-600), at(-90000));
		c.put('fresh', at(-300), at(-300));
		const r = await runPollCycle(undefined, clock(0, 3600), cfg(), c.fetch);
		expect(r.events.map((e) => [e.record.id, e.kind])).toEqual([
			['touched', 'updated'],
			['fresh', 'new'],
		]);
	});

	it('client-side filter: rejected records are skipped and not remembered', async () => {
		const c = new FakeCollection();
		let s = (await runPollCycle(undefined, clock(0), cfg(), c.fetch)).state;
		c.put('keep', at(10));
		c.put('drop', at(20));
		const accept = (r: IDataObject) => r.id !== 'drop';
		const r = await runPollCycle(s, clock(30), cfg({ accept }), c.fetch);
		expect(r.events.map((e) => e.record.id)).toEqual(['keep']);
		expect(r.state.watermark).toBe(at(30 - SETTLE_SECONDS));
		s = r.state;
		const r2 = await runPollCycle(s, clock(60), cfg({ accept }), c.fetch);
		expect(r2.events).toHaveLength(0);
	});

	it('pages per poll depend on new records, not on history or overlap size', async () => {
		const c = new FakeCollection('shuffled', 1000);
		for (let i = 0; i < 10000; i++) c.put(`h${i}`, at(-86400 + i * 8));
		let s = (await runPollCycle(undefined, clock(0), cfg({ pageSize: 1000 }), c.fetch)).state;
		let t = 0;
		for (const overlap of [60, 600, 3600]) {
			const r = await runPollCycle(persist(s), clock((t += 60)), cfg({ pageSize: 1000, overlapSeconds: overlap }), c.fetch);
			expect(r.pages).toBeLessThanOrEqual(2);
			s = r.state;
		}
		for (let i = 0; i < 2500; i++) c.put(`new${i}`, at(t + 1 + i / 100));
		const r = await runPollCycle(persist(s), clock(t + 60), cfg({ pageSize: 1000, maxPerPoll: 5000 }), c.fetch);
		expect(r.events).toHaveLength(2500);
		expect(r.pages).toBeLessThanOrEqual(4);
	});

	it('loads a version 1 state (record-order cursor)', async () => {
		const c = new FakeCollection();
		const v1 = { v: 1, floor: at(-600), watermark: at(-10, 42), seenFrom: at(-600), seen: { [at(-10, 42)]: ['w'] }, rescan: { from: at(-600), skip: 7 } };
		c.put('w', at(-10, 42));
		c.put('n', at(20));
		const r = await runPollCycle(v1 as unknown as StreamState, clock(60), cfg(), c.fetch);
		expect(r.events.map((e) => e.record.id)).toEqual(['n']);
		expect(r.state.v).toBe(2);
	});

	/**
	 * 10,000 records over 100 polls with updates, late arrivals inside the overlap, ties, failed
	 * polls and JSON state restore, then quiet polls until nothing more comes.
	 */
	async function stream(windowPages: number, overlapSeconds = 600, order: Order = 'shuffled') {
		const c = new FakeCollection(order, 50);
		let rnd = 42;
		const rand = () => ((rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648);
		const conf = cfg({ pageSize: 50, windowPages, overlapSeconds });
		for (let i = 0; i < 300; i++) c.put(`pre${i}`, at(-5000 + i * 10));
		let saved = JSON.stringify((await runPollCycle(undefined, clock(0), conf, c.fetch)).state);

		const expected = new Set<string>();
		const produced = new Set<string>();
		const emitted: string[] = [];
		const firstKind = new Map<string, string>();
		const createdAfterStart = new Set<string>();
		const pagesPerPoll: Array<{ pages: number; events: number }> = [];
		let time = 0;
		let n = 0;
		let failures = 0;
		let quiet = 0;
		for (let poll = 0; poll < 100 || quiet < 40; poll++) {
			time += 60;
			if (poll < 100) {
				for (let i = 0; i < 100; i++) {
					const id = `s${n++}`;
					let ts = at(time - 10, Math.floor(rand() * 3)); // many equal timestamps
					if (rand() < 0.05) ts = at(time - 300 - Math.floor(rand() * 200)); // late arrival inside the overlap
					c.put(id, ts, ts);
					produced.add(`${id}|${ts}`);
					createdAfterStart.add(id);
				}
				for (let u = 0; u < 10 && n > 0; u++) {
					const id = rand() < 0.2 ? `pre${Math.floor(rand() * 300)}` : `s${Math.floor(rand() * n)}`;
					c.put(id, at(time - 10, 5 + u));
					produced.add(`${id}|${at(time - 10, 5 + u)}`);
				}
				if (rand() < 0.1) c.failOn.add(c.calls.length + 1 + Math.floor(rand() * 2));
			}
			try {
				const r = await runPollCycle(JSON.parse(saved) as StreamState, clock(time), conf, c.fetch);
				for (const e of r.events) {
					emitted.push(key(e));
					const id = String(e.record.id);
					if (!firstKind.has(id)) firstKind.set(id, e.kind);
					else expect(e.kind).toBe('updated');
				}
				pagesPerPoll.push({ pages: r.pages, events: r.events.length });
				quiet = r.events.length ? 0 : quiet + 1;
				saved = JSON.stringify(r.state);
				// Every version current at a successful poll is expected.
				for (const rec of c.records.values()) {
					const k = `${rec.id}|${rec.lastUpdateDateTime}`;
					if (produced.has(k)) expected.add(k);
				}
			} catch {
				failures++;
			}
			c.failOn.clear();
		}
		const emittedSet = new Set(emitted);
		const finals = [...c.records.values()].map((r) => `${r.id}|${r.lastUpdateDateTime}`).filter((k) => produced.has(k));
		return {
			n,
			failures,
			duplicated: emitted.length - emittedSet.size,
			lost: [...expected].filter((k) => !emittedSet.has(k)),
			unexpected: emitted.filter((k) => !expected.has(k)),
			finalsMissing: finals.filter((k) => !emittedSet.has(k)),
			firstKind,
			createdAfterStart,
			pagesPerPoll,
		};
	}

	const avgPages = (xs: Array<{ pages: number }>) => xs.reduce((a, x) => a + x.pages, 0) / xs.length;

	it.each(['shuffled', 'reverse', 'asc'] as const)('stream of 10,000 records over 100 polls, pages %s (window re-read every poll): exact set, 0 lost, 0 duplicated', async (order) => {
		const r = await stream(40, 600, order);
		expect(r.n).toBe(10000);
		expect(r.failures).toBeGreaterThan(3);
		expect(r.duplicated).toBe(0);
		expect(r.lost).toEqual([]);
		expect(r.unexpected).toEqual([]);
		for (const [id, kind] of r.firstKind) expect([id, kind]).toEqual([id, r.createdAfterStart.has(id) ? 'new' : 'updated']);
	});

	it('busy window beyond the re-read budget: requests per poll do not grow with the window, 0 duplicated, every record delivered', async () => {
		const r = await stream(1);
		expect(r.duplicated).toBe(0);
		expect(r.unexpected).toEqual([]);
		expect(r.finalsMissing).toEqual([]);
		// Only versions replaced before the rotating re-read or the sweep reached them may be missing.
		expect(r.lost.length).toBeLessThan(10);
		for (const [id, kind] of r.firstKind) expect([id, kind]).toEqual([id, r.createdAfterStart.has(id) ? 'new' : 'updated']);
		// A 6× longer overlap window (6× more records in it) costs the same number of requests ...
		const busy = r.pagesPerPoll.slice(0, 100);
		const longer = await stream(1, 3600);
		expect(longer.duplicated).toBe(0);
		expect(longer.finalsMissing).toEqual([]);
		expect(avgPages(longer.pagesPerPoll.slice(0, 100))).toBeLessThanOrEqual(avgPages(busy) + 0.5);
		expect(avgPages(busy)).toBeLessThan(12); // ~110 changes per poll, 50 per page
		// ... while re-reading the whole window every poll costs about window / page size.
		const strict = await stream(400, 3600);
		expect(avgPages(strict.pagesPerPoll.slice(0, 100))).toBeGreaterThan(3 * avgPages(busy));
	});
});
