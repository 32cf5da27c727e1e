/**
 * Timestamps for the polling trigger.
 *
 * Graph returns `lastUpdateDateTime` with up to 7 fractional digits (100 ns ticks), more than a
 * JavaScript `Date` holds. Two records a few hundred nanoseconds apart must stay distinct, so the
 * trigger never round-trips timestamps through `Date`: it keeps a canonical string
 * `YYYY-MM-DDTHH:MM:SS.fffffffZ` (always 7 digits, always UTC) that sorts lexicographically in
 * time order.
 */
import type { IDataObject, INode } from 'n8n-workflow';

import { readNumber } from './validate';

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|z|[+-]\d{2}:?\d{2})?$/;

function pad(n: number, width: number): string {
	return String(n).padStart(width, '0');
}

/** Canonical form from whole seconds since the epoch plus a 7-digit fraction. */
function fromParts(epochSeconds: number, fraction7: string): string {
	const d = new Date(epochSeconds * 1000);
	return (
		`${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
		`T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${fraction7}Z`
	);
}

interface Parts {
	epochSeconds: number;
	fraction7: string;
}

function parse(value: unknown): Parts | undefined {
	if (typeof value !== 'string') return undefined;
	const m = ISO.exec(value.trim());
	if (!m) return undefined;
	const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
	// Date.UTC rolls 2024-02-30 over to 2024-03-01: refuse days and times that do not exist.
	if (+mo < 1 || +mo > 12 || +d < 1 || +d > new Date(Date.UTC(+y, +mo, 0)).getUTCDate() || +h > 23 || +mi > 59 || +s > 59) {
		return undefined;
	}
	let seconds = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000;
	if (!Number.isFinite(seconds)) return undefined;
	if (zone !== 'Z' && zone !== 'z') {
		const sign = zone.startsWith('-') ? -1 : 1;
		const digits = zone.slice(1).replace(':', '');
		const offset = (+digits.slice(0, 2) * 60 + +digits.slice(2, 4)) * 60;
		seconds -= sign * offset;
	}
	return { epochSeconds: seconds, fraction7: (frac + '0000000').slice(0, 7) };
}

/** Canonical 7-digit UTC form, or undefined when the value is not an ISO 8601 timestamp. */
export function canonicalTimestamp(value: unknown): string | undefined {
	const p = parse(value);
	return p ? fromParts(p.epochSeconds, p.fraction7) : undefined;
}

/** Canonical timestamp for a millisecond epoch value (the wall clock; only used on activation). */
export function timestampFromMs(ms: number): string {
	const seconds = Math.floor(ms / 1000);
	const millis = ms - seconds * 1000;
	return fromParts(seconds, pad(Math.floor(millis), 3) + '0000');
}

/** `ts` minus a whole number of seconds, keeping the sub-second digits exactly. */
export function subtractSeconds(ts: string, seconds: number): string {
	const p = parse(ts);
	if (!p) throw new RangeError(`Not a timestamp: ${ts}`);
	return fromParts(p.epochSeconds - Math.floor(seconds), p.fraction7);
}

/** Milliseconds since the epoch (loses sub-millisecond digits; for display and arithmetic only). */
export function timestampToMs(ts: string): number {
	const p = parse(ts);
	if (!p) return NaN;
	return p.epochSeconds * 1000 + Math.floor(+p.fraction7 / 10000);
}

/** Longest Backfill: a year (Graph keeps alerts and incidents for months, not decades). */
export const MAX_BACKFILL_MINUTES = 366 * 24 * 60;
/** Longest Overlap Window: a day. */
export const MAX_OVERLAP_MINUTES = 24 * 60;

/**
 * The trigger's numeric options, checked on every poll: an expression can turn them into text,
 * NaN or 1e12, which would otherwise break every poll (`Not a timestamp: 0NaN-…`) or poll forever.
 */
export function readTriggerNumbers(
	node: INode,
	options: IDataObject,
): { backfillMinutes: number; overlapMinutes: number; maxEventsPerPoll: number; windowPages: number; pageSize: number } {
	const read = (name: string, parameter: string, fallback: number, min: number, max: number, integer = true) => {
		const value = options[name];
		if (value === undefined || value === null || value === '') return fallback;
		return readNumber(node, value, { parameter: `Options > ${parameter}`, itemIndex: 0, min, max, integer });
	};
	return {
		backfillMinutes: read('backfillMinutes', 'Backfill (Minutes)', 0, 0, MAX_BACKFILL_MINUTES, false),
		overlapMinutes: read('overlapMinutes', 'Overlap Window (Minutes)', 10, 0, MAX_OVERLAP_MINUTES, false),
		maxEventsPerPoll: read('maxEventsPerPoll', 'Max Events per Poll', 1000, 1, 100000),
		windowPages: read('windowPages', 'Overlap Re-Read Budget (Pages)', 3, 1, 1000),
		pageSize: read('pageSize', 'Page Size', 0, 0, 1000),
	};
}

/** `ts` plus a whole number of seconds, keeping the sub-second digits exactly. */
export function addSeconds(ts: string, seconds: number): string {
	return subtractSeconds(ts, -Math.floor(seconds));
}

/** The whole second at or below `ts` (a bound that means the same under any server precision). */
export function floorSecond(ts: string): string {
	return ts.replace(/\.\d{7}Z$/, '.0000000Z');
}

/** Whole seconds from `a` to `b` (negative when b is before a). */
export function secondsBetween(a: string, b: string): number {
	return Math.floor((timestampToMs(b) - timestampToMs(a)) / 1000);
}
